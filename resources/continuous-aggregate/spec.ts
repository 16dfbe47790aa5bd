import { z } from "zod";
import { identifier, interval, schemaName } from "../core/spec";
import { columnstorePolicy, COLUMNSTORE_POLICY_NEEDS_COMPRESSION, columnstoreSettings } from "../core/columnstore";
import { jobSchedule, rowSecurityConflict } from "../core/timescaledb";

/**
 * A TimescaleDB continuous aggregate (TimescaleDB docs "CREATE MATERIALIZED
 * VIEW (Continuous Aggregate)", "add_continuous_aggregate_policy"; community
 * license). Its query is compared by the server's canonical text; a changed
 * query replaces the aggregate (rebuilt and backfilled from its source).
 * Refused at `check` when the source's table is a `Table` of the program that
 * declares row-level security: TimescaleDB refuses continuous aggregates on a
 * hypertable with row security ("cannot create continuous aggregate on
 * hypertable with row security"; checked on 2.29).
 */
export function continuousAggregateSpec() {
  return z.strictObject({
    /** Schema of the aggregate. */
    schema: schemaName(),
    /** Name of the aggregate (a materialized view). */
    name: identifier(),
    /**
     * The aggregate's SELECT: one statement grouping by a `time_bucket(…)` of the source's time column, over a
     * hypertable or another continuous aggregate (hierarchical). Names outside pg_catalog and public are
     * schema-qualified. Checked before any SQL by building it in a transaction that is rolled back; changing it
     * replaces the aggregate.
     */
    query: z.string().min(1, "must not be empty: write the aggregate's SELECT"),
    /** Whether queries read only materialized rows (`timescaledb.materialized_only`). Default true (TimescaleDB's default since 2.13). Changes in place. */
    materializedOnly: z.boolean().default(true),
    /**
     * The refresh policy (`add_continuous_aggregate_policy`): every `scheduleInterval`, the window from
     * `startOffset` (an interval; unset = from the beginning) to `endOffset` ago is refreshed. The window must span at
     * least two buckets. Changes through `alter_job`; unset removes the policy.
     */
    refreshPolicy: z
      .strictObject({ startOffset: interval().optional(), endOffset: interval(), ...jobSchedule(), scheduleInterval: interval() })
      .optional(),
    /**
     * Columnstore (compression) of the aggregate's materialized rows (TimescaleDB docs "ALTER MATERIALIZED VIEW
     * (Continuous Aggregate)", `timescaledb.enable_columnstore`): `{ enabled (default true), segmentBy: [column…], orderBy:
     * [{ column, order, nulls }] }`, columns named by the SELECT's output names. Unset `segmentBy` / `orderBy` leave the
     * choice to TimescaleDB (on an aggregate: no segmentby, orderby the GROUP BY columns; never diffed). Changes apply in
     * place to chunks compressed later; unset disables it, refused while chunks are compressed.
     */
    compression: columnstoreSettings(),
    /**
     * The columnstore policy of the aggregate (`add_compression_policy`): its chunks whose buckets end more than `after` (an
     * interval) ago are compressed, every `scheduleInterval`. Needs `compression`. Changes through `alter_job`; unset
     * removes the policy. An `after` beyond `refreshPolicy.startOffset` keeps refreshes off compressed buckets.
     */
    columnstorePolicy: columnstorePolicy(interval()),
    /** On create, refresh the whole range once (`refresh_continuous_aggregate(…, NULL, NULL)`, outside a transaction). Default true. An option, not state. */
    backfill: z.boolean().default(true),
    /** The source hypertable's table as a `Table` of the same program declares it, filled in by {@link ContinuousAggregate} from `source`. Read by `check` only: dropped from the checked inputs. */
    declaredSource: z.strictObject({ schema: schemaName(), table: identifier(), rowLevelSecurity: z.boolean() }).optional(),
  }).superRefine((c, ctx) => {
    if (c.columnstorePolicy && !c.compression) ctx.addIssue({ code: "custom", path: ["columnstorePolicy"], message: COLUMNSTORE_POLICY_NEEDS_COMPRESSION });
    if (c.declaredSource?.rowLevelSecurity) {
      const table = `${c.declaredSource.schema}.${c.declaredSource.table}`;
      // On the argument the user wrote (declaredSource is filled in from it).
      ctx.addIssue({ code: "custom", path: ["source"], message: rowSecurityConflict(table, `rowLevelSecurity of Table ${table}`, [`continuous aggregate ${c.schema}.${c.name}`]) });
    }
  });
}

export type ContinuousAggregateSpec = z.output<ReturnType<typeof continuousAggregateSpec>>;
export type ContinuousAggregateInput = z.input<ReturnType<typeof continuousAggregateSpec>>;
