import type { PoolClient } from "pg";
import { prepared } from "../core/prepared";
import { sameValue } from "../core/compare";
import { qualifiedName, quoteIdent } from "../core/quote";
import { parenthesized, splitTopLevel } from "../core/sql-text";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { ROW_COUNT_CAP } from "../core/step";
import { featuresRefusingRowSecurity } from "../core/timescaledb";
import { readDimensions } from "../core/dimensions";
import { observedRowSecurity, ROW_SECURITY_COLUMNS, RowSecurityRow } from "./row-security";
import { ForeignKeySpec, REFERENTIAL_ACTIONS, ReferentialAction, referencedKeyProblem } from "./foreign-key";
import { typeChangeAvoidsRewrite } from "../core/column-type";
import { Conversion, conversions } from "./conversion";
import { ColumnSpec, TableSpec } from "./spec";

/** Relation kinds this kind manages: ordinary and partitioned tables (pg_class.relkind). */
const TABLE_RELKINDS = ["r", "p"];

interface CatalogRow extends RowSecurityRow {
  relkind: string;
  comment: string | null;
  partkey: string | null;
  columns: { name: string; type: string; nullable: boolean; default: string | null; identity: "a" | "d" | null }[];
  constraints: {
    name: string;
    type: "p" | "u" | "c" | "f";
    columns: string[];
    validated: boolean;
    expression: string | null;
    /** Foreign keys only (null otherwise), from pg_constraint's conf* columns. */
    references: { schema: string; name: string; columns: string[] } | null;
    onDelete: string | null;
    onUpdate: string | null;
    setColumns: string[] | null;
    match: "s" | "f" | "p" | null;
    deferrable: boolean;
    deferred: boolean;
  }[];
}

/**
 * Columns (format_type spelling, pg_get_expr defaults), PRIMARY KEY / UNIQUE /
 * CHECK / FOREIGN KEY constraints, comment, partition key (pg_get_partkeydef)
 * and row security (with the partitions and chunks that escape it) of one
 * relation, by oid, in one statement. Run in a pgstrata session
 * (search_path = pg_catalog, public).
 */
const TABLE_QUERY = `
SELECT c.relkind,
       obj_description(c.oid, 'pg_class') AS comment,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey,
       COALESCE((SELECT json_agg(json_build_object(
                   'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
                   'default', pg_get_expr(d.adbin, d.adrelid), 'identity', NULLIF(a.attidentity, '')) ORDER BY a.attnum)
                   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                  WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
       COALESCE((SELECT json_agg(json_build_object(
                   'name', k.conname, 'type', k.contype,
                   'columns', ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i)
                                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i),
                   'validated', k.convalidated,
                   'expression', CASE WHEN k.contype = 'c' THEN pg_get_expr(k.conbin, k.conrelid) END,
                   'references', CASE WHEN k.contype = 'f' THEN json_build_object(
                      'schema', fn.nspname, 'name', f.relname,
                      'columns', ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(attnum, i)
                                         JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.attnum ORDER BY u.i)) END,
                   'onDelete', NULLIF(k.confdeltype, ' '), 'onUpdate', NULLIF(k.confupdtype, ' '), 'match', NULLIF(k.confmatchtype, ' '),
                   'setColumns', (SELECT array_agg(a.attname ORDER BY u.i) FROM unnest(k.confdelsetcols) WITH ORDINALITY u(attnum, i)
                                    JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
                   'deferrable', k.condeferrable, 'deferred', k.condeferred) ORDER BY k.conname)
                   FROM pg_constraint k
                   LEFT JOIN pg_class f ON f.oid = k.confrelid LEFT JOIN pg_namespace fn ON fn.oid = f.relnamespace
                  WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u', 'c', 'f')), '[]') AS constraints,${ROW_SECURITY_COLUMNS}
  FROM pg_class c
 WHERE c.oid = to_regclass($1)`;

/**
 * Reads a relation into the canonical table shape. `relation` is a quoted
 * qualified name (`"events"."event_store"`) or `pg_temp.x`; `as` supplies the
 * schema and name to report. Undefined when no such relation exists; throws
 * when it exists but is not a table.
 */
