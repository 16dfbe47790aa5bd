import * as pulumi from "@pulumi/pulumi";
import { changedProperties } from "../core/compare";
import { Kind } from "../core/kind";
import { providerFor, ResourceArgs } from "../core/provider";
import { canonicalizeTable } from "./canonical";
import { observeTable, TableFacts, tableFacts } from "./observe";
import { dropTable, planTable } from "./plan";
import { TableInput, TableSpec, tableSpec } from "./spec";

export const tableKind: Kind<TableSpec, TableFacts> = {
  type: "Table",
  schema: tableSpec,
  identity: (t) => `${t.schema}.${t.name}`,
  replaces: (old, next) => changedProperties(old, next, ["schema", "name"]),
  observe: observeTable,
  canonicalize: canonicalizeTable,
  facts: tableFacts,
  plan: planTable,
  drop: dropTable,
};

const provider = providerFor(tableKind);

/** Inputs of {@link Table}: the properties of `tableSpec` plus `connection` and `allowHazards`. */
export type TableArgs = ResourceArgs<TableInput>;

/**
 * A PostgreSQL table. ID: `schema.name`. Adopts an existing table of that name
 * (changing only what differs). Dropping a non-empty table or column is a
 * `data-loss` hazard, a rewriting type change a `table-rewrite` hazard.
 */
export class Table extends pulumi.dynamic.Resource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  /** The arguments as declared, for resources that build on this table (e.g. {@link Hypertable}'s key check). */
  readonly declared: TableArgs;

  constructor(name: string, args: TableArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, connection: pulumi.secret(args.connection) }, opts, "pgstrata", "Table");
    this.declared = args;
  }
}
