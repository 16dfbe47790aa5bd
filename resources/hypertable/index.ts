import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import { Table, TableArgs } from "../table";
import { tableSpec } from "../table/spec";
import type { HypertableInput, HypertableSpec } from "./spec";

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
  declare readonly timeColumn: pulumi.Output<string>;
  declare readonly chunkInterval: pulumi.Output<string>;

  constructor(name: string, args: HypertableArgs, opts?: pulumi.CustomResourceOptions) {
    const { table, ...rest } = args;
    const declared = table instanceof Table ? table.declared : undefined;
    const inputs = {
      ...rest,
      schema: declared ? declared.schema : (table as { schema: string }).schema,
      table: declared ? declared.name : (table as { name: string }).name,
      declaredTable: declared && declaredKeys(declared),
    };
    super("Hypertable", name, inputs, table instanceof Table ? pulumi.mergeOptions(opts, { dependsOn: table }) : opts);
  }
}

/** The columns' nullability and the key constraints of a table declaration, as its own spec resolves them (unset when it does not validate: the table reports that). */
function declaredKeys(t: TableArgs): pulumi.Output<HypertableSpec["declaredTable"]> {
  const { schema, name, columns, primaryKey, uniqueConstraints, checkConstraints } = t;
  return pulumi.output({ schema, name, columns, primaryKey, uniqueConstraints, checkConstraints }).apply((raw) => {
    const parsed = tableSpec().safeParse(raw);
    if (!parsed.success) return undefined;
    const { columns, primaryKey, uniqueConstraints } = parsed.data;
    return {
      columns: columns.map((c) => ({ name: c.name, nullable: c.nullable })),
      keys: [...(primaryKey ? [primaryKey] : []), ...uniqueConstraints].map((k) => ({ name: k.name!, columns: k.columns })),
    };
  });
}
