import { z } from "zod";
import { NATIVE_PARTITIONING_RULE, partitioningKeyProblems } from "../core/partitioning";
import { comment, schemaName, identifier, MAX_IDENTIFIER_BYTES, sqlExpression } from "../core/spec";
import { columnType } from "../core/column-type";
import { rowLevelSecuritySpec } from "./row-security";
import { foreignKey, ForeignKeySpec, referencedKeyProblem } from "./foreign-key";

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function column() {
  return z.strictObject({
    /** Column name as the catalog stores it (any identifier: 1–63 bytes, no NUL; e.g. `createdAt`); always quoted. */
    name: identifier(),
    /** Column type in any spelling PostgreSQL accepts for a known type (`int`, `timestamptz`, `numeric(12,2)`, `vector(1536)`); stored in the server's spelling. */
    type: columnType(),
    /** Whether NULL is allowed. Default: true, except for primary-key and identity columns, which are always NOT NULL. */
    nullable: z.boolean().optional(),
    /** Default value: a SQL expression (`now()`, `gen_random_uuid()`, `'{}'::jsonb`), compared by the server's canonical form. */
    default: sqlExpression().optional(),
    /** `GENERATED ALWAYS|BY DEFAULT AS IDENTITY` (docs "CREATE TABLE"); integer types only, no `default`. */
    identity: z.enum(["always", "by default"]).optional(),
  });
}

function key() {
  return z.strictObject({
    /** Constraint name. For the primary key, default `<table>_pkey` (PostgreSQL's own default). */
    name: identifier().optional(),
    /** Key columns, in order. */
    columns: z.array(identifier()).min(1, "list at least one column"),
  });
}

/** Whether a partition key is a plain column name (as opposed to an expression). */
export const isColumnKey = (key: string) => /^[a-z_][a-z0-9_$]*$/.test(key);

/**
 * `PARTITION BY` (docs §5.12 "Table Partitioning", "CREATE TABLE"): the
 * strategy and the key, each a column name or a SQL expression
 * (`lower(region)`, `date_trunc('month', at)`); compared by the server's
 * canonical text (`pg_get_partkeydef`).
 */
function partitionBy() {
  return z.strictObject({
    /** `range` (time or numeric ranges), `list` (discrete values) or `hash` (modulus/remainder). */
    strategy: z.enum(["range", "list", "hash"], { error: "use range, list or hash" }),
    /** The partition key, in order: column names or SQL expressions. */
    keys: z.array(sqlExpression()).min(1, "list at least one key column or expression"),
  });
}

/**
 * A table (docs "CREATE TABLE"): columns, primary key, unique, CHECK and
 * foreign-key constraints, comment, native partitioning. Cross-field rules:
 * column and constraint names are unique; key columns exist; identity columns
 * are integers without a default; a nullable primary-key column is a
 * contradiction; a foreign key's columns exist, match its referenced columns
 * in number, and (when the referenced table's declaration is known, or it is
 * this table) reference a PRIMARY KEY or UNIQUE constraint; on a partitioned
 * table every primary key and unique constraint includes every partition key
 * column, and a table partitioned by an expression has none (docs §5.12.2.3
 * "Limitations").
 */