export async function observeRelation(client: PoolClient, relation: string, as: Pick<TableSpec, "schema" | "name" | "rowLevelSecurity">): Promise<TableSpec | undefined> {
  const { rows } = await client.query<CatalogRow>(prepared(TABLE_QUERY, [relation]));
  if (rows.length === 0) return undefined;
  const r = rows[0];
  if (!TABLE_RELKINDS.includes(r.relkind)) {
    throw new Error(`Table ${as.schema}.${as.name}: a relation of that name exists but is not a table (relkind '${r.relkind}'); rename or drop it, or declare another name`);
  }
  const primary = r.constraints.find((k) => k.type === "p");
  return {
    schema: as.schema,
    name: as.name,
    columns: r.columns.map(
      (c): ColumnSpec => ({
        name: c.name,
        type: c.type,
        nullable: c.nullable,
        default: c.default ?? undefined,
        identity: c.identity === "a" ? "always" : c.identity === "d" ? "by default" : undefined,
      }),
    ),
    primaryKey: primary && { name: primary.name, columns: primary.columns },
    uniqueConstraints: r.constraints.filter((k) => k.type === "u").map((k) => ({ name: k.name, columns: k.columns })),
    checkConstraints: r.constraints.filter((k) => k.type === "c").map((k) => ({ name: k.name, expression: k.expression ?? "", ...notValid(k) })),
    foreignKeys: r.constraints.some((k) => k.type === "f") ? r.constraints.filter((k) => k.type === "f").map(foreignKeyOf) : undefined,
    comment: r.comment ?? undefined,
    rowLevelSecurity: observedRowSecurity(r, as.rowLevelSecurity),
    partitionBy: r.partkey === null ? undefined : partitionKey(r.partkey),
  };
}

const notValid = (k: { validated: boolean }) => (k.validated ? {} : { notValid: true as const });

const ACTION_OF_LETTER = Object.fromEntries(Object.entries(REFERENTIAL_ACTIONS).map(([action, letter]) => [letter, action as ReferentialAction]));

function foreignKeyOf(k: CatalogRow["constraints"][number]): ForeignKeySpec {
  const references = k.references!;
  return {
    name: k.name,
    columns: k.columns,
    references: { table: { schema: references.schema, name: references.name }, columns: references.columns },
    onDelete: ACTION_OF_LETTER[k.onDelete!],
    onUpdate: ACTION_OF_LETTER[k.onUpdate!],
    ...(k.setColumns ? { onDeleteSetColumns: k.setColumns } : {}),
    // MATCH PARTIAL is not implemented by PostgreSQL; "s" and "f" are all it stores.
    match: k.match === "f" ? "full" : "simple",
    deferrable: k.deferrable ? (k.deferred ? "deferred" : "immediate") : false,
    ...notValid(k),
  };
}

/** `RANGE (at, lower(region))` (pg_get_partkeydef) → `{ strategy: "range", keys: ["at", "lower(region)"] }`. */
function partitionKey(text: string): TableSpec["partitionBy"] {
  const strategy = text.slice(0, text.indexOf(" ")).toLowerCase() as "range" | "list" | "hash";
  return { strategy, keys: splitTopLevel(parenthesized(text, strategy.toUpperCase()) ?? "") };
}

/**
 * Live state of the table `desired` names. `migrateData`, an option, is
 * echoed from `desired`; `partitionBy` is reported only when declared (unset:
 * not managed, so adopting an existing partitioned table never rebuilds it).
 */
export async function observeTable(client: PoolClient, desired: TableSpec): Promise<TableSpec | undefined> {
  const live = await observeRelation(client, qualifiedName(desired.schema, desired.name), desired);
  return live && { ...live, partitionBy: desired.partitionBy && live.partitionBy, migrateData: desired.migrateData };
}


/** Facts for hazards: the table's row count (0 when it does not exist), exact up to {@link ROW_COUNT_CAP}. */
export interface TableFacts {
  rows: number;
  /** Columns to be added whose default is volatile (`gen_random_uuid()`, `clock_timestamp()`): adding one rewrites the table. */
  volatileDefaults: string[];
  /** Columns to become NOT NULL that hold NULLs in some row. */
  nullsIn: string[];
  /** Columns whose type changes (other than binary-coercibly), with the rows their cast would change or cannot convert. */
  conversions: Conversion[];
  /** When the table is a TimescaleDB hypertable: its partitioning (time and hash) columns. */
  partitioning: string[];
  /** What TimescaleDB builds on the table that refuses row security (compression, continuous aggregates); read only when row security is to be enabled. */
  rowSecurityBlockers: string[];
  /**
   * The tables that foreign keys to be added reference, by `schema.name`
   * (absent: no such table): their columns and the key columns of their
   * unique indexes that a foreign key can reference. Unset: not read.
   */
  referencedTables?: Record<string, { columns: string[]; keys: string[][] }>;
  /** Foreign keys to be added to a table with rows, by name: the rows that reference no row, up to {@link ROW_COUNT_CAP}. Unset: not read. */
  orphans?: Record<string, number>;
  /** When the table is a partitioned table (relkind 'p') with rows: its partitions, each marked when it is partitioned itself. Unset otherwise. */
  partitions?: { schema: string; name: string; partitioned: boolean }[];
}

