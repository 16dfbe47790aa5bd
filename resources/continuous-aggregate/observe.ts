import type { PoolClient } from "pg";
import { qualifiedName, quoteIdent, quoteLiteral } from "../core/quote";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { canonicalIntervals, Job, License, readJobs, readLicense, requireCommunityLicense } from "../core/timescaledb";
import { ROW_COUNT_CAP } from "../core/step";
import { createSql, refreshPolicySql } from "./plan";
import { ContinuousAggregateSpec } from "./spec";

/** The proc of a continuous aggregate's refresh policy job. */
export const REFRESH_PROC = "policy_refresh_continuous_aggregate";

const resource = (c: { schema: string; name: string }) => `ContinuousAggregate ${c.schema}.${c.name}`;

interface CatalogRow {
  materialized_only: boolean;
  definition: string;
}

/** The aggregate's canonical query: `view_definition` without its trailing semicolon and surrounding space. */
const CATALOG = `SELECT materialized_only, regexp_replace(btrim(view_definition), ';$', '') AS definition
                   FROM timescaledb_information.continuous_aggregates WHERE view_schema = $1 AND view_name = $2`;

/**
 * The live aggregate: its canonical query, `materializedOnly` and refresh
 * policy; undefined when it does not exist. `backfill` is echoed, and so is
 * the policy's `startOffset` left unset (refresh from the beginning).
 */
export async function observeContinuousAggregate(client: PoolClient, desired: ContinuousAggregateSpec): Promise<ContinuousAggregateSpec | undefined> {
  const { rows } = await client.query<CatalogRow>(CATALOG, [desired.schema, desired.name]);
  if (rows.length === 0) return undefined;
  const job = (await readJobs(client, desired.schema, desired.name)).find((j) => j.proc === REFRESH_PROC);
  return {
    schema: desired.schema,
    name: desired.name,
    query: rows[0].definition,
    materializedOnly: rows[0].materialized_only,
    refreshPolicy: job && {
      startOffset: (job.config.start_offset as string | null) ?? undefined,
      endOffset: job.config.end_offset as string,
      scheduleInterval: job.scheduleInterval,
      scheduled: job.scheduled,
    },
    backfill: desired.backfill,
  };
}

/** SQLSTATEs of a statement stopped rather than refused: lock_not_available (`lock_timeout`), query_canceled (`statement_timeout`), deadlock_detected. */
const STOPPED = new Set(["55P03", "57014", "40P01"]);

/** Maps TimescaleDB's refusals of a continuous aggregate to the property and the fix; a statement stopped by a timeout is no fault of the query. */
function explain(c: ContinuousAggregateSpec, error: Error): Error {
  const m = error.message;
  if (STOPPED.has((error as { code?: string }).code ?? "")) {
    return new Error(`${resource(c)}: checking the query on a scratch aggregate, which reads its sources, stopped: ${m} (another session holds a conflicting lock on a source; nothing was changed: run again once it is released)`);
  }
  const [property, fix] = /refresh window too small/.test(m)
    ? ["refreshPolicy", "startOffset − endOffset must span at least two buckets of the query's time_bucket: widen the window"]
    : /row security/.test(m)
      ? ["query", "its source hypertable has row-level security, which TimescaleDB does not allow under a continuous aggregate: disable row security on the source (rowLevelSecurity of its Table) or aggregate another table"]
      : /hypertable/.test(m) && !/continuous aggregate query/.test(m)
        ? ["query", "the FROM must be a hypertable (declare a Hypertable for it) or another continuous aggregate"]
        : ["query", "write one SELECT over a hypertable (or continuous aggregate) that groups by time_bucket(…, <time column>) and uses only aggregatable functions (not aggregatable: window functions, ORDER BY, DISTINCT ON, non-immutable functions, joins other than those TimescaleDB supports)"];
  return new Error(`${resource(c)}: ${property}: ${m}. Fix: ${fix}.`);
}

/**
 * `desired` with its query as the server prints it, checked before any SQL:
 * on the community license only; the aggregate (and its refresh policy) is
 * built under a scratch name in a transaction that is rolled back, so
 * TimescaleDB's own rules (aggregatable query, source a hypertable, no row
 * security on it, refresh window of two buckets) refuse it with the property
 * named. Intervals in the server's text.
 */
export async function canonicalizeContinuousAggregate(client: PoolClient, desired: ContinuousAggregateSpec): Promise<ContinuousAggregateSpec> {
  requireCommunityLicense(await readLicense(client), resource(desired), "a continuous aggregate");
  const scratch = { ...desired, name: `pgstrata_scratch_${desired.name}`.slice(0, 63) };
  const query = await inRolledBackTransaction(client, async () => {
    try {
      await runStatement(client, createSql(scratch, desired.query));
      if (desired.refreshPolicy) await runStatement(client, `SELECT ${refreshPolicySql(scratch, desired.refreshPolicy)}`);
    } catch (error) {
      throw explain(desired, error as Error);
    }
    return (await client.query<CatalogRow>(CATALOG, [scratch.schema, scratch.name])).rows[0].definition;
  });
  const policy = desired.refreshPolicy;
  if (!policy) return { ...desired, query };
  const [startOffset, endOffset, scheduleInterval] = await canonicalIntervals(client, [policy.startOffset, policy.endOffset, policy.scheduleInterval]);
  return { ...desired, query, refreshPolicy: { ...policy, startOffset, endOffset: endOffset!, scheduleInterval: scheduleInterval! } };
}

/** What planning needs: the license, the refresh job, and the rows that could never be rebuilt from the source. */
export interface ContinuousAggregateFacts {
  license: License;
  job?: Job;
  /** Rows of the aggregate in buckets before the source's oldest chunk (dropped by retention): lost for good when it is dropped or rebuilt (exact up to {@link ROW_COUNT_CAP}). */
  unrebuildableRows: number;
}

export async function continuousAggregateFacts(client: PoolClient, desired: ContinuousAggregateSpec, live: ContinuousAggregateSpec | undefined): Promise<ContinuousAggregateFacts> {
  const license = await readLicense(client);
  if (!live) return { license, unrebuildableRows: 0 };
  const job = (await readJobs(client, desired.schema, desired.name)).find((j) => j.proc === REFRESH_PROC);
  const { rows } = await client.query<{ bucket: string; source_schema: string; source_name: string }>(
    `SELECT d.column_name AS bucket, ca.hypertable_schema AS source_schema, ca.hypertable_name AS source_name
       FROM timescaledb_information.continuous_aggregates ca
       JOIN timescaledb_information.dimensions d ON d.hypertable_schema = ca.materialization_hypertable_schema
                                                AND d.hypertable_name = ca.materialization_hypertable_name AND d.dimension_number = 1
      WHERE ca.view_schema = $1 AND ca.view_name = $2`,
    [desired.schema, desired.name],
  );
  if (rows.length === 0) return { license, job, unrebuildableRows: 0 };
  const { bucket, source_schema, source_name } = rows[0];
  const count = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${qualifiedName(desired.schema, desired.name)}
      WHERE ${quoteIdent(bucket)} < (SELECT COALESCE(min(range_start), 'infinity') FROM timescaledb_information.chunks
                                      WHERE hypertable_schema = ${quoteLiteral(source_schema)} AND hypertable_name = ${quoteLiteral(source_name)})
      LIMIT ${ROW_COUNT_CAP}) x`,
  );
  return { license, job, unrebuildableRows: count.rows[0].n };
}
