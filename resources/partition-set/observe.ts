import type { PoolClient } from "pg";
import { previousCanonical } from "../core/canonical";
import type { Previous } from "../core/kind";
import { cappedRowCount } from "../core/row-count";
import { ROW_COUNT_CAP } from "../core/step";
import { Connection } from "../core/connection";
import { CRON_CONTEXT_SQL, CronContext, readCronJob } from "../core/cron";
import { qualifiedName, quoteIdent } from "../core/quote";
import { timeColumnKind } from "../core/time-column";
import { PartitionSetSpec } from "./spec";

/** Where the set's pieces live, read in one round trip before anything else: pg_partman's schema, this database and pg_cron's (core/cron.ts), the parent. */
export interface SetContext extends CronContext {
  /** Schema of the pg_partman extension; observing throws when it is not installed. */
  partman: string;
  /** Whether the parent exists. */
  parentExists: boolean;
  /** `pg_partitioned_table.partstrat` of the parent (`r`, `l`, `h`); null when it is not partitioned. */
  strategy: string | null;
  /** The parent's default partition (regclass text), if any. */
  defaultPartition: string | null;
  /** `format_type` of the control column; null when the parent has no such column. */
  controlType: string | null;
}

/** The pg_cron job name of a set: unique per server, since pg_cron's database holds the jobs of every database. */
export const jobName = (context: SetContext, s: PartitionSetSpec) => `pgstrata partman ${context.database}.${s.schema}.${s.parent}`;
/** The `parent_table` of `partman.part_config`: `schema.table`. */
export const parentTable = (s: PartitionSetSpec) => `${s.schema}.${s.parent}`;
/** Whether the control column is a time (as opposed to an integer): core/time-column.ts `timeColumnKind`. */
const isTime = (context: SetContext) => timeColumnKind(context.controlType ?? undefined)?.kind === "time";

export async function readContext(client: PoolClient, desired: PartitionSetSpec): Promise<SetContext> {
  const { rows } = await client.query<SetContext>(
    `SELECT (SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_partman') AS partman,
            ${CRON_CONTEXT_SQL},
            c.oid IS NOT NULL AS "parentExists", p.partstrat::text AS strategy,
            CASE WHEN p.partdefid <> 0 THEN p.partdefid::regclass::text END AS "defaultPartition",
            (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped) AS "controlType"
       FROM (SELECT to_regclass($1) AS oid) c LEFT JOIN pg_partitioned_table p ON p.partrelid = c.oid`,
    [qualifiedName(desired.schema, desired.parent), desired.control],
  );
  const context = rows[0];
  if (!context.partman) {
    throw new Error(
      `PartitionSet ${parentTable(desired)}: the pg_partman extension is not installed in database ${context.database}: run CREATE SCHEMA partman; CREATE EXTENSION pg_partman SCHEMA partman (pg_partman 5).`,
    );
  }
  return context;
}

/** One row of `partman.part_config`, plus whether its partitions reach now (or the largest value) + premake × interval. */
interface ConfigRow {
  control: string;
  interval: string;
  premake: number;
  retention: string | null;
  keepTable: boolean;
  template: string | null;
  ahead: boolean | null;
}

/**
 * The set's `part_config` row and its coverage, in one round trip: the newest
 * partition's end (`show_partitions` / `show_partition_info`) must lie beyond
 * now + premake × interval for a time control column, or beyond the largest
 * value + premake × step for an integer one.
 */
export async function readConfig(client: PoolClient, desired: PartitionSetSpec, context: SetContext): Promise<ConfigRow | undefined> {
  const partman = quoteIdent(context.partman);
  const ahead = isTime(context)
    ? "i.child_end_time > now() + c.premake * c.partition_interval::interval"
    : `i.child_end_id > COALESCE((SELECT max(${quoteIdent(desired.control)}) FROM ${qualifiedName(desired.schema, desired.parent)}), 0) + c.premake * c.partition_interval::bigint`;
  const { rows } = await client.query<ConfigRow>(
    `SELECT c.control, c.partition_interval AS interval, c.premake, c.retention, c.retention_keep_table AS "keepTable", c.template_table AS template,
            (SELECT ${ahead} FROM ${partman}.show_partitions(c.parent_table, 'DESC') s,
                    LATERAL ${partman}.show_partition_info(format('%I.%I', s.partition_schemaname, s.partition_tablename), c.partition_interval, c.parent_table) i
              LIMIT 1) AS ahead
       FROM ${partman}.part_config c WHERE c.parent_table = $1`,
    [parentTable(desired)],
  );
  return rows[0];
}

