import type * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import type { TableInput } from "./spec";

/** Inputs of {@link Table}: the properties of `tableSpec` plus `connection` and `allowHazards`. */
export type TableArgs = ResourceArgs<TableInput>;

/**
 * A PostgreSQL table. ID: `schema.name`. Adopts an existing table of that name
 * (changing only what differs). Dropping a non-empty table or column is a
 * `data-loss` hazard, a rewriting type change a `table-rewrite` hazard.
 */
export class Table extends DatabaseResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  /** The arguments as declared, for resources that build on this table (e.g. {@link Hypertable}'s key check). */
  readonly declared: TableArgs;

  constructor(name: string, args: TableArgs, opts?: pulumi.CustomResourceOptions) {
    super("Table", name, args, opts);
    this.declared = args;
  }
}
