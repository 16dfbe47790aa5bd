import * as pulumi from "@pulumi/pulumi";
import { changedProperties } from "../core/compare";
import { Kind } from "../core/kind";
import { providerFor, ResourceArgs } from "../core/provider";
import { observeSchema, SchemaContents, schemaContents } from "./observe";
import { dropSchema, planSchema } from "./plan";
import { SchemaInput, SchemaSpec, schemaSpec } from "./spec";

export const schemaKind: Kind<SchemaSpec, SchemaContents> = {
  type: "Schema",
  schema: schemaSpec,
  identity: (s) => s.name,
  replaces: (old, next) => changedProperties(old, next, ["name"]),
  observe: observeSchema,
  facts: schemaContents,
  plan: (live, desired) => planSchema(live, desired),
  drop: dropSchema,
};

const provider = providerFor(schemaKind);

/** Inputs of {@link Schema}: the properties of `schemaSpec` plus `connection` and `allowHazards`. */
export type SchemaArgs = ResourceArgs<SchemaInput>;

/** A PostgreSQL schema. ID: the schema name. */
export class Schema extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly owner: pulumi.Output<string | undefined>;
  declare readonly comment: pulumi.Output<string | undefined>;

  constructor(name: string, args: SchemaArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, connection: pulumi.secret(args.connection) }, opts, "pgstrata", "Schema");
  }
}
