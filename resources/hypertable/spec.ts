import { z } from "zod";
import { HYPERTABLE_PARTITIONING_RULE, partitioningKeyProblems } from "../core/partitioning";
import { declaredTable, schemaName, identifier, interval, isWholeDays } from "../core/spec";
import { columnstorePolicy, COLUMNSTORE_POLICY_NEEDS_COMPRESSION, columnstoreSettings } from "../core/columnstore";
import { rowSecurityConflict } from "../core/timescaledb";

/**
 * TimescaleDB keeps a chunk interval as a 64-bit count of microseconds (months
 * as 30 days): less than one microsecond is stored as zero, more than 2^63 - 1
 * wraps around, and create_hypertable accepts both while every insert then
 * fails ("floating-point exception", "timestamp out of range"). Checked
 * against TimescaleDB 2.19 and 2.29 (test/integration/chunk-interval.test.ts).
 */
const CHUNK_INTERVAL_BOUNDS = {
  min: 1n,
  max: 2n ** 63n - 1n,
  message: "chunkInterval must be between 1 microsecond and 106751991 days 04:00:54.775807 (about 296533 years), as TimescaleDB stores it in microseconds (a month as 30 days): choose e.g. '1 day' or '7 days'",
};

/**
 * TimescaleDB keeps a `date` time column's chunks on day boundaries: an
 * interval that is not a whole number of days (months as 30, years as 360) is
 * refused by create_hypertable and set_chunk_time_interval ("invalid interval
 * for date dimension"; TimescaleDB src/dimension.c, checked on 2.29 under
 * both licenses: test/integration/chunk-interval.test.ts). The columnstore,
 * retention and refresh policies take any interval on such a table.
 * Undefined when `chunkInterval` suits a column of type `type`.
 */
export function dateChunkIntervalProblem(relation: string, column: string, type: string | undefined, chunkInterval: string): string | undefined {
  if (type !== "date" || isWholeDays(chunkInterval)) return undefined;
  return `chunkInterval ${JSON.stringify(chunkInterval)} is not a whole number of days, and the time column "${column}" of ${relation} is of type date, whose chunks TimescaleDB cuts on day boundaries ("invalid interval for date dimension"): use whole days, e.g. '1 day', '7 days' or '1 month' (30 days), or make the column timestamptz`;
}

/**
 * A TimescaleDB hypertable over an existing table (TimescaleDB docs
 * "create_hypertable", "add_dimension"). Rule checked at `check` when the
 * table's declaration is known (the table is a {@link Table} of the same
 * program) and before any SQL otherwise: every PRIMARY KEY and UNIQUE
 * constraint must include the time column and the hash column (TimescaleDB
 * docs "Hypertables and unique indexes").
 */
