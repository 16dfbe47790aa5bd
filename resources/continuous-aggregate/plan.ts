import { qualifiedName, quoteLiteral } from "../core/quote";
import { describeRows, Hazard, ROW_COUNT_CAP, Step, step } from "../core/step";
import { ColumnstorePolicy, planCompression } from "../core/columnstore";
import { thresholdSql } from "../core/time-column";
import { alterJob, regclass, requireCommunityLicense } from "../core/timescaledb";
import type { ContinuousAggregateFacts } from "./observe";
import { ContinuousAggregateSpec } from "./spec";

type RefreshPolicy = NonNullable<ContinuousAggregateSpec["refreshPolicy"]>;
const resource = (c: { schema: string; name: string }) => `ContinuousAggregate ${c.schema}.${c.name}`;

/** `CREATE MATERIALIZED VIEW … WITH (timescaledb.continuous) AS <query> WITH NO DATA`. */
export function createSql(c: ContinuousAggregateSpec, query: string): string {
  return `CREATE MATERIALIZED VIEW ${qualifiedName(c.schema, c.name)} WITH (timescaledb.continuous, timescaledb.materialized_only = ${c.materializedOnly}) AS ${query} WITH NO DATA`;
}

/** The `add_continuous_aggregate_policy(…)` call (without SELECT). */
export function refreshPolicySql(c: { schema: string; name: string }, p: RefreshPolicy): string {
  const offset = (v: string | undefined) => (v === undefined ? "NULL" : `${quoteLiteral(v)}::interval`);
  return `add_continuous_aggregate_policy(${regclass(c.schema, c.name)}, start_offset => ${offset(p.startOffset)}, end_offset => ${offset(p.endOffset)}, ` +
    `schedule_interval => ${offset(p.scheduleInterval)})`;
}

/** The `add_compression_policy(…)` call (without SELECT) of the aggregate's columnstore policy. */
export function compressionPolicySql(c: { schema: string; name: string }, p: ColumnstorePolicy): string {
  return `add_compression_policy(${regclass(c.schema, c.name)}, compress_after => ${thresholdSql(p.after)}` +
    (p.scheduleInterval ? `, schedule_interval => ${quoteLiteral(p.scheduleInterval)}::interval` : "") + ")";
}

/** A changed query replaces the aggregate (TimescaleDB cannot change a continuous aggregate's query in place). */
export function continuousAggregateReplaces(old: ContinuousAggregateSpec, next: ContinuousAggregateSpec): (keyof ContinuousAggregateSpec)[] {
  return (["schema", "name", "query"] as const).filter((k) => old[k] !== next[k]);
}

/**
 * Steps from `live` to `desired`: create WITH NO DATA, the refresh policy,
 * the columnstore and its policy, then (with `backfill`) one refresh of the
 * whole range, outside a transaction as TimescaleDB requires; in place,
 * `materialized_only`, the refresh policy through `alter_job`, and the
 * columnstore as on a hypertable (core/columnstore.ts). Refused before any
 * SQL off the community license.
 */
export function planContinuousAggregate(live: ContinuousAggregateSpec | undefined, desired: ContinuousAggregateSpec, facts: ContinuousAggregateFacts | undefined): Step[] {
  // Without facts (the SQL plan of an aggregate whose source an earlier step creates), the license is checked when applied.
  if (facts) requireCommunityLicense(facts.license, resource(desired), "a continuous aggregate");
  const columnstore = (from: ContinuousAggregateSpec | undefined) =>
    planCompression(resource(desired), "MATERIALIZED VIEW", { relation: qualifiedName(desired.schema, desired.name), regclass: regclass(desired.schema, desired.name) }, from, desired, {
      compressedChunks: facts?.compressedChunks ?? 0,
      policyJob: facts?.policyJob,
    });
  if (!live) {
    return [
      step(createSql(desired, desired.query)),
      ...(desired.refreshPolicy ? [addPolicy(desired, desired.refreshPolicy)] : []),
      ...columnstore(undefined),
      ...(desired.backfill ? [{ ...step(`CALL refresh_continuous_aggregate(${regclass(desired.schema, desired.name)}, NULL, NULL)`), transactional: false }] : []),
    ];
  }
  if (live.query !== desired.query) throw new Error(`${resource(desired)}: the query cannot change in place; the aggregate must be replaced`);
  const steps: Step[] = [];
  if (live.materializedOnly !== desired.materializedOnly) {
    steps.push(step(`ALTER MATERIALIZED VIEW ${qualifiedName(desired.schema, desired.name)} SET (timescaledb.materialized_only = ${desired.materializedOnly})`));
  }
  const want = desired.refreshPolicy;
  const job = facts?.refreshJob;
  if (!want) {
    if (live.refreshPolicy) steps.push(step(`SELECT remove_continuous_aggregate_policy(${regclass(desired.schema, desired.name)})`));
  } else if (!job || !live.refreshPolicy) {
    steps.push(addPolicy(desired, want));
  } else {
    const config = { ...job.config, start_offset: want.startOffset ?? null, end_offset: want.endOffset };
    const alter = alterJob(job, { scheduleInterval: want.scheduleInterval, scheduled: want.scheduled, config });
    if (alter) steps.push(alter);
  }
  return [...steps, ...columnstore(live)];
}

function addPolicy(c: ContinuousAggregateSpec, p: RefreshPolicy): Step {
  return step(p.scheduled ? `SELECT ${refreshPolicySql(c, p)}` : `SELECT alter_job(${refreshPolicySql(c, p)}, scheduled => false)`);
}

/**
 * Drops the aggregate (its policy goes with it). Rows in buckets the source
 * no longer holds (dropped by retention) can never be rebuilt: a `data-loss`
 * hazard naming them.
 */
export function dropContinuousAggregate(live: ContinuousAggregateSpec, facts: ContinuousAggregateFacts | undefined): Step[] {
  const rows = facts?.unrebuildableRows ?? 0;
  const hazards: Hazard[] = rows > 0
    ? [{ kind: "data-loss", message: `dropping or rebuilding ${live.schema}.${live.name} loses ${describeRows(rows, ROW_COUNT_CAP)} in buckets older than its source's oldest chunk (dropped by retention), which can never be rebuilt` }]
    : [];
  return [step(`DROP MATERIALIZED VIEW ${qualifiedName(live.schema, live.name)}`, hazards)];
}
