import type { PoolClient } from "pg";
import { prepared } from "../core/prepared";
import { canonicalFixedPoint, unchangedSince } from "../core/canonical";
import type { Previous } from "../core/kind";
import { readDimensions } from "../core/dimensions";
import { qualifiedName, quoteIdent } from "../core/quote";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { stoppedError } from "../core/stopped";
import { IndexMethod, withDefaults } from "./methods";
import { createIndexSql, temporaryName } from "./sql";
import { indexProblems, IndexSpec, IndexState } from "./spec";

interface CatalogRow {
  relkind: "i" | "I" | string;
  table: string;
  method: IndexMethod;
  unique: boolean;
  nulls_not_distinct: boolean;
  valid: boolean;
  keys: { column: string | null; expression: string | null; opclass: string | null; desc: boolean; nulls_first: boolean }[];
  include: string[];
  predicate: string | null;
  options: Record<string, string> | null;
  tablespace: string | null;
  comment: string | null;
  constraint: string | null;
}

/**
 * One index by name, in one statement: its table, access method, keys
 * (column or `pg_get_indexdef` text of the expression, operator class unless
 * it is the key type's default — as `pg_get_indexdef` prints it —, ordering), INCLUDE columns, predicate (`pg_get_expr`), storage parameters
 * (`reloptions`), tablespace, comment, validity, and the constraint it backs.
 * Run in a pgstrata session (search_path = pg_catalog, public, …).
 */
const INDEX_QUERY = `
SELECT c.relkind, t.relname AS table, am.amname AS method,
       i.indisunique AS unique, i.indnullsnotdistinct AS nulls_not_distinct, i.indisvalid AS valid,
       ARRAY(SELECT json_build_object(
                      'column', CASE WHEN i.indkey[k] <> 0 THEN (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k]) END,
                      'expression', CASE WHEN i.indkey[k] = 0 THEN pg_get_indexdef(i.indexrelid, k + 1, false) END,
                      'opclass', (SELECT CASE WHEN NOT opc.opcdefault OR key_type IS NULL
                                                  OR NOT (opc.opcintype = key_type OR opc.opcintype::regtype::text LIKE 'any%'
                                                          OR EXISTS (SELECT FROM pg_cast WHERE castsource = key_type AND casttarget = opc.opcintype AND castmethod = 'b'))
                                             THEN opc.opcname END
                                    FROM pg_opclass opc, pg_attribute ia,
                                         LATERAL (SELECT CASE WHEN i.indkey[k] <> 0 THEN (SELECT a.atttypid FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k])
                                                              WHEN opc.opckeytype = 0 THEN ia.atttypid END AS key_type) t
                                   WHERE opc.oid = i.indclass[k] AND ia.attrelid = i.indexrelid AND ia.attnum = k + 1),
                      'desc', (i.indoption[k] & 1) <> 0, 'nulls_first', (i.indoption[k] & 2) <> 0)
               FROM generate_series(0, i.indnkeyatts - 1) k ORDER BY k) AS keys,
       ARRAY(SELECT a.attname::text FROM generate_series(i.indnkeyatts, i.indnatts - 1) k
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k] ORDER BY k) AS include,
       pg_get_expr(i.indpred, i.indrelid) AS predicate,
       (SELECT json_object_agg(split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)) FROM unnest(c.reloptions) o) AS options,
       ts.spcname AS tablespace,
       obj_description(c.oid, 'pg_class') AS comment,
       (SELECT k.conname FROM pg_constraint k WHERE k.conindid = c.oid AND k.contype IN ('p', 'u', 'x') LIMIT 1) AS constraint
  FROM pg_class c
  JOIN pg_index i ON i.indexrelid = c.oid
  JOIN pg_class t ON t.oid = i.indrelid
  JOIN pg_am am ON am.oid = c.relam
  LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace
 WHERE c.oid = to_regclass($1)`;

/**
 * Reads the index `relation` (a quoted qualified name, or `pg_temp.x`) into
 * the canonical shape; `as` supplies the schema, name and the options that
 * are not state (`build`, `declaredTable`). Undefined when it does not exist.
 * Throws when the name belongs to another kind of relation or to an index
 * that backs a constraint (the table's own resource manages those).
 */
