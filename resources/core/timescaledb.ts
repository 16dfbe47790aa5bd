import type { PoolClient } from "pg";
import { z } from "zod";
import { qualifiedName, quoteIdent, quoteLiteral } from "./quote";
import { identifier, interval } from "./spec";
import { step, Step } from "./step";

/**
 * TimescaleDB rules that several kinds share: the license, the columnstore
 * (compression) settings of a hypertable or continuous aggregate, and policy
 * jobs (`timescaledb_information.jobs`).
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
 * (compression) and continuous aggregates, in both directions (TimescaleDB
 * `process_utility.c`; shared notes: postgres-semantics §7): "columnstore
 * cannot be used on table with row security", "cannot create continuous
 * aggregate on hypertable with row security", and enabling row security once
 * compression is on: "operation not supported on hypertables that have
 * compression enabled". The refusal, naming both sides (`rowSecurity`, e.g.
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

// ---------------------------------------------------------------- columnstore settings

/**
 * Columnstore (compression) settings of a hypertable or continuous aggregate
 * (TimescaleDB docs "ALTER TABLE (hypercore)": `timescaledb.enable_columnstore`,
 * `timescaledb.segmentby`, `timescaledb.orderby`). `segmentBy` / `orderBy` left
 * unset are TimescaleDB's own choice (it picks per chunk when compressing) and
 * are never diffed. `enabled: false` is the same as no `compression`.
 * `nulls` defaults as in PostgreSQL's ORDER BY: `LAST` for `ASC`, `FIRST` for `DESC`.
 */
export function columnstoreSettings() {
  const orderBy = z
    .strictObject({
      column: identifier(),
      order: z.enum(["ASC", "DESC"]).default("ASC"),
      nulls: z.enum(["FIRST", "LAST"]).optional(),
    })
    .transform((o) => ({ ...o, nulls: o.nulls ?? (o.order === "DESC" ? "FIRST" : "LAST") }));
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      segmentBy: z.array(identifier()).optional(),
      orderBy: z.array(orderBy).optional(),
    })
    .optional()
    .transform((c) => (c?.enabled ? c : undefined));
}

export type ColumnstoreSettings = NonNullable<z.output<ReturnType<typeof columnstoreSettings>>>;

/** The live columnstore settings of `relation` (a quoted name): undefined when the columnstore is not enabled. */
export interface LiveColumnstore {
  enabled: boolean;
  segmentBy: string[] | null;
  orderBy: { column: string; order: "ASC" | "DESC"; nulls: "FIRST" | "LAST" }[] | null;
  /** Chunks currently in the columnstore. */
  compressedChunks: number;
}

/**
 * A JSON object (null when `$1.$2` is not a hypertable): whether the
 * columnstore of hypertable `$1.$2` (for a continuous aggregate, its
 * materialization hypertable) is enabled, its segmentby / orderby (from
 * `_timescaledb_catalog.compression_settings`, the arrays behind
 * `timescaledb_information.hypertable_columnstore_settings`), and how many of
 * its chunks are compressed. Read from TimescaleDB's catalog by the
 * hypertable's name (an index lookup), with the tests of
 * `timescaledb_information.hypertables` (`compression_enabled`: status bit 4)
 * and `timescaledb_information.chunks` (`is_compressed`: status bit 1, OSM
 * chunks left out): both views read every hypertable before they filter.
 */
export const COLUMNSTORE_SQL = `
(SELECT json_build_object(
          'enabled', (h.status & 4) = 4,
          'segmentBy', s.segmentby::text[],
          'orderBy', (SELECT json_agg(json_build_object('column', o.col, 'order', CASE WHEN o.des THEN 'DESC' ELSE 'ASC' END,
                                                        'nulls', CASE WHEN o.nf THEN 'FIRST' ELSE 'LAST' END) ORDER BY o.i)
                        FROM unnest(s.orderby::text[], s.orderby_desc, s.orderby_nullsfirst) WITH ORDINALITY o(col, des, nf, i)),
          'compressedChunks', (SELECT count(*)::int FROM _timescaledb_catalog.chunk c
                                WHERE c.hypertable_id = h.id AND c.osm_chunk IS FALSE AND (c.status & 1) = 1
                                  AND EXISTS (SELECT FROM pg_class r WHERE r.oid = c.relid)))
   FROM _timescaledb_catalog.hypertable h
   LEFT JOIN _timescaledb_catalog.compression_settings s ON s.relid = format('%I.%I', h.schema_name, h.table_name)::regclass
  WHERE h.schema_name = $1 AND h.table_name = $2)`;

