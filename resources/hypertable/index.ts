import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import { Table } from "../table";
import type { HypertableInput } from "./spec";

/**
 * Inputs of {@link Hypertable}. `table` is a {@link Table} of the same program
 * (its declared keys are then checked at `check`, and the hypertable depends
 * on it) or the `{ schema, name }` of a table managed elsewhere (checked
 * against the catalogs before any SQL runs).
 */
export type HypertableArgs = Omit<ResourceArgs<HypertableInput>, "schema" | "table" | "declaredTable"> & {
  table: Table | { schema: string; name: string };
};

/**
 * A TimescaleDB hypertable (works on the Apache and the community license).
 * ID: `schema.table`. Deleting it turns the table back into a plain table.
 */
export class Hypertable extends DatabaseResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly table: pulumi.Output<string>;
  declare readonly timeColumn: pulumi.Output<string>;
  declare readonly chunkInterval: pulumi.Output<string>;

  constructor(name: string, args: HypertableArgs, opts?: pulumi.CustomResourceOptions) {
    const { table, ...rest } = args;
    const declared = table instanceof Table ? table.declared : undefined;
    const inputs = {
      ...rest,
      schema: declared ? declared.schema : (table as { schema: string }).schema,
      table: declared ? declared.name : (table as { name: string }).name,
      declaredTable: table instanceof Table ? table.declaredShape() : undefined,
    };
    super("Hypertable", name, inputs, table instanceof Table ? pulumi.mergeOptions(opts, { dependsOn: table }) : opts);
  }
}
