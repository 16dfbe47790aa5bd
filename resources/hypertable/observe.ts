import type { PoolClient } from "pg";
import { qualifiedName } from "../core/quote";
import { countRows } from "../table/observe";
import { HypertableSpec } from "./spec";

/** pg error code for "undefined_table": timescaledb_information is missing. */
const UNDEFINED_TABLE = "42P01";

/** Throws a named error when TimescaleDB is not installed in the database. */
async function query<R extends object>(client: PoolClient, resource: string, sql: string, params: unknown[]): Promise<R[]> {
  try {
    return (await client.query<R>(sql, params)).rows;
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE && /timescaledb_information/.test((error as Error).message)) {
      throw new Error(`${resource}: the TimescaleDB extension is not installed in this database: run CREATE EXTENSION timescaledb (it must be in shared_preload_libraries).`);
    }
    throw error;
  }
}

/**
 * Live dimensions of the hypertable (timescaledb_information.dimensions), in
 * one round trip; undefined when the table is not a hypertable. `migrateData`
 * and `declaredTable` are echoed from `desired`.
 */
export async function observeHypertable(client: PoolClient, desired: HypertableSpec): Promise<HypertableSpec | undefined> {
  const rows = await query<{ column_name: string; dimension_type: string; time_interval: string | null; integer_interval: string | null; num_partitions: number | null }>(
    client,
    `Hypertable ${desired.schema}.${desired.table}`,
    `SELECT column_name, dimension_type, time_interval::text AS time_interval, integer_interval::text AS integer_interval, num_partitions
       FROM timescaledb_information.dimensions
      WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY dimension_number`,
    [desired.schema, desired.table],
  );
  const time = rows.find((d) => d.dimension_type === "Time");
  if (!time) return undefined;
  const hash = rows.find((d) => d.dimension_type === "Space");
  return {
    schema: desired.schema,
    table: desired.table,
    timeColumn: time.column_name,
    chunkInterval: time.time_interval ?? time.integer_interval ?? "",
    hashDimension: hash ? { column: hash.column_name, partitions: hash.num_partitions ?? 0 } : undefined,
    migrateData: desired.migrateData,
    declaredTable: desired.declaredTable,
  };
}

/** What planning a hypertable needs to know about its table. */
export interface HypertableFacts {
  tableExists: boolean;
  /** Rows in the table, exact up to the table kind's count cap. */
  rows: number;
  /** The live PRIMARY KEY / UNIQUE constraints of the table. */
  keys: { name: string; columns: string[]; primary: boolean }[];
}

/** Reads whether the table exists, its key constraints and its row count (capped). */
export async function hypertableFacts(client: PoolClient, desired: HypertableSpec): Promise<HypertableFacts> {
  const relation = qualifiedName(desired.schema, desired.table);
  const { rows } = await client.query<{ keys: HypertableFacts["keys"] | null; exists: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS exists,
            (SELECT json_agg(json_build_object('name', k.conname, 'primary', k.contype = 'p',
                    'columns', ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i)
                                       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i)) ORDER BY k.conname)
               FROM pg_constraint k WHERE k.conrelid = to_regclass($1) AND k.contype IN ('p', 'u')) AS keys`,
    [relation],
  );
  if (!rows[0].exists) return { tableExists: false, rows: 0, keys: [] };
  return { tableExists: true, rows: await countRows(client, relation), keys: rows[0].keys ?? [] };
}

/**
 * `desired` with `chunkInterval` as TimescaleDB stores and prints it: the
 * dimension keeps microseconds with 30-day months, and the information view
 * prints them justified to days (`'1 month'` → `'30 days'`, `'1 year'` →
 * `'360 days'`, `'36 hours'` → `'1 day 12:00:00'`).
 */
export async function canonicalizeHypertable(client: PoolClient, desired: HypertableSpec): Promise<HypertableSpec> {
  const { rows } = await client.query<{ interval: string }>(
    `SELECT justify_hours(make_interval(days => m * 30) + (v - make_interval(months => m)))::text AS interval
       FROM (SELECT v, (EXTRACT(year FROM v) * 12 + EXTRACT(month FROM v))::int AS m FROM (SELECT $1::interval AS v) i) s`,
    [desired.chunkInterval],
  );
  return { ...desired, chunkInterval: rows[0].interval };
}
