import type { PoolClient } from "pg";
import { prepared } from "./prepared";
import { z } from "zod";
import { qualifiedName, quoteLiteral } from "./quote";
import { interval } from "./spec";
import { step, Step } from "./step";

/**
 * TimescaleDB rules that several kinds share: the license, row security,
 * and policy jobs (`timescaledb_information.jobs`); the columnstore is in
 * core/columnstore.ts.
 */

/** `timescaledb.license`: `timescale` (community, TSL) or `apache`; undefined without TimescaleDB. */
export type License = "timescale" | "apache" | undefined;

/** The server's TimescaleDB license (a per-server setting; TimescaleDB docs "About licenses"). */
export async function readLicense(client: PoolClient): Promise<License> {
  const { rows } = await client.query<{ license: string | null }>(`SELECT ${LICENSE_SQL} AS license`);
  return licenseOf(rows[0].license);
}

/** The SQL expression of the license setting (text, null without TimescaleDB), for a statement that reads more. */
export const LICENSE_SQL = "current_setting('timescaledb.license', true)";

/** The {@link License} of the setting's text. */
export function licenseOf(setting: string | null): License {
  return setting === "timescale" || setting === "apache" ? setting : undefined;
}

/**
 * Throws, before any SQL, when a feature of TimescaleDB's community license
 * (columnstore, policies, continuous aggregates, jobs) is asked of a server
 * that runs another license, naming the resource, the property, the license and
 * `alternative` (what works on that license), if any.
 */
export function requireCommunityLicense(license: License, resource: string, property: string, alternative?: string): void {
  if (license === "timescale") return;
  throw new Error(
    `${resource}: ${property} needs TimescaleDB's community license (timescaledb.license = 'timescale'), but this server runs ` +
      `${license ? `the '${license}' license` : "no TimescaleDB"}, which refuses it. ` +
      (alternative ?? "Run a server with the community license (e.g. the timescale/timescaledb-ha image), or remove " + property + "."),
  );
}

/**
 * TimescaleDB refuses row-level security together with the columnstore
 * (compression) and continuous aggregates (TimescaleDB `process_utility.c`;
 * shared notes: postgres-semantics §7): "columnstore cannot be used on table
 * with row security", "cannot create continuous aggregate on hypertable with
 * row security", and enabling row security once compression is on:
 * "operation not supported on hypertables that have compression enabled".
 * Enabling row security on a hypertable that already has a continuous
 * aggregate is accepted (TimescaleDB 2.29, and the aggregate still refreshes,
 * its rows outside the policies); pgstrata refuses that order too, so that the
 * declaration holds whichever resource is applied first. The refusal, naming both sides (`rowSecurity`, e.g.
 * `rowLevelSecurity of Table events.t`; `features`, e.g. `compression of
 * Hypertable events.t`) and the choice the user has.
 */
export function rowSecurityConflict(relation: string, rowSecurity: string, features: string[]): string {
  return (
    `${features.join(", ")} and ${rowSecurity} cannot both be declared on ${relation}: TimescaleDB refuses the columnstore (compression) and ` +
    `continuous aggregates on a table with row-level security ("columnstore cannot be used on table with row security", ` +
    `"cannot create continuous aggregate on hypertable with row security"). Choose one: remove rowLevelSecurity from the Table, ` +
    `or remove the ${features.length > 1 ? "features" : "feature"} (e.g. aggregate or compress a table that holds no tenant data).`
  );
}

/** Throws, before any SQL, when `relation` has row-level security: TimescaleDB refuses `feature` there. */
export function refuseWithRowSecurity(resource: string, relation: string, rowSecurity: boolean, feature: string): void {
  if (!rowSecurity) return;
  throw new Error(`${resource}: ${rowSecurityConflict(relation, `the row-level security enabled on ${relation}`, [feature])}`);
}

/**
 * What on hypertable `schema.table` makes TimescaleDB refuse row-level
 * security there (columnstore enabled, continuous aggregates built on it), one
 * phrase each; `[]` when nothing does or TimescaleDB is absent. For the Table
 * kind to refuse enabling RLS before any SQL.
 */
