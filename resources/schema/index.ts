import type * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import type { SchemaInput } from "./spec";

/** Inputs of {@link Schema}: the properties of `schemaSpec` plus `connection` and `allowHazards`. */
export type SchemaArgs = ResourceArgs<SchemaInput>;

/** A PostgreSQL schema. ID: the schema name. */
export class Schema extends DatabaseResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly owner: pulumi.Output<string | undefined>;
  declare readonly comment: pulumi.Output<string | undefined>;

  constructor(name: string, args: SchemaArgs, opts?: pulumi.CustomResourceOptions) {
    super("Schema", name, args, opts);
  }
}
