import type { PoolClient } from "pg";
import { prepared } from "../core/prepared";
import { Connection } from "../core/connection";
import { CRON_CONTEXT_SQL, CronContext, readCronJob } from "../core/cron";
import { qualifiedName, quoteLiteral } from "../core/quote";
import { thresholdSql, timeColumnKind } from "../core/time-column";
import { canonicalIntervals, Job, JOBS_SQL, License, readLicense, rememberJobs } from "../core/timescaledb";
import { previousCanonical } from "../core/canonical";
import type { Previous } from "../core/kind";
import { cappedRowCount } from "../core/row-count";
import { ROW_COUNT_CAP } from "../core/step";
import { RetentionSpec } from "./spec";

/** The proc of TimescaleDB's retention policy job. */
export const RETENTION_PROC = "policy_retention";

/** The pg_cron job of the `pg_cron` engine: unique per server, since pg_cron's database holds the jobs of every database. */
export const cronJobName = (context: CronContext, r: { schema: string; table: string }) => `pgstrata retention ${context.database}.${qualifiedName(r.schema, r.table)}`;

/** What the retention kind reads about its hypertable, its TimescaleDB job and pg_cron, in one statement. */
interface RetentionState {
  /** The hypertable's time dimension: its column type and integer-now function (`schema.name`); undefined when not a hypertable. */
  time?: { type: string; integerNow: string | null };
  tslJob?: Job;
  /** Every policy job on the hypertable, for the `jobs` output (core/timescaledb.ts `rememberJobs`). */
  jobs: Job[];
  cron: CronContext;
}

/**
 * The time dimension from TimescaleDB's catalog by the hypertable's name (an
 * index lookup; `timescaledb_information.dimensions` reads every hypertable
 * before it filters), its policy jobs ({@link JOBS_SQL}) and the pg_cron
 * context ({@link CRON_CONTEXT_SQL}).
 */
const RETENTION_QUERY = `
SELECT (SELECT json_build_object('type', d.column_type::regtype::text,
                                 'integerNow', CASE WHEN d.integer_now_func IS NOT NULL THEN format('%s.%s', d.integer_now_func_schema, d.integer_now_func) END)
          FROM _timescaledb_catalog.hypertable h JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id
         WHERE h.schema_name = $1 AND h.table_name = $2 AND d.interval_length IS NOT NULL
         ORDER BY d.id LIMIT 1) AS time,
       ${JOBS_SQL} AS jobs, ${CRON_CONTEXT_SQL}`;

async function readRetention(client: PoolClient, r: RetentionSpec): Promise<RetentionState> {
  const { rows } = await client.query<{ time: RetentionState["time"] | null; jobs: Job[] } & CronContext>(prepared(RETENTION_QUERY, [r.schema, r.table]));
  const { time, jobs, database, cronDatabase } = rows[0];
  return { time: time ?? undefined, tslJob: jobs.find((j) => j.proc === RETENTION_PROC), jobs, cron: { database, cronDatabase } };
}

/**
 * The `drop_chunks` call of the `pg_cron` engine: the same arguments as the
 * retention policy (TimescaleDB docs "drop_chunks": `older_than`, `created_before`).
 */
export function dropChunksCommand(r: RetentionSpec): string {
  return `SELECT drop_chunks(${quoteLiteral(qualifiedName(r.schema, r.table))}::regclass, ${chunkThreshold(r)})`;
}

/** The `show_chunks` / `drop_chunks` argument selecting the chunks the policy drops. */
function chunkThreshold(r: RetentionSpec): string {
  return r.dropAfter !== undefined ? `older_than => ${thresholdSql(r.dropAfter)}` : `created_before => ${thresholdSql(r.dropCreatedBefore!)}`;
}

/** The threshold a `drop_chunks` command of {@link dropChunksCommand}'s form passes, or undefined when it is of another form. */
function parseCommand(command: string): Pick<RetentionSpec, "dropAfter" | "dropCreatedBefore"> | undefined {
  const m = /^SELECT drop_chunks\('(?:[^']|'')*'::regclass, (older_than|created_before) => (?:'((?:[^']|'')*)'::interval|(\d+))\)$/.exec(command);
  if (!m) return undefined;
  const value = m[2] !== undefined ? m[2].replace(/''/g, "'") : Number(m[3]);
  return m[1] === "older_than" ? { dropAfter: value } : { dropCreatedBefore: value as string };
}

/**
 * The live retention policy of the hypertable `desired` names: TimescaleDB's
 * retention job, else this provider's pg_cron job; undefined when neither
 * exists. What `desired` leaves to defaults (`scheduleInterval`) or that only
 * one engine has (`cronSchedule`) is echoed.
 */
