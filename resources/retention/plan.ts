import { changedProperties } from "../core/compare";
import { quoteLiteral } from "../core/quote";
import { scheduleInDatabase, unschedule } from "../core/cron";
import { describeRows, Hazard, ROW_COUNT_CAP, Step, step } from "../core/step";
import { alterJob, regclass, requireCommunityLicense } from "../core/timescaledb";
import { setIntegerNowFunc, thresholdSql } from "../core/time-column";
import { cronJobName, dropChunksCommand, isIntegerTime, RetentionFacts } from "./observe";
import { RetentionSpec } from "./spec";

const name = (r: RetentionSpec) => `RetentionPolicy ${r.schema}.${r.table}`;

/** What cannot change in place: the hypertable, the kind of threshold (`dropAfter` ↔ `dropCreatedBefore`) and the engine in use replace the job. */
export function retentionReplaces(old: RetentionSpec, next: RetentionSpec): (keyof RetentionSpec)[] {
  const changed: (keyof RetentionSpec)[] = changedProperties(old, next, ["schema", "table"]);
  if ((old.dropAfter === undefined) !== (next.dropAfter === undefined)) changed.push("dropAfter", "dropCreatedBefore");
  if (old.engine !== "auto" && next.engine !== "auto" && old.engine !== next.engine) changed.push("engine");
  return changed;
}

/**
 * Steps from `live` to `desired` (`desired.engine` resolved, see
 * `canonicalizeRetention`). Throws before any SQL when the table is not a
 * hypertable, an integer time column has no integer-now function, or the
 * engine cannot run on this server (naming the license and the alternative).
 * Chunks that the new policy drops and the old one keeps are a `data-loss`
 * hazard naming them and their rows.
 */
export function planRetention(live: RetentionSpec | undefined, desired: RetentionSpec, facts: RetentionFacts | undefined): Step[] {
  const f = facts ?? assumedFacts(desired);
  if (!f.time) throw new Error(`${name(desired)}: ${desired.schema}.${desired.table} is not a hypertable: declare a Hypertable for it (and make this policy depend on it).`);
  const integerTime = isIntegerTime(f.time.type);
  if (integerTime && typeof desired.dropAfter !== "number") {
    throw new Error(`${name(desired)}: the time column of ${desired.schema}.${desired.table} is ${f.time.type}: give dropAfter as an integer in its units (dropCreatedBefore works on time-based hypertables only).`);
  }
  if (!integerTime && typeof desired.dropAfter === "number") {
    throw new Error(`${name(desired)}: the time column of ${desired.schema}.${desired.table} is ${f.time.type}: give dropAfter as an interval such as '90 days'.`);
  }
  if (integerTime && !desired.integerNow && !f.time.integerNow) {
    throw new Error(`${name(desired)}: the time column of ${desired.schema}.${desired.table} is an integer, and retention needs to know "now" in its units: set integerNow to a function returning it (e.g. 'public.unix_now'), see TimescaleDB's set_integer_now_func.`);
  }
  if (desired.engine === "timescaledb") {
    requireCommunityLicense(f.license, name(desired), "TimescaleDB's retention policy (engine 'timescaledb')",
      "On the Apache license, use engine: 'pg_cron' (or 'auto'): a pg_cron job calling drop_chunks, which the Apache license allows.");
  }
  if (desired.engine === "pg_cron" && !f.cron.cronDatabase) {
    throw new Error(
      `${name(desired)}: retention through pg_cron needs pg_cron, which is not loaded on this server (cron.database_name is unset). ` +
        `Add pg_cron to shared_preload_libraries and CREATE EXTENSION pg_cron in its database, or run TimescaleDB with the community license ` +
        `(timescaledb.license = 'timescale'), whose retention policy needs no pg_cron (this server runs '${f.license ?? "no TimescaleDB"}').`,
    );
  }
  const hazards: Hazard[] = f.atStake.chunks.length > 0
    ? [{
        kind: "data-loss",
        message: `the next run of the retention job on ${desired.schema}.${desired.table} drops ${f.atStake.chunks.length} chunk${f.atStake.chunks.length === 1 ? "" : "s"} ` +
          `${live ? "that the current policy keeps" : "already past the new policy"} (${f.atStake.chunks.join(", ")}), holding ${describeRows(f.atStake.rows, ROW_COUNT_CAP * f.atStake.chunks.length)}`,
      }]
    : [];
  const steps: Step[] = [];
  if (desired.integerNow && desired.integerNow !== f.time.integerNow) steps.push(setIntegerNowFunc(regclass(desired.schema, desired.table), desired.integerNow));
  steps.push(...(desired.engine === "pg_cron" ? planCron(live, desired, f) : planTimescale(live, desired, f)));
  return steps.map((s, i) => (i === 0 && hazards.length > 0 ? { ...s, hazards } : s));
}

/**
 * Facts assumed when planning from nothing (the SQL plan of a policy whose
 * hypertable an earlier step creates): the community license, pg_cron in
 * `postgres`, a time column of the kind `dropAfter` implies, no chunks.
 */
function assumedFacts(desired: RetentionSpec): RetentionFacts {
  const type = typeof desired.dropAfter === "number" ? "bigint" : "timestamp with time zone";
  return { license: "timescale", cron: { database: "(this database)", cronDatabase: "postgres" }, time: { type, integerNow: null }, atStake: { chunks: [], rows: 0 } };
}

function planTimescale(live: RetentionSpec | undefined, desired: RetentionSpec, f: RetentionFacts): Step[] {
  const job = f.tslJob;
  if (!job || !live) {
    const add = `add_retention_policy(${regclass(desired.schema, desired.table)}, ` +
      (desired.dropAfter !== undefined ? `drop_after => ${thresholdSql(desired.dropAfter)}` : `drop_created_before => ${thresholdSql(desired.dropCreatedBefore!)}`) +
      (desired.scheduleInterval ? `, schedule_interval => ${quoteLiteral(desired.scheduleInterval)}::interval` : "") + ")";
    return [step(desired.scheduled ? `SELECT ${add}` : `SELECT alter_job(${add}, scheduled => false)`)];
  }
  const config = { ...job.config, ...(desired.dropAfter !== undefined ? { drop_after: desired.dropAfter } : { drop_created_before: desired.dropCreatedBefore }) };
  const alter = alterJob(job, { scheduleInterval: desired.scheduleInterval, scheduled: desired.scheduled, config });
  return alter ? [alter] : [];
}

function planCron(live: RetentionSpec | undefined, desired: RetentionSpec, f: RetentionFacts): Step[] {
  const same = live && live.engine === "pg_cron" && live.dropAfter === desired.dropAfter && live.dropCreatedBefore === desired.dropCreatedBefore &&
    live.cronSchedule === desired.cronSchedule && live.scheduled === desired.scheduled;
  return same ? [] : [scheduleInDatabase(f.cron, cronJobName(f.cron, desired), desired.cronSchedule, dropChunksCommand(desired), desired.scheduled)];
}

/** Removes the job: TimescaleDB's retention policy or the pg_cron job. Dropping a policy loses no data. */
export function dropRetention(live: RetentionSpec, facts: RetentionFacts | undefined): Step[] {
  if (live.engine === "pg_cron") return facts?.cron.cronDatabase ? [unschedule(facts.cron, cronJobName(facts.cron, live))] : [];
  return [step(`SELECT remove_retention_policy(${regclass(live.schema, live.table)}, if_exists => true)`)];
}
