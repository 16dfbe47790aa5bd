import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource, DeclaredRelation, resolveRelation, ShapedTable } from "../core/resource";
import type { DeclaredTable } from "../core/spec";
import type { HypertableInput } from "./spec";

/**
 * Inputs of {@link Hypertable}. `table` is a {@link Table} of the same program
 * (its declared keys are then checked at `check`, and the hypertable depends
 * on it) or the `{ schema, name }` of a table managed elsewhere (checked
 * against the catalogs before any SQL runs).
 */
export type HypertableArgs = Omit<ResourceArgs<HypertableInput>, "schema" | "table" | "declaredTable"> & {
  table: ShapedTable | { schema: string; name: string };
};

/**
 * A TimescaleDB hypertable (works on the Apache and the community license).
 * ID: `schema.table`. Deleting it turns the table back into a plain table.
 */
export class Hypertable extends DatabaseResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly table: pulumi.Output<string>;
  declare readonly timeColumn: pulumi.Output<string>;
  declare readonly chunkInterval: pulumi.Output<string | number>;
  /**
   * The table as this program declares it: its schema and name, and (when
   * `table` is a `Table` of the program) its declared columns, keys and row
   * security, for resources that build on the hypertable (a
   * `ContinuousAggregate`'s `source`).
   */
  readonly declared: DeclaredRelation & { table?: pulumi.Output<DeclaredTable | undefined> };

  constructor(name: string, args: HypertableArgs, opts?: pulumi.CustomResourceOptions) {
    const { table, ...rest } = args;
    const resolved = resolveRelation(table, opts);
    const declaredTable = pulumi.CustomResource.isInstance(table) ? (table as ShapedTable).declaredShape() : undefined;
    super("Hypertable", name, { ...rest, schema: resolved.schema, table: resolved.name, declaredTable }, resolved.opts);
    this.declared = { schema: resolved.schema, name: resolved.name, table: declaredTable };
  }
}