export async function featuresRefusingRowSecurity(client: PoolClient, schema: string, table: string): Promise<string[]> {
  const { rows } = await client.query<{ feature: string }>(
    `SELECT 'columnstore (compression) of hypertable ' || $1 || '.' || $2 AS feature
       FROM timescaledb_information.hypertables WHERE hypertable_schema = $1 AND hypertable_name = $2 AND compression_enabled
     UNION ALL
     SELECT 'continuous aggregate ' || view_schema || '.' || view_name
       FROM timescaledb_information.continuous_aggregates WHERE hypertable_schema = $1 AND hypertable_name = $2`,
    [schema, table],
  ).catch((e: { code?: string }) => {
    if (e.code === "42P01") return { rows: [] }; // no TimescaleDB in this database
    throw e;
  });
  return rows.map((r) => r.feature);
}

// ---------------------------------------------------------------- jobs

/** A policy job with its last run, from `timescaledb_information.jobs` and `job_stats`. */
export interface Job {
  jobId: number;
  /** `policy_compression`, `policy_retention`, `policy_refresh_continuous_aggregate`. */
  proc: string;
  scheduleInterval: string;
  scheduled: boolean;
  config: Record<string, unknown>;
  lastRunStatus: string | null;
  lastRunStartedAt: string | null;
  totalFailures: number;
}

/** Keys of a policy job's config that hold intervals: read back in the server's canonical text (IntervalStyle postgres), whatever style wrote them. */
const INTERVAL_CONFIG_KEYS = ["compress_after", "compress_created_before", "drop_after", "drop_created_before", "start_offset", "end_offset"];

/**
 * The id of the hypertable `$1.$2` in TimescaleDB's catalog, or, for the
 * continuous aggregate `$1.$2`, of its materialization hypertable (which
 * holds its chunks, columnstore and jobs): a subquery for `IN`.
 */
export const HYPERTABLE_IDS_SQL = `(SELECT h.id FROM _timescaledb_catalog.hypertable h WHERE h.schema_name = $1 AND h.table_name = $2
   UNION ALL
   SELECT a.mat_hypertable_id FROM _timescaledb_catalog.continuous_agg a WHERE a.user_view_schema = $1 AND a.user_view_name = $2)`;

/**
 * A JSON array of the policy jobs on hypertable or continuous aggregate
 * `$1.$2` ({@link Job}s, by job id), with the columns and texts of
 * `timescaledb_information.jobs` and `job_stats` (TimescaleDB docs), read
 * from TimescaleDB's catalog by the object's name: `job_stats` reads
 * `pg_stat_activity` and every job before it filters.
 */
export const JOBS_SQL = `
COALESCE((SELECT json_agg(json_build_object(
            'jobId', j.id, 'proc', j.proc_name, 'scheduleInterval', j.schedule_interval::text, 'scheduled', j.scheduled,
            'config', (SELECT jsonb_object_agg(k, CASE WHEN k IN (${INTERVAL_CONFIG_KEYS.map(quoteLiteral).join(", ")}) AND jsonb_typeof(v) = 'string'
                                                       THEN to_jsonb((v #>> '{}')::interval::text) ELSE v END)
                         FROM jsonb_each(j.config) e(k, v)),
            'lastRunStatus', CASE WHEN s.last_finish < '4714-11-24 00:00:00+00 BC'::timestamptz THEN NULL
                                  WHEN s.last_finish IS NOT NULL AND s.last_run_success THEN 'Success'
                                  WHEN s.last_finish IS NOT NULL AND NOT s.last_run_success THEN 'Failed' END,
            'lastRunStartedAt', s.last_start::text,
            'totalFailures', COALESCE(s.total_failures, 0)) ORDER BY j.id)
            FROM _timescaledb_catalog.bgw_job j LEFT JOIN _timescaledb_internal.bgw_job_stat s ON s.job_id = j.id
           WHERE j.proc_schema = '_timescaledb_functions'
             AND j.hypertable_id IN ${HYPERTABLE_IDS_SQL}), '[]')`;