export function hypertableSpec() {
  return z
    .strictObject({
      /** Schema of the table. */
      schema: schemaName(),
      /** The table to partition into chunks. Changing it replaces the hypertable. */
      table: identifier(),
      /** The time dimension's column (timestamptz, timestamp or date, NOT NULL). Changing it replaces the hypertable: a `data-loss` hazard when the table holds rows. */
      timeColumn: identifier(),
      /** Time range of one chunk, a PostgreSQL interval from 1 microsecond to `106751991 days 04:00:54.775807` (months count as 30 days); whole days when the time column is of type `date`. Default `7 days` (TimescaleDB's default). Changes in place (`set_chunk_time_interval`) and affects new chunks only. */
      chunkInterval: interval(CHUNK_INTERVAL_BOUNDS).default("7 days"),
      /** Optional hash (space) dimension: `column` and `partitions` (1–32767). Partitions change in place (`set_number_partitions`); adding one works on a hypertable with data (`add_dimension`); removing one or changing its column replaces the hypertable. */
      hashDimension: z.strictObject({ column: identifier(), partitions: z.number().int().min(1).max(32767) }).optional(),
      /**
       * Columnstore (compression) settings (TimescaleDB community license): `{ enabled (default true), segmentBy: [column…],
       * orderBy: [{ column, order: "ASC" | "DESC", nulls: "FIRST" | "LAST" }] }`. Unset `segmentBy` / `orderBy` leave the choice to
       * TimescaleDB (never diffed). Changes apply in place to chunks compressed later. Unset (or `enabled: false`) disables the
       * columnstore, refused while chunks are compressed (decompress them first). Refused on a table with row-level security.
       */
      compression: columnstoreSettings(),
      /**
       * The columnstore (compression) policy (TimescaleDB community license, `add_compression_policy`): chunks whose time range
       * ends more than `after` (an interval) ago are compressed, every `scheduleInterval` (default TimescaleDB's, 12 hours
       * for daily chunks). Needs `compression`. Changes through `alter_job`; unset removes the policy.
       */
      columnstorePolicy: columnstorePolicy(),
      /** Allow converting a table that already holds rows (`migrate_data => true`: locks the table and copies every row into chunks). Default false. */
      migrateData: z.boolean().default(false),
      /** The table's declared columns (name and nullability) and PRIMARY KEY / UNIQUE constraints, filled in by {@link Hypertable} from a {@link Table} of the same program. Read by `check` only: dropped from the checked inputs, so a change of the table alone is no change of the hypertable. */
      declaredTable: declaredTable().optional(),
    })
    .superRefine((h, ctx) => {
      if (h.columnstorePolicy && !h.compression) {
        ctx.addIssue({ code: "custom", path: ["columnstorePolicy"], message: COLUMNSTORE_POLICY_NEEDS_COMPRESSION });
      }
      if (!h.declaredTable) return;
      const column = h.declaredTable.columns.find((c) => c.name === h.timeColumn);
      if (!column) {
        ctx.addIssue({ code: "custom", path: ["timeColumn"], message: `table ${h.schema}.${h.table} declares no column "${h.timeColumn}": name one of ${h.declaredTable.columns.map((c) => c.name).join(", ")}` });
      } else {
        if (column.nullable) {
          ctx.addIssue({ code: "custom", path: ["timeColumn"], message: `time column "${h.timeColumn}" of ${h.schema}.${h.table} is nullable: declare it nullable: false (TimescaleDB makes it NOT NULL)` });
        }
        const dateProblem = dateChunkIntervalProblem(`${h.schema}.${h.table}`, h.timeColumn, column.type, h.chunkInterval);
        if (dateProblem) ctx.addIssue({ code: "custom", path: ["chunkInterval"], message: dateProblem });
      }
      // On the property the user wrote (declaredTable is filled in by Hypertable from the Table).
      const partitioning: [string, string[]][] = [[h.timeColumn, ["timeColumn"]], ...(h.hashDimension ? [[h.hashDimension.column, ["hashDimension", "column"]] as [string, string[]]] : [])];
      for (const [column, path] of partitioning) {
        for (const message of partitioningKeyProblems(`${h.schema}.${h.table}`, [column], h.declaredTable.keys, HYPERTABLE_PARTITIONING_RULE)) ctx.addIssue({ code: "custom", path, message });
      }
      if (h.compression && h.declaredTable.rowLevelSecurity) {
        const table = `${h.schema}.${h.table}`;
        ctx.addIssue({ code: "custom", path: ["compression"], message: rowSecurityConflict(table, `rowLevelSecurity of Table ${table}`, [`compression of Hypertable ${table}`]) });
      }
    });
}

/**
 * One message per PRIMARY KEY / UNIQUE constraint of `h.declaredTable` that
 * lacks a partitioning column, naming the constraint and the fix.
 */
export function keyProblems(h: { schema: string; table: string; timeColumn: string; hashDimension?: { column: string }; declaredTable?: { keys: { name: string; columns: string[] }[] } }): string[] {
  return partitioningKeyProblems(`${h.schema}.${h.table}`, [h.timeColumn, ...(h.hashDimension ? [h.hashDimension.column] : [])], h.declaredTable?.keys ?? [], HYPERTABLE_PARTITIONING_RULE);
}

export type HypertableSpec = z.output<ReturnType<typeof hypertableSpec>>;
export type HypertableInput = z.input<ReturnType<typeof hypertableSpec>>;
