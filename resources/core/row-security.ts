import type { PoolClient } from "pg";

/**
 * TimescaleDB refuses row-level security together with compression
 * (columnstore) and continuous aggregates, in both directions (TimescaleDB
 * `process_utility.c`; shared notes: postgres-semantics §7):
 * - `ALTER TABLE … SET (timescaledb.compress …)` on a table with row security:
 *   "columnstore cannot be used on table with row security";
 * - a continuous aggregate over it: "cannot create continuous aggregate on
 *   hypertable with row security";
 * - `ALTER TABLE … ENABLE ROW LEVEL SECURITY` once compression is enabled:
 *   "operation not supported on hypertables that have compression enabled".
 * Every kind that declares one side checks the other here, at `check` when
 * both are declared in the program, before any SQL otherwise.
 */

/** The refusal, naming both resources and the choice the user has. */
export function rowSecurityConflict(table: string, rowSecurity: string, feature: string): string {
  return (
    `${feature} and ${rowSecurity} cannot both be declared on ${table}: TimescaleDB refuses compression (columnstore) and ` +
    `continuous aggregates on a table with row-level security ("columnstore cannot be used on table with row security"). ` +
    `Choose one: remove rowLevelSecurity from the table, or remove the compression / continuous aggregate (e.g. aggregate a table without tenant data).`
  );
}

/** What of TimescaleDB's is built on a table, in the terms of {@link rowSecurityConflict}. */
export interface TimescaleFeatures {
  /** `compression` of the hypertable, when enabled. */
  compression: boolean;
  /** Continuous aggregates over the hypertable, `schema.name`. */
  continuousAggregates: string[];
}

/** pg error code for "undefined_table" (the information views are absent without TimescaleDB). */
const UNDEFINED_TABLE = "42P01";

/**
 * Compression and continuous aggregates of `schema.table`, in one round trip
 * (timescaledb_information.hypertables, .continuous_aggregates); none when it
 * is not a hypertable or TimescaleDB is not installed.
 */
export async function readTimescaleFeatures(client: PoolClient, schema: string, table: string): Promise<TimescaleFeatures> {
  try {
    const { rows } = await client.query<TimescaleFeatures>(
      `SELECT EXISTS (SELECT FROM timescaledb_information.hypertables
                       WHERE hypertable_schema = $1 AND hypertable_name = $2 AND compression_enabled) AS compression,
              ARRAY(SELECT format('%s.%s', view_schema, view_name) FROM timescaledb_information.continuous_aggregates
                     WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY 1) AS "continuousAggregates"`,
      [schema, table],
    );
    return rows[0];
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE && /timescaledb_information/.test((error as Error).message)) return { compression: false, continuousAggregates: [] };
    throw error;
  }
}

/** The features of `f` as resource-like names for {@link rowSecurityConflict}, e.g. `compression of hypertable events.t`. */
export function describeTimescaleFeatures(table: string, f: TimescaleFeatures): string[] {
  return [...(f.compression ? [`compression of hypertable ${table}`] : []), ...f.continuousAggregates.map((v) => `continuous aggregate ${v}`)];
}