export async function observeIndexRelation(client: PoolClient, relation: string, as: IndexSpec): Promise<IndexState | undefined> {
  const { rows } = await client.query<CatalogRow>(prepared(INDEX_QUERY, [relation]));
  const label = `Index ${as.schema}.${as.name}`;
  if (rows.length === 0) {
    const other = await client.query("SELECT relkind FROM pg_class WHERE oid = to_regclass($1)", [relation]);
    if (other.rows.length > 0) throw new Error(`${label}: a relation of that name exists but is not an index (relkind '${other.rows[0].relkind}'): rename or drop it, or choose another name`);
    return undefined;
  }
  const r = rows[0];
  if (r.constraint) {
    throw new Error(`${label}: this index backs constraint ${r.constraint} of ${as.schema}.${r.table}, which the table declares: manage it there (primaryKey / uniqueConstraints), or choose another index name`);
  }
  return {
    schema: as.schema,
    table: r.table,
    name: as.name,
    method: r.method,
    keys: r.keys.map((k) => ({
      column: k.column ?? undefined,
      expression: k.expression ?? undefined,
      opclass: k.opclass ?? undefined,
      order: k.desc ? ("desc" as const) : undefined,
      nulls: k.nulls_first === k.desc ? undefined : k.nulls_first ? ("first" as const) : ("last" as const),
    })),
    unique: r.unique,
    nullsNotDistinct: r.nulls_not_distinct,
    include: r.include,
    where: r.predicate ?? undefined,
    with: withDefaults(r.method, r.options ?? {}),
    tablespace: r.tablespace ?? undefined,
    comment: r.comment ?? undefined,
    build: as.build,
    declaredTable: as.declaredTable,
    ...(r.valid ? {} : { invalid: true as const }),
  };
}

/** Live state of the index `desired` names. */
export function observeIndex(client: PoolClient, desired: IndexSpec): Promise<IndexState | undefined> {
  return observeIndexRelation(client, qualifiedName(desired.schema, desired.name), desired);
}

/** The indexed table as planning needs it. */
export interface IndexedTable {
  /** `r` ordinary table, `p` partitioned table. */
  relkind: "r" | "p";
  hypertable: boolean;
  /** Whether the table holds at least one row (an empty table takes a plain, faster build). */
  hasRows: boolean;
  columns: { name: string; type: string }[];
  /** For a partitioned table: every partition below it, parents before children, with the partitioned table each is attached to. */
  partitions: { schema: string; name: string; parent: { schema: string; name: string }; partitioned: boolean }[];
}

export interface IndexFacts {
  /** Undefined when the table does not exist. */
  table: IndexedTable | undefined;
  /** An index under the temporary name of a rebuild, left by a run that was killed mid-way. */
  leftover: boolean;
}

/** The table's kind, columns and partitions, in one statement; undefined when it does not exist. */
async function readTableShape(client: PoolClient, relation: string): Promise<Omit<IndexedTable, "hypertable" | "hasRows"> | undefined> {
  const { rows } = await client.query<{ relkind: "r" | "p"; columns: IndexedTable["columns"]; partitions: IndexedTable["partitions"] | null }>(
    prepared(
      `SELECT c.relkind,
              ARRAY(SELECT json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum) AS columns,
              (WITH RECURSIVE tree AS (
                  SELECT inh.inhrelid AS oid, inh.inhparent AS parent, 1 AS depth FROM pg_inherits inh WHERE inh.inhparent = c.oid
                  UNION ALL SELECT inh.inhrelid, inh.inhparent, tree.depth + 1 FROM pg_inherits inh JOIN tree ON inh.inhparent = tree.oid)
               SELECT json_agg(json_build_object('schema', (SELECT n.nspname FROM pg_namespace n WHERE n.oid = p.relnamespace), 'name', p.relname,
                                                 'parent', json_build_object('schema', (SELECT n.nspname FROM pg_namespace n WHERE n.oid = pp.relnamespace), 'name', pp.relname), 'partitioned', p.relkind = 'p') ORDER BY tree.depth, p.relname)
                 FROM tree JOIN pg_class p ON p.oid = tree.oid JOIN pg_class pp ON pp.oid = tree.parent
                WHERE c.relkind = 'p' AND p.relkind IN ('r', 'p')) AS partitions
         FROM pg_class c WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`,
      [relation],
    ),
  );
  if (rows.length === 0) return undefined;
  return { relkind: rows[0].relkind, columns: rows[0].columns, partitions: rows[0].partitions ?? [] };
}

