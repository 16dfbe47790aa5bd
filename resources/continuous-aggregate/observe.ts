import type { PoolClient } from "pg";
import { unchangedSince } from "../core/canonical";
import type { Previous } from "../core/kind";
import { prepared } from "../core/prepared";
import { qualifiedName, quoteIdent, quoteLiteral } from "../core/quote";
import { truncateIdentifier } from "../core/spec";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { stoppedError } from "../core/stopped";
import { COLUMNSTORE_SQL, COMPRESSION_PROC, LiveColumnstore, liveColumnstore, observedColumnstore, observedColumnstorePolicy, planColumnstore } from "../core/columnstore";
import { canonicalIntervals, Job, JOBS_SQL, License, readLicense, rememberJobs, requireCommunityLicense } from "../core/timescaledb";
import { ROW_COUNT_CAP } from "../core/step";
import { compressionPolicySql, createSql, refreshPolicySql } from "./plan";
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
 * The live aggregate, in one statement: its canonical query,
 * `materializedOnly`, refresh policy, columnstore settings and columnstore
 * policy; undefined when it does not exist. `backfill` and `declaredSource`
 * are echoed, and so are
 * the refresh policy's `startOffset` left unset (refresh from the beginning)
 * and what `desired` leaves to TimescaleDB (segmentBy, orderBy, the
 * columnstore policy's scheduleInterval). The jobs read with it are kept for
 * the `jobs` output (core/timescaledb.ts `observedJobs`).
 */
export async function observeContinuousAggregate(client: PoolClient, desired: ContinuousAggregateSpec): Promise<ContinuousAggregateSpec | undefined> {
  const { rows } = await client.query<CatalogRow & { columnstore: LiveColumnstore | null; jobs: Job[] }>(
    prepared(`SELECT c.*, ${COLUMNSTORE_SQL} AS columnstore, ${JOBS_SQL} AS jobs FROM (${CATALOG}) c`, [desired.schema, desired.name]),
  );
  if (rows.length === 0) return undefined;
  const { definition, materialized_only, columnstore, jobs } = rows[0];
  const refresh = jobs.find((j) => j.proc === REFRESH_PROC);
  return rememberJobs(jobs, {
    schema: desired.schema,
    name: desired.name,
    query: definition,
    materializedOnly: materialized_only,
    refreshPolicy: refresh && {
      startOffset: (refresh.config.start_offset as string | null) ?? undefined,
      endOffset: refresh.config.end_offset as string,
      scheduleInterval: refresh.scheduleInterval,
      scheduled: refresh.scheduled,
    },
    compression: observedColumnstore(liveColumnstore(columnstore), desired.compression),
    columnstorePolicy: observedColumnstorePolicy(jobs.find((j) => j.proc === COMPRESSION_PROC), desired.columnstorePolicy),
    backfill: desired.backfill,
    declaredSource: desired.declaredSource,
  });
}

/** What the scratch check of an aggregate does, for an error when the server stops it (core/stopped.ts). */
const CHECKING = "checking the query on a scratch aggregate, which reads its sources,";

/** Maps TimescaleDB's refusals of a continuous aggregate to the property and the fix; a statement the server stopped is no fault of the query (core/stopped.ts). */
function explain(c: ContinuousAggregateSpec, error: Error): Error {
  const stopped = stoppedError(resource(c), CHECKING, error);
  if (stopped) return stopped;
  const m = error.message;
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
 * on the community license only; the aggregate (with its refresh policy,
 * columnstore settings and policy) is built under a scratch name in a
 * transaction that is rolled back, so TimescaleDB's own rules (aggregatable
 * query, source a hypertable, no row security on it, refresh window of two
 * buckets, segmentby / orderby columns of the aggregate) refuse it with the
 * property named. Intervals in the server's text. No round trip when
 * they are unchanged since the previous apply (core/canonical.ts
 * `unchangedSince`): the live aggregate was built from them.
 */
export async function canonicalizeContinuousAggregate(
  client: PoolClient,
  desired: ContinuousAggregateSpec,
  live?: ContinuousAggregateSpec,
  previous?: Previous<ContinuousAggregateSpec>,
): Promise<ContinuousAggregateSpec> {
  if (unchangedSince(previous, desired, live, canonicalParts)) return { ...desired, query: live.query, refreshPolicy: live.refreshPolicy, columnstorePolicy: live.columnstorePolicy };
  requireCommunityLicense(await readLicense(client), resource(desired), "a continuous aggregate");
  const scratch = { ...desired, name: truncateIdentifier(`pgstrata_scratch_${desired.name}`) };
  const query = await inRolledBackTransaction(client, async () => {
    try {
      await runStatement(client, createSql(scratch, desired.query));
      if (desired.refreshPolicy) await runStatement(client, `SELECT ${refreshPolicySql(scratch, desired.refreshPolicy)}`);
    } catch (error) {
      throw explain(desired, error as Error);
    }
    try {
      for (const s of planColumnstore(resource(desired), "MATERIALIZED VIEW", qualifiedName(scratch.schema, scratch.name), undefined, desired.compression, 0)) await runStatement(client, s.sql);
      if (desired.columnstorePolicy) await runStatement(client, `SELECT ${compressionPolicySql(scratch, desired.columnstorePolicy)}`);
    } catch (error) {
      const stopped = stoppedError(resource(desired), CHECKING, error);
      if (stopped) throw stopped;
      const property = desired.columnstorePolicy && !/column/.test((error as Error).message) ? "columnstorePolicy" : "compression";
      throw new Error(`${resource(desired)}: ${property}: ${(error as Error).message}. Fix: name columns of the aggregate's SELECT (its output names) in segmentBy and orderBy.`);
    }
    return (await client.query<CatalogRow>(prepared(CATALOG, [scratch.schema, scratch.name]))).rows[0].definition;
  });
  const { refreshPolicy: refresh, columnstorePolicy: compress } = desired;
  const [startOffset, endOffset, scheduleInterval, after, compressEvery] = await canonicalIntervals(client, [
    refresh?.startOffset, refresh?.endOffset, refresh?.scheduleInterval, compress?.after, compress?.scheduleInterval,
  ]);
  return {
    ...desired,
    query,
    refreshPolicy: refresh && { ...refresh, startOffset, endOffset: endOffset!, scheduleInterval: scheduleInterval! },
    columnstorePolicy: compress && { ...compress, after: after!, scheduleInterval: compressEvery },
  };
}

/** What {@link canonicalizeContinuousAggregate} brings to the server's text. */
const canonicalParts = (c: ContinuousAggregateSpec) => [c.query, c.refreshPolicy, c.columnstorePolicy];

/** What planning needs: the license, the policy jobs, the compressed chunks, and the rows that could never be rebuilt from the source. */
export interface ContinuousAggregateFacts {
  license: License;
  refreshJob?: Job;
  /** The columnstore policy job. */
  policyJob?: Job;
  /** Chunks of the aggregate in the columnstore. */
  compressedChunks: number;
  /** Rows of the aggregate in buckets before the source's oldest chunk (dropped by retention): lost for good when it is dropped or rebuilt (exact up to {@link ROW_COUNT_CAP}). */
  unrebuildableRows: number;
}

export async function continuousAggregateFacts(client: PoolClient, desired: ContinuousAggregateSpec, live: ContinuousAggregateSpec | undefined): Promise<ContinuousAggregateFacts> {
  const license = await readLicense(client);
  if (!live) return { license, compressedChunks: 0, unrebuildableRows: 0 };
  const { rows } = await client.query<{ columnstore: LiveColumnstore | null; jobs: Job[]; source: { bucket: string; schema: string; name: string } | null }>(
    `SELECT ${COLUMNSTORE_SQL} AS columnstore, ${JOBS_SQL} AS jobs,
            (SELECT json_build_object('bucket', d.column_name, 'schema', ca.hypertable_schema, 'name', ca.hypertable_name)
               FROM timescaledb_information.continuous_aggregates ca
               JOIN timescaledb_information.dimensions d ON d.hypertable_schema = ca.materialization_hypertable_schema
                                                        AND d.hypertable_name = ca.materialization_hypertable_name AND d.dimension_number = 1
              WHERE ca.view_schema = $1 AND ca.view_name = $2) AS source`,
    [desired.schema, desired.name],
  );
  const { columnstore, jobs, source } = rows[0];
  const known = {
    license,
    refreshJob: jobs.find((j) => j.proc === REFRESH_PROC),
    policyJob: jobs.find((j) => j.proc === COMPRESSION_PROC),
    compressedChunks: liveColumnstore(columnstore).compressedChunks,
  };
  if (!source) return { ...known, unrebuildableRows: 0 };
  const count = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${qualifiedName(desired.schema, desired.name)}
      WHERE ${quoteIdent(source.bucket)} < (SELECT COALESCE(min(range_start), 'infinity') FROM timescaledb_information.chunks
                                      WHERE hypertable_schema = ${quoteLiteral(source.schema)} AND hypertable_name = ${quoteLiteral(source.name)})
      LIMIT ${ROW_COUNT_CAP}) x`,
  );
  return { ...known, unrebuildableRows: count.rows[0].n };
}
