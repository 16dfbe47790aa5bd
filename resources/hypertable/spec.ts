import { z } from "zod";
import { HYPERTABLE_PARTITIONING_RULE, partitioningKeyProblems } from "../core/partitioning";
import { declaredTable, schemaName, identifier, interval, isWholeDays } from "../core/spec";
import { ColumnstorePolicy, columnstorePolicy, COLUMNSTORE_POLICY_NEEDS_COMPRESSION, columnstoreSettings } from "../core/columnstore";
import { INTEGER_TIME_MAX, integerNowFunction, thresholdKindProblem, timeColumnKind, timeThreshold } from "../core/time-column";
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
 * `chunkInterval`: a PostgreSQL interval for a time column, or a number of
 * the column's own units for an integer one (TimescaleDB docs
 * "create_hypertable", `chunk_time_interval`); default `'7 days'`. Interval
 * text is checked as {@link interval} with {@link CHUNK_INTERVAL_BOUNDS}.
 */
function chunkInterval() {
  const units = z.number().int("an integer time column's chunkInterval is a whole number of its units").min(1, "chunkInterval must be at least 1");
  return z.union([z.number(), z.string()]).optional().transform((value) => value ?? "7 days").pipe(timeThreshold(interval(CHUNK_INTERVAL_BOUNDS), units));
}

/**
 * Whether `chunkInterval` suits the time column `column` of type `type` (the
 * server's spelling; undefined: not known, no problem). TimescaleDB keeps a
 * `date` column's chunks on day boundaries: an interval that is not a whole
 * number of days (months as 30, years as 360) is refused by create_hypertable
 * and set_chunk_time_interval ("invalid interval for date dimension";
 * TimescaleDB src/dimension.c, checked on 2.29 under both licenses:
 * test/integration/chunk-interval.test.ts); the columnstore, retention and
 * refresh policies take any interval on such a table. An integer column
 * takes a number of its units, at most the type's maximum; a time column an
 * interval. Undefined when it suits, else the message with the fix.
 */
export function chunkIntervalProblem(relation: string, column: string, type: string | undefined, chunkInterval: string | number): string | undefined {
  const mismatch = thresholdKindProblem("chunkInterval", chunkInterval, relation, column, type, { units: "86400000 for a day of epoch milliseconds (the default '7 days' does not apply)", interval: "'1 day' or '7 days'" });
  if (mismatch) return mismatch;
  const time = timeColumnKind(type);
  if (time?.kind === "integer") {
    return (chunkInterval as number) > INTEGER_TIME_MAX[time.base] ? `chunkInterval ${chunkInterval} exceeds the largest ${time.base} (${INTEGER_TIME_MAX[time.base]}), and the time column "${column}" of ${relation} is of type ${type}` : undefined;
  }
  if (time?.base !== "date" || isWholeDays(chunkInterval as string)) return undefined;
  return `chunkInterval ${JSON.stringify(chunkInterval)} is not a whole number of days, and the time column "${column}" of ${relation} is of type ${type}, whose chunks TimescaleDB cuts on day boundaries ("invalid interval for date dimension"): use whole days, e.g. '1 day', '7 days' or '1 month' (30 days), or make the column timestamptz`;
}

/**
 * Whether the columnstore policy's `after` suits the time column (as
 * {@link chunkIntervalProblem}): an interval for a time column, a number of
 * its units for an integer one (TimescaleDB's add_compression_policy refuses
 * an interval there: "invalid value for parameter compress_after").
 * Undefined when it suits, else the message with the fix.
 */
export function columnstorePolicyProblem(relation: string, column: string, type: string | undefined, policy: ColumnstorePolicy | undefined): string | undefined {
  return policy && thresholdKindProblem("columnstorePolicy.after", policy.after, relation, column, type, { units: "86400000 to compress chunks older than a day of epoch milliseconds", interval: "'7 days'" });
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
      /** The time dimension's column (timestamptz, timestamp, date, or an integer type, NOT NULL). Changing it replaces the hypertable: a `data-loss` hazard when the table holds rows. */
      timeColumn: identifier(),
      /**
       * Range of one chunk: for a time column (timestamptz, timestamp, date) a PostgreSQL interval from 1 microsecond to
       * `106751991 days 04:00:54.775807` (months count as 30 days), whole days for `date`; for an integer column (smallint,
       * integer, bigint) a number of the column's units, at most the type's maximum. Default `'7 days'` (TimescaleDB's default
       * for time columns; an integer column must give its own). Changes in place (`set_chunk_time_interval`) and affects new
       * chunks only.
       */
      chunkInterval: chunkInterval(),
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
       * ends more than `after` ago are compressed, every `scheduleInterval` (default TimescaleDB's, 12 hours for daily chunks).
       * `after` is an interval for a time column, a number of the column's units for an integer one (which also needs
       * `integerNow`). Needs `compression`. Changes through `alter_job`; unset removes the policy.
       */
      columnstorePolicy: columnstorePolicy(timeThreshold(interval())),
      /**
       * For an integer time column: the function returning "now" in the column's units, schema-qualified (`'public.unix_now'`),
       * set with `set_integer_now_func` after the hypertable is created (TimescaleDB calls it at every run of the columnstore and
       * retention policies; without it, an integer hypertable's policy job fails at every run). Changes in place; unset leaves
       * the live function as it is (not diffed).
       */
      integerNow: integerNowFunction().optional(),
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
        const problem = chunkIntervalProblem(`${h.schema}.${h.table}`, h.timeColumn, column.type, h.chunkInterval);
        if (problem) ctx.addIssue({ code: "custom", path: ["chunkInterval"], message: problem });
        const policyProblem = columnstorePolicyProblem(`${h.schema}.${h.table}`, h.timeColumn, column.type, h.columnstorePolicy);
        if (policyProblem) ctx.addIssue({ code: "custom", path: ["columnstorePolicy", "after"], message: policyProblem });
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
