import type { PoolClient } from "pg";
import { prepared } from "./prepared";

/** One dimension of a hypertable, intervals as text (IntervalStyle postgres), as `timescaledb_information.dimensions` prints them. */
export interface Dimension {
  column_name: string;
  dimension_type: "Time" | "Space";
  time_interval: string | null;
  integer_interval: string | null;
  num_partitions: number | null;
}

/** pg error code for "undefined_table". */
const UNDEFINED_TABLE = "42P01";

/**
 * A JSON array of the dimensions of the hypertable `$1.$2` in dimension order
 * (`[]` when it is not a hypertable), with the columns and texts of
 * `timescaledb_information.dimensions`. Read from TimescaleDB's catalog by the
 * hypertable's name (an index lookup): the view ranks the dimensions of every
 * hypertable before it filters, so its cost grows with their number.
 */
export const DIMENSIONS_SQL = `
COALESCE((SELECT json_agg(json_build_object(
            'column_name', d.column_name,
            'dimension_type', CASE WHEN d.interval_length IS NULL THEN 'Space' ELSE 'Time' END,
            'time_interval', CASE WHEN d.column_type IN ('timestamp'::regtype, 'timestamptz'::regtype, 'date'::regtype)
                                  THEN _timescaledb_functions.to_interval(d.interval_length)::text END,
            'integer_interval', CASE WHEN d.column_type NOT IN ('timestamp'::regtype, 'timestamptz'::regtype, 'date'::regtype)
                                     THEN d.interval_length::text END,
            'num_partitions', d.num_slices) ORDER BY d.id)
            FROM _timescaledb_catalog.hypertable h JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id
           WHERE h.schema_name = $1 AND h.table_name = $2), '[]')`;

/** Whether `error` says that TimescaleDB's catalog does not exist in the database. */
export function timescaleMissing(error: unknown): boolean {
  return (error as { code?: string }).code === UNDEFINED_TABLE && /_timescaledb_catalog/.test((error as Error).message);
}

/**
 * The dimensions of `schema.table` in dimension order, in one round trip:
 * `[]` when it is not a hypertable, undefined when TimescaleDB is not
 * installed in the database.
 */
export async function readDimensions(client: PoolClient, schema: string, table: string): Promise<Dimension[] | undefined> {
  try {
    const { rows } = await client.query<{ dimensions: Dimension[] }>(prepared(`SELECT ${DIMENSIONS_SQL} AS dimensions`, [schema, table]));
    return rows[0].dimensions;
  } catch (error) {
    if (timescaleMissing(error)) return undefined;
    throw error;
  }
}
