import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import type { DeclaredTable } from "../core/spec";
import type { ForeignKeyInput } from "./foreign-key";
import { tableSpec, TableInput } from "./spec";

/**
 * One foreign key of {@link TableArgs}: as {@link ForeignKeyInput}, except that
 * `references.table` is a {@link Table} of the same program (this table then
 * depends on it, and `check` judges the referenced columns against its
 * declared keys) or the `{ schema, name }` of a table managed elsewhere
 * (judged against the catalogs before any SQL runs).
 */
export type ForeignKeyArgs = Omit<ForeignKeyInput, "references"> & {
  references: { table: Table | { schema: pulumi.Input<string>; name: pulumi.Input<string> }; columns: string[] };
};

/** Inputs of {@link Table}: the properties of `tableSpec` plus `connection` and `allowHazards`; `foreignKeys` may reference a {@link Table}. */
export type TableArgs = Omit<ResourceArgs<TableInput>, "foreignKeys"> & { foreignKeys?: ForeignKeyArgs[] };


/**
 * A PostgreSQL table. ID: `schema.name`. Adopts an existing table of that name
 * (changing only what differs). Dropping a non-empty table or column is a
 * `data-loss` hazard, a rewriting type change a `table-rewrite` hazard.
 * Constraints are added to a table with rows without blocking its writes
 * (NOT VALID, then VALIDATE; unique keys through a concurrently built index).
 */
export class Table extends DatabaseResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  /** The arguments as declared, for resources that build on this table (e.g. {@link Hypertable}'s key check). */
  readonly declared: TableArgs;

  constructor(name: string, args: TableArgs, opts?: pulumi.CustomResourceOptions) {
    const referenced = (args.foreignKeys ?? []).map((fk) => fk.references.table).filter((t): t is Table => t instanceof Table);
    const foreignKeys = args.foreignKeys?.map(({ references: { table, columns }, ...fk }) => ({
      ...fk,
      references:
        table instanceof Table
          ? { table: { schema: table.declared.schema, name: table.declared.name }, columns, declaredTable: table.declaredShape() }
          : { table, columns },
    }));
    super("Table", name, { ...args, ...(foreignKeys ? { foreignKeys } : {}) }, referenced.length > 0 ? pulumi.mergeOptions(opts, { dependsOn: referenced }) : opts);
    this.declared = args;
  }

  /** The columns' nullability and type, the PRIMARY KEY / UNIQUE constraints and whether row security is enabled, as this table's own spec resolves them (unset when it does not validate: the table reports that). */
  declaredShape(): pulumi.Output<DeclaredTable | undefined> {
    const { schema, name, columns, primaryKey, uniqueConstraints, checkConstraints, rowLevelSecurity } = this.declared;
    return pulumi.output({ schema, name, columns, primaryKey, uniqueConstraints, checkConstraints, rowLevelSecurity }).apply((raw) => {
      const parsed = tableSpec().safeParse(raw);
      if (!parsed.success) return undefined;
      const { columns, primaryKey, uniqueConstraints } = parsed.data;
      return {
        columns: columns.map((c) => ({ name: c.name, nullable: c.nullable, type: c.type })),
        keys: [...(primaryKey ? [primaryKey] : []), ...uniqueConstraints].map((k) => ({ name: k.name!, columns: k.columns })),
        rowLevelSecurity: parsed.data.rowLevelSecurity?.enabled ?? false,
      };
    });
  }
}