/** What {@link COLUMNSTORE_SQL} yields, for a relation that is not a hypertable too. */
export function liveColumnstore(json: LiveColumnstore | null): LiveColumnstore {
  return json ?? { enabled: false, segmentBy: null, orderBy: null, compressedChunks: 0 };
}

/** `live` in the canonical shape of `desired`: unset segmentBy / orderBy are echoed (TimescaleDB's choice is not diffed). */
export function observedColumnstore(live: LiveColumnstore, desired: ColumnstoreSettings | undefined): ColumnstoreSettings | undefined {
  if (!live.enabled) return undefined;
  return {
    enabled: true,
    segmentBy: desired?.segmentBy && (live.segmentBy ?? []),
    orderBy: desired?.orderBy && (live.orderBy ?? []),
  };
}

/**
 * Steps taking the columnstore of `relation` (quoted qualified name;
 * `ALTER TABLE` or `ALTER MATERIALIZED VIEW` per `objectType`) from `live` to
 * `desired`. Changed settings apply to chunks compressed later: the step says
 * so in a comment (shown in `appliedSql`). Throws, naming the resource and the
 * fix, when disabling it while chunks are compressed (TimescaleDB: "cannot
 * disable columnstore on hypertable with columnstore chunks").
 */
export function planColumnstore(
  resource: string,
  objectType: "TABLE" | "MATERIALIZED VIEW",
  relation: string,
  live: ColumnstoreSettings | undefined,
  desired: ColumnstoreSettings | undefined,
  compressedChunks: number,
): Step[] {
  if (!desired) {
    if (!live) return [];
    if (compressedChunks > 0) {
      throw new Error(
        `${resource}: compression cannot be disabled while ${compressedChunks} chunk${compressedChunks === 1 ? " is" : "s are"} compressed ` +
          `(TimescaleDB: "cannot disable columnstore on hypertable with columnstore chunks"). Decompress them first ` +
          `(SELECT decompress_chunk(c) FROM show_chunks(${quoteLiteral(relation)}) c; it needs the disk space of the uncompressed rows), then apply again.`,
      );
    }
    return [step(`ALTER ${objectType} ${relation} SET (timescaledb.enable_columnstore = false)`)];
  }
  const options: string[] = [];
  if (!live) options.push("timescaledb.enable_columnstore = true");
  if (desired.segmentBy && JSON.stringify(desired.segmentBy) !== JSON.stringify(live?.segmentBy)) {
    options.push(`timescaledb.segmentby = ${quoteLiteral(desired.segmentBy.map(quoteIdent).join(", "))}`);
  }
  if (desired.orderBy && JSON.stringify(desired.orderBy) !== JSON.stringify(live?.orderBy)) {
    options.push(`timescaledb.orderby = ${quoteLiteral(desired.orderBy.map((o) => `${quoteIdent(o.column)} ${o.order} NULLS ${o.nulls}`).join(", "))}`);
  }
  if (options.length === 0) return [];
  const note = live && compressedChunks > 0
    ? `/* new settings apply to chunks compressed from now on; the ${compressedChunks} compressed chunk(s) keep theirs until decompressed and compressed again */ `
    : "";
  return [step(`${note}ALTER ${objectType} ${relation} SET (${options.join(", ")})`)];
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
             AND j.hypertable_id IN (SELECT h.id FROM _timescaledb_catalog.hypertable h WHERE h.schema_name = $1 AND h.table_name = $2
                                     UNION ALL
                                     SELECT a.mat_hypertable_id FROM _timescaledb_catalog.continuous_agg a WHERE a.user_view_schema = $1 AND a.user_view_name = $2)), '[]')`;

/** The policy jobs on hypertable or continuous aggregate `schema.name` ({@link JOBS_SQL}), in one round trip. */
export async function readJobs(client: PoolClient, schema: string, name: string): Promise<Job[]> {
  const { rows } = await client.query<{ jobs: Job[] }>(`SELECT ${JOBS_SQL} AS jobs`, [schema, name]);
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