/**
 * The table as planning needs it: {@link readTableShape}, plus its
 * TimescaleDB dimensions and an `EXISTS` probe of its rows; undefined when it
 * does not exist.
 */
async function readIndexedTable(client: PoolClient, schema: string, table: string): Promise<IndexedTable | undefined> {
  const relation = qualifiedName(schema, table);
  const shape = await readTableShape(client, relation);
  if (!shape) return undefined;
  const dimensions = await readDimensions(client, schema, table);
  const { rows: probe } = await client.query<{ has_rows: boolean }>(`SELECT EXISTS (SELECT FROM ${relation}) AS has_rows`);
  return { ...shape, hypertable: (dimensions ?? []).length > 0, hasRows: probe[0].has_rows };
}

export async function indexFacts(client: PoolClient, desired: IndexSpec): Promise<IndexFacts> {
  const table = await readIndexedTable(client, desired.schema, desired.table);
  const { rows } = await client.query<{ leftover: boolean }>("SELECT to_regclass($1) IS NOT NULL AS leftover", [qualifiedName(desired.schema, temporaryName(desired.name))]);
  return { table, leftover: rows[0].leftover };
}

/**
 * `desired` with its keys, predicate and storage parameters in the server's
 * canonical form: the index is built on an empty temporary copy of the table
 * (`LIKE`) inside a transaction that is rolled back, and read back with the
 * same catalog query as the live index (shared notes: postgres-semantics
 * §10). Before that, the declaration is checked against the live table's
 * columns (missing columns, pgvector operator classes and dimensions), so a
 * table managed elsewhere gets the same errors as a declared one, before any
 * change. Throws naming the index and the fix. No round trip when nothing
 * changed since the previous apply (core/canonical.ts `unchangedSince`).
 */
export async function canonicalizeIndex(client: PoolClient, desired: IndexSpec, live?: IndexSpec, previous?: Previous<IndexSpec>): Promise<IndexSpec> {
  if (unchangedSince(previous, desired, live, (x) => [x.keys, x.where, x.with])) return { ...desired, keys: live.keys, where: live.where, with: live.with };
  const label = `Index ${desired.schema}.${desired.name}`;
  // The columns only: whether the table is a hypertable or holds rows matters to planning (indexFacts), not here.
  const table = await readTableShape(client, qualifiedName(desired.schema, desired.table));
  if (!table) return desired;
  const problems = indexProblems(desired, table.columns);
  if (problems.length > 0) throw new Error(`${label}: ${problems.map((p) => `${p.path.join(".")}: ${p.message}`).join("\n")}`);
  return canonicalFixedPoint(desired, (current) => buildAndReadBack(client, current, label));
}

const SCRATCH_TABLE = "pgstrata_index_scratch";

async function buildAndReadBack(client: PoolClient, desired: IndexSpec, label: string): Promise<IndexSpec> {
  return inRolledBackTransaction(client, async () => {
    const scratch = { ...desired, schema: "pg_temp", table: SCRATCH_TABLE, tablespace: undefined };
    try {
      await runStatement(client, `CREATE TEMPORARY TABLE ${quoteIdent(SCRATCH_TABLE)} (LIKE ${qualifiedName(desired.schema, desired.table)})`);
      await runStatement(client, createIndexSql(scratch, { name: desired.name }));
    } catch (error) {
      throw (
        stoppedError(label, `building the declared index on a scratch copy of ${desired.schema}.${desired.table}`, error) ??
        new Error(
          `${label}: the declared index does not build on ${desired.schema}.${desired.table}: ${(error as Error).message}. ` +
            `Fix the key, operator class, predicate or storage parameter it names (objects outside pg_catalog and public must be schema-qualified).`,
        )
      );
    }
    const built = (await observeIndexRelation(client, `pg_temp.${quoteIdent(desired.name)}`, desired))!;
    return { ...desired, keys: built.keys, where: built.where, with: built.with };
  });
}