export async function observeRetention(client: PoolClient, desired: RetentionSpec, connection: Connection): Promise<RetentionSpec | undefined> {
  const state = await readRetention(client, desired);
  const integerNow = desired.integerNow && (state.time?.integerNow ?? undefined);
  const base = { schema: desired.schema, table: desired.table, integerNow, dropAfter: undefined, dropCreatedBefore: undefined };
  if (state.tslJob) {
    const job = state.tslJob;
    return rememberJobs<RetentionSpec>(state.jobs, {
      ...base,
      dropAfter: job.config.drop_after as string | number | undefined,
      dropCreatedBefore: job.config.drop_created_before as string | undefined,
      scheduleInterval: desired.scheduleInterval && job.scheduleInterval,
      scheduled: job.scheduled,
      cronSchedule: desired.cronSchedule,
      engine: "timescaledb",
    });
  }
  // pg_cron's job is read only without TimescaleDB's, which observe reports first.
  const job = await readCronJob(client, connection, `RetentionPolicy ${desired.schema}.${desired.table}`, state.cron, cronJobName(state.cron, desired));
  if (job) {
    // A command edited by hand into another form shows as drift of dropAfter.
    const threshold = parseCommand(job.command) ?? { dropAfter: `(pg_cron command: ${job.command})` };
    return { ...base, ...threshold, scheduleInterval: desired.scheduleInterval, scheduled: job.active, cronSchedule: job.schedule, engine: "pg_cron" };
  }
  return undefined;
}

/**
 * `desired` with its intervals in the server's text and engine `auto`
 * resolved by the license: `timescaledb` on the community license, `pg_cron`
 * otherwise. An interval declared in the words of the previous apply takes
 * the text it observed (core/canonical.ts `previousCanonical`); a round trip
 * each for the other intervals and for `auto`.
 */
export async function canonicalizeRetention(client: PoolClient, desired: RetentionSpec, _live?: RetentionSpec, previous?: Previous<RetentionSpec>): Promise<RetentionSpec> {
  const intervals = (r: RetentionSpec) => [typeof r.dropAfter === "string" ? r.dropAfter : undefined, r.dropCreatedBefore, r.scheduleInterval];
  const declared = intervals(desired);
  const known = previous && declared.map((text, i) => text && previousCanonical(text, intervals(previous.declared)[i], intervals(previous.observed)[i]));
  const [after, createdBefore, every] = known && known.every((k, i) => k !== undefined || declared[i] === undefined) ? known : await canonicalIntervals(client, declared);
  const engine = desired.engine !== "auto" ? desired.engine : (await readLicense(client)) === "timescale" ? "timescaledb" : "pg_cron";
  return { ...desired, dropAfter: typeof desired.dropAfter === "number" ? desired.dropAfter : after, dropCreatedBefore: createdBefore, scheduleInterval: every, engine };
}

/** Whether a time dimension of this column type is partitioned by value (`smallint`, `integer`, `bigint`): anything but a time type (core/time-column.ts `timeColumnKind`). */
export const isIntegerTime = (type: string) => timeColumnKind(type)?.kind !== "time";

/** What planning a retention policy needs to know. */
export interface RetentionFacts {
  license: License;
  /** This database and pg_cron's. */
  cron: CronContext;
  /** The hypertable's time column type and integer-now function; undefined when the table is not a hypertable. */
  time?: { type: string; integerNow: string | null };
  tslJob?: Job;
  /** Chunks that the desired policy drops and the live one keeps (all chunks it drops, when there is no live policy): names, and rows exact up to {@link ROW_COUNT_CAP} each. */
  atStake: { chunks: string[]; rows: number };
}

/** Reads the facts; the chunks at stake come from `show_chunks` with the desired and the live thresholds. */
export async function retentionFacts(client: PoolClient, desired: RetentionSpec, live: RetentionSpec | undefined): Promise<RetentionFacts> {
  const state = await readRetention(client, desired);
  const license = await readLicense(client);
  const facts = { license, cron: state.cron, time: state.time, tslJob: state.tslJob, atStake: { chunks: [] as string[], rows: 0 } };
  if (!state.time) return facts;
  // show_chunks needs a threshold of the column's kind, and an integer-now function for integer columns: without them, planning refuses anyway.
  const integerTime = isIntegerTime(state.time.type);
  const usable = (r: RetentionSpec) => r.dropAfter === undefined || (typeof r.dropAfter === "number") === integerTime;
  if (!usable(desired) || (integerTime && !state.time.integerNow)) return facts;
  const relation = quoteLiteral(qualifiedName(desired.schema, desired.table));
  const chunks = (r: RetentionSpec) => `SELECT show_chunks(${relation}::regclass, ${chunkThreshold(r)})`;
  const { rows } = await client.query<{ chunk: string; n: number }>(
    `SELECT c::text AS chunk,
            ${cappedRowCount("c")} AS n
       FROM (${chunks(desired)} ${live && usable(live) ? `EXCEPT ${chunks(live)}` : ""}) s(c) ORDER BY 1`,
  );
  return { ...facts, atStake: { chunks: rows.map((r) => r.chunk), rows: rows.reduce((sum, r) => sum + r.n, 0) } };
}