export function tableSpec() {
  return z
    .strictObject({
      /** Schema of the table. Changing it replaces the table. */
      schema: schemaName(),
      /** Table name. Changing it replaces the table. */
      name: identifier(),
      /** Columns, in order. At least one. */
      columns: z.array(column(), { error: "required: list the table's columns, e.g. [{ name: 'id', type: 'bigint' }]" }).min(1, "declare at least one column"),
      /** `PRIMARY KEY`; on a hypertable it must include the time column. */
      primaryKey: key().optional(),
      /** `UNIQUE` constraints (name required); on a hypertable each must include the time column. */
      uniqueConstraints: z.array(key().extend({ name: identifier() })).default([]),
      /** `CHECK` constraints: a name and a boolean SQL expression. */
      checkConstraints: z.array(z.strictObject({ name: identifier(), expression: sqlExpression() })).default([]),
      /** `FOREIGN KEY` constraints (see table/foreign-key.ts). Added to a table with rows as NOT VALID, then validated in a transaction of its own. None: unset (so state written before foreign keys existed compares equal). */
      foreignKeys: z.array(foreignKey()).optional(),
      /** `COMMENT ON TABLE`. Unset or empty: no comment (PostgreSQL stores an empty comment as none). */
      comment: comment(),
      /** Row-level security `{ enabled, forced }`; unset: not managed. See {@link rowLevelSecuritySpec} for what users get wrong. */
      rowLevelSecurity: rowLevelSecuritySpec(),
      /**
       * Native partitioning: `{ strategy: "range" | "list" | "hash", keys }`. Unset: a new table is
       * plain, and an existing table's partitioning is not managed (adopting a partitioned table
       * never rebuilds it). Changing it (or partitioning a plain table) rebuilds the table: see `migrateData`.
       */
      partitionBy: partitionBy().optional(),
      /**
       * Allow rebuilding a table that holds rows when `partitionBy` changes: a new table is
       * created under a temporary name with a default partition, the rows are copied and
       * counted, then the old table is dropped and the new one renamed, in one transaction
       * that holds an EXCLUSIVE lock on the table throughout (reads continue, writes wait).
       * Needs `allowHazards: ["table-rewrite"]` as well. Default false.
       */
      migrateData: z.boolean().optional(),
    })
    .superRefine((t, ctx) => {
      const names = t.columns.map((c) => c.name);
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["columns", i, "name"], message: `column "${n}" is declared twice` });
      });
      const keys = [...(t.primaryKey ? [[["primaryKey"], t.primaryKey] as const] : []), ...t.uniqueConstraints.map((u, i) => [["uniqueConstraints", i], u] as const)];
      for (const [path, k] of keys) {
        for (const c of k.columns.filter((c) => !names.includes(c))) {
          ctx.addIssue({ code: "custom", path: [...path, "columns"], message: `column "${c}" is not declared in columns` });
        }
      }
      (t.foreignKeys ?? []).forEach((fk, i) => {
        for (const c of fk.columns.filter((c) => !names.includes(c))) {
          ctx.addIssue({ code: "custom", path: ["foreignKeys", i, "columns"], message: `column "${c}" is not declared in columns` });
        }
        if (fk.references.columns.length !== fk.columns.length) {
          ctx.addIssue({ code: "custom", path: ["foreignKeys", i, "references", "columns"], message: `${fk.columns.length} referencing column(s) but ${fk.references.columns.length} referenced: list one referenced column per column, in the same order` });
        }
        if (fk.onDeleteSetColumns && !["set null", "set default"].includes(fk.onDelete)) {
          ctx.addIssue({ code: "custom", path: ["foreignKeys", i, "onDeleteSetColumns"], message: `only with onDelete "set null" or "set default", not "${fk.onDelete}": remove it` });
        }
        for (const c of (fk.onDeleteSetColumns ?? []).filter((c) => !fk.columns.includes(c))) {
          ctx.addIssue({ code: "custom", path: ["foreignKeys", i, "onDeleteSetColumns"], message: `"${c}" is not one of the key's columns (${fk.columns.join(", ")})` });
        }
        const self = fk.references.table.schema === t.schema && fk.references.table.name === t.name;
        const target = self ? { columns: t.columns.map((c) => c.name), keys: ownKeys(t) } : fk.references.declaredTable && { columns: fk.references.declaredTable.columns.map((c) => c.name), keys: fk.references.declaredTable.keys.map((k) => k.columns) };
        const problem = target && referencedKeyProblem(fk, target.columns, target.keys);
        if (problem) ctx.addIssue({ code: "custom", path: ["foreignKeys", i, "references", "columns"], message: problem });
      });
      const constraintNames = [
        ...(t.primaryKey ? [t.primaryKey.name ?? `${t.name}_pkey`] : []),
        ...t.uniqueConstraints.map((u) => u.name),
        ...t.checkConstraints.map((c) => c.name),
        ...(t.foreignKeys ?? []).map((f) => f.name),
      ];
      constraintNames.forEach((n, i) => {
        if (constraintNames.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["uniqueConstraints"], message: `constraint name "${n}" is used twice` });
      });
      if (t.primaryKey && !t.primaryKey.name && Buffer.byteLength(`${t.name}_pkey`) > MAX_IDENTIFIER_BYTES) {
        ctx.addIssue({ code: "custom", path: ["primaryKey", "name"], message: `"${t.name}_pkey" exceeds ${MAX_IDENTIFIER_BYTES} bytes: give the primary key a name` });
      }
      if (t.partitionBy) {
        const expressions = t.partitionBy.keys.filter((k) => !isColumnKey(k));
        t.partitionBy.keys.filter(isColumnKey).forEach((k) => {
          if (!names.includes(k)) ctx.addIssue({ code: "custom", path: ["partitionBy", "keys"], message: `partition key column "${k}" is not declared in columns` });
        });
        for (const [path, k] of keys) {
          const at = [...path, "columns"];
          const name = k.name ?? `${t.name}_pkey`;
          if (expressions.length > 0) {
            ctx.addIssue({
              code: "custom",
              path: at,
              message: `constraint ${name} cannot exist on ${t.schema}.${t.name}: it is partitioned by the expression ${expressions.join(", ")}, and PostgreSQL cannot enforce a primary key or unique constraint on a table partitioned by an expression ("unsupported UNIQUE constraint with partition key definition"). Partition by columns, or drop the constraint.`,
            });
          } else {
            for (const message of partitioningKeyProblems(`${t.schema}.${t.name}`, t.partitionBy.keys, [{ name, columns: k.columns }], NATIVE_PARTITIONING_RULE)) {
              ctx.addIssue({ code: "custom", path: at, message });
            }
          }
        }
      }
      t.columns.forEach((c, i) => {
        if (c.identity && !["smallint", "integer", "bigint"].includes(c.type)) {
          ctx.addIssue({ code: "custom", path: ["columns", i, "identity"], message: `identity column "${c.name}" must be smallint, integer or bigint, not ${c.type}` });
        }
        if (c.identity && c.default !== undefined) {
          ctx.addIssue({ code: "custom", path: ["columns", i, "default"], message: `identity column "${c.name}" cannot also have a default: remove one of them` });
        }
        if (c.nullable === true && (c.identity || t.primaryKey?.columns.includes(c.name))) {
          ctx.addIssue({ code: "custom", path: ["columns", i, "nullable"], message: `column "${c.name}" is ${c.identity ? "an identity column" : "in the primary key"}, so it is NOT NULL: remove nullable: true` });
        }
      });
    })
    .transform((t) => ({
      ...t,
      columns: t.columns.map((c) => ({ ...c, nullable: c.nullable ?? !(c.identity || t.primaryKey?.columns.includes(c.name)) })),
      primaryKey: t.primaryKey && { name: t.primaryKey.name ?? `${t.name}_pkey`, columns: t.primaryKey.columns },
      // Catalog order (pg_constraint by conname), so declared and live lists compare exactly.
      uniqueConstraints: [...t.uniqueConstraints].sort(byName),
      checkConstraints: [...t.checkConstraints].sort(byName),
      foreignKeys: t.foreignKeys?.length ? t.foreignKeys.map(({ references: { table, columns }, ...fk }): ForeignKeySpec => ({ ...fk, references: { table, columns } })).sort(byName) : undefined,
    }));
}

/** The column lists of a table input's PRIMARY KEY and UNIQUE constraints. */
function ownKeys(t: { primaryKey?: { columns: string[] }; uniqueConstraints: { columns: string[] }[] }): string[][] {
  return [...(t.primaryKey ? [t.primaryKey.columns] : []), ...t.uniqueConstraints.map((u) => u.columns)];
}

type Parsed = z.output<ReturnType<typeof tableSpec>>;
/**
 * The canonical table shape. Observe marks a live CHECK or foreign key that is
 * NOT VALID (an interrupted online change, or one added by hand) with
 * `notValid: true`, which no spec yields: it shows as drift and the next
 * update validates it again.
 */
export type TableSpec = Omit<Parsed, "checkConstraints"> & { checkConstraints: (Parsed["checkConstraints"][number] & { notValid?: true })[] };
export type TableInput = z.input<ReturnType<typeof tableSpec>>;
export type ColumnSpec = TableSpec["columns"][number];