/** The partitions of `relation` when it is a partitioned table; undefined when it is not one. */
async function partitionsOf(client: PoolClient, relation: string): Promise<TableFacts["partitions"]> {
  const { rows } = await client.query<{ partitions: TableFacts["partitions"] | null }>(
    `SELECT COALESCE((SELECT json_agg(json_build_object('schema', n.nspname, 'name', c.relname, 'partitioned', c.relkind = 'p') ORDER BY n.nspname, c.relname)
                        FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                       WHERE i.inhparent = p.oid), '[]') AS partitions
       FROM pg_class p WHERE p.oid = to_regclass($1) AND p.relkind = 'p'`,
    [relation],
  );
  return rows[0]?.partitions ?? undefined;
}

/** Rows in `relation` (a quoted qualified name), exact up to {@link ROW_COUNT_CAP}: enough to state what is at stake without scanning a large table. */
async function countRows(client: PoolClient, relation: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT FROM ${relation} LIMIT ${ROW_COUNT_CAP}) s`);
  return rows[0].n;
}

/**
 * The columns of pg_temp.pgstrata_volatility whose default calls a VOLATILE
 * function (pg_proc.provolatile), directly or as an operator's function:
 * PostgreSQL's own test for a rewrite (contain_volatile_functions). The
 * functions are read from the stored expression tree (pg_attrdef.adbin: the
 * `:funcid` of function calls, the `:opfuncid` of operators), not from
 * pg_depend, which omits built-in functions; nothing is evaluated.
 */
const VOLATILE_DEFAULTS_QUERY = `
SELECT a.attname AS name
  FROM pg_attribute a JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'pg_temp.pgstrata_volatility'::regclass
   AND EXISTS (SELECT FROM regexp_matches(d.adbin::text, ':(?:funcid|opfuncid) (\\d+)', 'g') f
                 JOIN pg_proc p ON p.oid = f[1]::oid
                WHERE p.provolatile = 'v')
 ORDER BY a.attnum`;

/**
 * Which of `columns` would rewrite a table with rows when added: PostgreSQL
 * stores a non-volatile default once as the "missing" value and rewrites the
 * table for a volatile one (docs "ALTER TABLE", Notes). The defaults are
 * built on an empty scratch table inside a transaction that is rolled back,
 * and their volatility read from the catalogs: planning never evaluates them
 * (a default calling nextval or pg_terminate_backend must not run).
 */
async function volatileDefaults(client: PoolClient, columns: ColumnSpec[]): Promise<string[]> {
  if (columns.length === 0) return [];
  return inRolledBackTransaction(client, async () => {
    const definitions = columns.map((c) => `${quoteIdent(c.name)} ${c.type} DEFAULT ${c.default}`);
    await runStatement(client, `CREATE TEMP TABLE pgstrata_volatility (${definitions.join(", ")})`);
    const { rows } = await client.query<{ name: string }>(VOLATILE_DEFAULTS_QUERY);
    return rows.map((r) => r.name);
  });
}

/** Which of `columns` of `relation` hold a NULL in some row (one scan, stopping at the first NULL of each). */
async function columnsWithNulls(client: PoolClient, relation: string, columns: string[]): Promise<string[]> {
  if (columns.length === 0) return [];
  const probes = columns.map((c, i) => `EXISTS (SELECT FROM ${relation} WHERE ${quoteIdent(c)} IS NULL) AS c${i}`);
  const { rows } = await client.query<Record<string, boolean>>(`SELECT ${probes.join(", ")}`);
  return columns.filter((_, i) => rows[0][`c${i}`]);
}

/**
 * Columns and referenceable keys of `tables` (`schema.name`), in one round
 * trip. A key is what PostgreSQL lets a foreign key reference (docs "CREATE
 * TABLE", REFERENCES; transformFkeyCheckAttrs): the key columns of a valid,
 * unique, non-deferrable index without predicate or expressions.
 */
async function referencedTables(client: PoolClient, tables: { schema: string; name: string }[]): Promise<TableFacts["referencedTables"]> {
  if (tables.length === 0) return {};
  const { rows } = await client.query<{ schema: string; name: string; columns: string[]; keys: string[][] | null }>(
    `SELECT r.schema, r.name,
            ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped ORDER BY attnum) AS columns,
            (SELECT json_agg(ARRAY(SELECT a.attname FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY k(attnum, n)
                                     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum ORDER BY k.n))
               FROM pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND i.indimmediate AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL) AS keys
       FROM json_to_recordset($1::json) r(schema text, name text)
       JOIN pg_class c ON c.relname = r.name AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = r.schema) AND c.relkind IN ('r', 'p')`,
    [JSON.stringify(tables)],
  );
  return Object.fromEntries(rows.map((r) => [`${r.schema}.${r.name}`, { columns: r.columns, keys: r.keys ?? [] }]));
}

/**
 * Rows of `relation` that `fk` would reject, up to {@link ROW_COUNT_CAP}: a
 * read-only anti-join over identifiers only (MATCH SIMPLE skips a row with any
 * NULL key column; MATCH FULL rejects a partly NULL one).
 */
async function orphanRows(client: PoolClient, relation: string, fk: ForeignKeySpec): Promise<number> {
  const ref = qualifiedName(fk.references.table.schema, fk.references.table.name);
  const matches = fk.columns.map((c, i) => `r.${quoteIdent(fk.references.columns[i])} = t.${quoteIdent(c)}`).join(" AND ");
  const missing = `NOT EXISTS (SELECT FROM ${ref} r WHERE ${matches})`;
  const allSet = fk.columns.map((c) => `t.${quoteIdent(c)} IS NOT NULL`).join(" AND ");
  const where = fk.match === "full" ? `NOT (${fk.columns.map((c) => `t.${quoteIdent(c)} IS NULL`).join(" AND ")}) AND (NOT (${allSet}) OR ${missing})` : `${allSet} AND ${missing}`;
  const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT FROM ${relation} t WHERE ${where} LIMIT ${ROW_COUNT_CAP}) s`);
  return rows[0].n;
}

