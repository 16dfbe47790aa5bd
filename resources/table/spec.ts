import { z } from "zod";
import { schemaName, identifier, MAX_IDENTIFIER_BYTES, sqlExpression } from "../core/spec";
import { columnType } from "./column-type";
import { rowLevelSecuritySpec } from "./row-security";

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

/**
 * A table (docs "CREATE TABLE"): columns, primary key, unique and CHECK
 * constraints, comment. Cross-field rules: column and constraint names are
 * unique; key columns exist; identity columns are integers without a default;
 * a nullable primary-key column is a contradiction.
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
      /** `COMMENT ON TABLE`. Unset or empty: no comment (PostgreSQL stores an empty comment as none). */
      comment: z.string().optional().transform((c) => (c === "" ? undefined : c)),
      /** Row-level security `{ enabled, forced }`; unset: not managed. See {@link rowLevelSecuritySpec} for what users get wrong. */
      rowLevelSecurity: rowLevelSecuritySpec(),
    })
    .superRefine((t, ctx) => {
      const names = t.columns.map((c) => c.name);
      names.forEach((n, i) => {
        if (names.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["columns", i, "name"], message: `column "${n}" is declared twice` });
      });
      const keys = [...(t.primaryKey ? [["primaryKey", t.primaryKey] as const] : []), ...t.uniqueConstraints.map((u, i) => [`uniqueConstraints.${i}`, u] as const)];
      for (const [path, k] of keys) {
        for (const c of k.columns.filter((c) => !names.includes(c))) {
          ctx.addIssue({ code: "custom", path: [...path.split(".").map((p) => (/^\d+$/.test(p) ? Number(p) : p)), "columns"], message: `column "${c}" is not declared in columns` });
        }
      }
      const constraintNames = [...(t.primaryKey ? [t.primaryKey.name ?? `${t.name}_pkey`] : []), ...t.uniqueConstraints.map((u) => u.name), ...t.checkConstraints.map((c) => c.name)];
      constraintNames.forEach((n, i) => {
        if (constraintNames.indexOf(n) !== i) ctx.addIssue({ code: "custom", path: ["uniqueConstraints"], message: `constraint name "${n}" is used twice` });
      });
      if (t.primaryKey && !t.primaryKey.name && Buffer.byteLength(`${t.name}_pkey`) > MAX_IDENTIFIER_BYTES) {
        ctx.addIssue({ code: "custom", path: ["primaryKey", "name"], message: `"${t.name}_pkey" exceeds ${MAX_IDENTIFIER_BYTES} bytes: give the primary key a name` });
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
    }));
}

export type TableSpec = z.output<ReturnType<typeof tableSpec>>;
export type TableInput = z.input<ReturnType<typeof tableSpec>>;
export type ColumnSpec = TableSpec["columns"][number];
