import type { PoolClient } from "pg";

/** One row of `timescaledb_information.dimensions`, intervals as text (IntervalStyle postgres). */
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
 * The dimensions of `schema.table` in dimension order, in one round trip:
 * `[]` when it is not a hypertable, undefined when TimescaleDB is not
 * installed in the database.
 */
export async function readDimensions(client: PoolClient, schema: string, table: string): Promise<Dimension[] | undefined> {
  try {
    const { rows } = await client.query<Dimension>(
      `SELECT column_name, dimension_type, time_interval::text AS time_interval, integer_interval::text AS integer_interval, num_partitions
         FROM timescaledb_information.dimensions
        WHERE hypertable_schema = $1 AND hypertable_name = $2 ORDER BY dimension_number`,
      [schema, table],
    );
    return rows;
  } catch (error) {
    if ((error as { code?: string }).code === UNDEFINED_TABLE && /timescaledb_information/.test((error as Error).message)) return undefined;
    throw error;
  }
}