/** The foreign keys of `desired` that `live` lacks or defines otherwise. */
function foreignKeysToAdd(desired: TableSpec, live: TableSpec | undefined): ForeignKeySpec[] {
  return (desired.foreignKeys ?? []).filter((k) => !live?.foreignKeys?.some((l) => sameValue(l, k)));
}

/**
 * Rows, volatile defaults of added columns, NULLs in columns becoming NOT
 * NULL, hypertable partitioning (read only when the table exists), and for
 * the foreign keys to be added: the referenced tables and, with rows, the
 * rows each would reject.
 */
export async function tableFacts(client: PoolClient, desired: TableSpec, live: TableSpec | undefined): Promise<TableFacts> {
  const adding = foreignKeysToAdd(desired, live);
  const referenced = await referencedTables(client, adding.map((k) => k.references.table));
  if (!live) return { rows: 0, volatileDefaults: [], nullsIn: [], conversions: [], partitioning: [], rowSecurityBlockers: [], referencedTables: referenced };
  const relation = qualifiedName(desired.schema, desired.name);
  const rows = await countRows(client, relation);
  // Only keys whose columns exist on both sides; planTable refuses the others before any SQL.
  const checkable = adding.filter((k) => {
    const target = referenced?.[`${k.references.table.schema}.${k.references.table.name}`];
    return target && !referencedKeyProblem(k, target.columns, target.keys) && k.columns.every((c) => live.columns.some((l) => l.name === c));
  });
  const orphans = rows > 0 ? Object.fromEntries(await Promise.all(checkable.map(async (k) => [k.name, await orphanRows(client, relation, k)] as const))) : {};
  const liveColumn = (name: string) => live.columns.find((l) => l.name === name);
  const added = desired.columns.filter((c) => c.default !== undefined && !liveColumn(c.name));
  const tightened = desired.columns.filter((c) => !c.nullable && liveColumn(c.name)?.nullable).map((c) => c.name);
  const retyped = desired.columns.flatMap((c) => {
    const from = liveColumn(c.name)?.type;
    return from !== undefined && from !== c.type && !typeChangeAvoidsRewrite(from, c.type) ? [{ column: c.name, from, to: c.type }] : [];
  });
  return {
    rows,
    volatileDefaults: rows > 0 ? await volatileDefaults(client, added) : [],
    nullsIn: rows > 0 ? await columnsWithNulls(client, relation, tightened) : [],
    conversions: rows > 0 ? await conversions(client, relation, retyped, ROW_COUNT_CAP) : [],
    partitioning: ((await readDimensions(client, desired.schema, desired.name)) ?? []).map((d) => d.column_name),
    rowSecurityBlockers:
      desired.rowLevelSecurity?.enabled && !live.rowLevelSecurity?.enabled
        ? await featuresRefusingRowSecurity(client, desired.schema, desired.name)
        : [],
    referencedTables: referenced,
    orphans,
    ...(rows > 0 ? { partitions: await partitionsOf(client, relation) } : {}),
  };
}