/** The policy jobs on hypertable or continuous aggregate `schema.name` ({@link JOBS_SQL}), in one round trip. */
export async function readJobs(client: PoolClient, schema: string, name: string): Promise<Job[]> {
  const { rows } = await client.query<{ jobs: Job[] }>(prepared(`SELECT ${JOBS_SQL} AS jobs`, [schema, name]));
  return rows[0].jobs;
}

/** The jobs an observe read in the statement that read the object, by the object it returned ({@link rememberJobs}). */
const jobsOfObserved = new WeakMap<object, Job[]>();

/** Keeps `jobs`, read in the same statement as `live`, for {@link observedJobs}; returns `live`. */
export function rememberJobs<T extends object>(jobs: Job[], live: T): T {
  jobsOfObserved.set(live, jobs);
  return live;
}

/**
 * The jobs on `schema.name` for the `jobs` output of an object an observe just
 * returned: those it read with the object when it kept them
 * ({@link rememberJobs}), else read now.
 */
export async function observedJobs(client: PoolClient, live: object, schema: string, name: string): Promise<Job[]> {
  return jobsOfObserved.get(live) ?? readJobs(client, schema, name);
}

/** What a resource reports about its jobs on every refresh (the `jobs` output): a failing policy is visible without another tool. */
export interface JobStatus {
  jobId: number;
  proc: string;
  scheduled: boolean;
  lastRunStatus: string | null;
  lastRunStartedAt: string | null;
  totalFailures: number;
}

export function jobStatus(jobs: Job[]): JobStatus[] {
  return jobs.map(({ jobId, proc, scheduled, lastRunStatus, lastRunStartedAt, totalFailures }) => ({ jobId, proc, scheduled, lastRunStatus, lastRunStartedAt, totalFailures }));
}

/** A policy's schedule as declared: `scheduleInterval` unset is TimescaleDB's default (echoed from the live job); `scheduled: false` pauses it. */
export function jobSchedule() {
  return {
    /** How often the job runs, a PostgreSQL interval. Default: TimescaleDB's default for the policy (e.g. 12 hours for compression, 1 day for retention). */
    scheduleInterval: interval().optional(),
    /** Whether the job is scheduled; `false` pauses it (`alter_job(scheduled => false)`). Default true: a job paused by hand is drift that `up` resumes. */
    scheduled: z.boolean().default(true),
  };
}

/**
 * `SELECT alter_job(...)` setting what differs between the live job and the
 * desired schedule and config (TimescaleDB docs "alter_job"); never
 * `add_*_policy(if_not_exists => true)`, which keeps a policy with other
 * arguments and only warns. Undefined when nothing differs.
 */
export function alterJob(job: Job, changes: { scheduleInterval?: string; scheduled: boolean; config?: Record<string, unknown> }): Step | undefined {
  const args: string[] = [];
  if (changes.scheduleInterval !== undefined && changes.scheduleInterval !== job.scheduleInterval) {
    args.push(`schedule_interval => ${quoteLiteral(changes.scheduleInterval)}::interval`);
  }
  if (changes.scheduled !== job.scheduled) args.push(`scheduled => ${changes.scheduled}`);
  if (changes.config && JSON.stringify(changes.config) !== JSON.stringify(job.config)) {
    args.push(`config => ${quoteLiteral(JSON.stringify(changes.config))}::jsonb`);
  }
  return args.length > 0 ? step(`SELECT alter_job(${job.jobId}, ${args.join(", ")})`) : undefined;
}

/** Each text as the server prints it as an interval (`'1 hour'` → `'01:00:00'`), in one round trip; undefined stays undefined. */
export async function canonicalIntervals<T extends (string | undefined)[]>(client: PoolClient, texts: [...T]): Promise<T> {
  const { rows } = await client.query<{ v: (string | null)[] }>("SELECT ARRAY(SELECT x::interval::text FROM unnest($1::text[]) WITH ORDINALITY u(x, i) ORDER BY i) AS v", [
    texts.map((t) => t ?? null),
  ]);
  return rows[0].v.map((v) => v ?? undefined) as T;
}

/** `'"s"."t"'::regclass` for TimescaleDB's functions. */
export function regclass(schema: string, name: string): string {
  return `${quoteLiteral(qualifiedName(schema, name))}::regclass`;
}