/**
 * Live state of the set: its `part_config` row, the parent's default
 * partition, the maintenance job (only an active one counts) and coverage;
 * undefined when pg_partman does not manage the parent. Three round trips
 * (context, config with coverage, the job in pg_cron's database).
 * `startPartition` is echoed from `desired`.
 */
export async function observePartitionSet(client: PoolClient, desired: PartitionSetSpec, connection: Connection): Promise<PartitionSetSpec | undefined> {
  const context = await readContext(client, desired);
  if (context.strategy !== "r") return undefined;
  const config = await readConfig(client, desired, context);
  if (!config) return undefined;
  const job = await readCronJob(client, connection, `PartitionSet ${parentTable(desired)}`, context, jobName(context, desired));
  return {
    schema: desired.schema,
    parent: desired.parent,
    control: config.control,
    interval: config.interval,
    premake: config.premake,
    startPartition: desired.startPartition,
    retention: config.retention ?? undefined,
    retentionKeepTable: config.keepTable,
    defaultPartition: context.defaultPartition !== null,
    maintenance: job?.active ? { schedule: job.schedule } : undefined,
    premadeAhead: config.ahead === true,
  };
}

/**
 * `desired` with `interval` and `retention` as pg_partman stores them when
 * pgstrata writes them: intervals as the server prints them (`'1 month'` →
 * `'1 mon'`), integer steps as they are; no round trip for texts declared
 * as in the previous apply (core/canonical.ts `previousCanonical`).
 */
export async function canonicalizePartitionSet(client: PoolClient, desired: PartitionSetSpec, _live?: PartitionSetSpec, previous?: Previous<PartitionSetSpec>): Promise<PartitionSetSpec> {
  const interval = previous && previousCanonical(desired.interval, previous.declared.interval, previous.observed.interval);
  const retention = desired.retention === undefined ? undefined : previous && previousCanonical(desired.retention, previous.declared.retention, previous.observed.retention);
  if (interval !== undefined && (retention !== undefined || desired.retention === undefined)) return { ...desired, interval, retention };
  const { rows } = await client.query<{ interval: string; retention: string | null }>(
    `SELECT CASE WHEN $1 ~ '^\\d+$' THEN $1 ELSE $1::interval::text END AS interval,
            CASE WHEN $2 ~ '^\\d+$' THEN $2 ELSE $2::interval::text END AS retention`,
    [desired.interval, desired.retention ?? null],
  );
  return { ...desired, interval: rows[0].interval, retention: rows[0].retention ?? undefined };
}

/** What planning a set needs, read while planning only. */
export interface PartitionSetFacts {
  context: SetContext;
  /** The `part_config` row's template table, dropped with the set. */
  template: string | null;
  /** Rows in the default partition (capped). */
  defaultRows: number;
  /** Partitions that maintenance under the desired retention removes, with their rows (capped); only for a set that exists. */
  expiring: { partition: string; rows: number }[];
}

/** Rows of each partition the desired retention would remove (pg_partman drops a partition once its whole range is older than the retention). */
async function expiringPartitions(client: PoolClient, desired: PartitionSetSpec, context: SetContext): Promise<PartitionSetFacts["expiring"]> {
  if (desired.retention === undefined) return [];
  const partman = quoteIdent(context.partman);
  const expired = isTime(context)
    ? "i.child_end_time <= now() - $2::interval"
    : `i.child_end_id <= (SELECT max(${quoteIdent(desired.control)}) FROM ${qualifiedName(desired.schema, desired.parent)}) - $2::bigint`;
  const { rows } = await client.query<{ partition: string; rows: number }>(
    `SELECT format('%I.%I', s.partition_schemaname, s.partition_tablename) AS partition,
            ${cappedRowCount("format('%I.%I', s.partition_schemaname, s.partition_tablename)")} AS rows
       FROM ${partman}.show_partitions($1) s,
            LATERAL ${partman}.show_partition_info(format('%I.%I', s.partition_schemaname, s.partition_tablename), NULL, $1) i
      WHERE ${expired}
      ORDER BY 1`,
    [parentTable(desired), desired.retention],
  );
  return rows;
}

/** Reads the facts: context, template, the default partition's rows and, for a set that exists, the partitions the desired retention removes. */
export async function partitionSetFacts(client: PoolClient, desired: PartitionSetSpec, live: PartitionSetSpec | undefined): Promise<PartitionSetFacts> {
  const context = await readContext(client, desired);
  const config = live ? await readConfig(client, desired, context) : undefined;
  const defaultRows = context.defaultPartition
    ? (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${context.defaultPartition} LIMIT ${ROW_COUNT_CAP}) x`)).rows[0].n
    : 0;
  return { context, template: config?.template ?? null, defaultRows, expiring: live ? await expiringPartitions(client, desired, context) : [] };
}
