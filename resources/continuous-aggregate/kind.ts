import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { COMPRESSION_PROC } from "../core/columnstore";
import { queryRelations } from "../core/sql-expression";
import { jobStatus, observedJobs } from "../core/timescaledb";
import { canonicalizeContinuousAggregate, ContinuousAggregateFacts, continuousAggregateFacts, observeContinuousAggregate, REFRESH_PROC } from "./observe";
import { continuousAggregateReplaces, dropContinuousAggregate, planContinuousAggregate } from "./plan";
import { ContinuousAggregateSpec, continuousAggregateSpec } from "./spec";

/** The continuous aggregate kind: a TimescaleDB continuous aggregate, its refresh policy and its columnstore. */
export const continuousAggregateKind: Kind<ContinuousAggregateSpec, ContinuousAggregateFacts> = {
  type: "ContinuousAggregate",
  schema: once(continuousAggregateSpec),
  identity: (c) => `${c.schema}.${c.name}`,
  checkOnly: ["declaredSource"],
  // The aggregate is a relation of its own; creating and refreshing it read its sources (ACCESS SHARE), dropping it takes ACCESS EXCLUSIVE on its source hypertable.
  locks: (c) => relationLocks([c, ...queryRelations(c.query)]),
  replaces: continuousAggregateReplaces,
  observe: observeContinuousAggregate,
  canonicalize: canonicalizeContinuousAggregate,
  facts: continuousAggregateFacts,
  plan: planContinuousAggregate,
  jobs: async (client, live) => jobStatus((await observedJobs(client, live, live.schema, live.name)).filter((j) => j.proc === REFRESH_PROC || j.proc === COMPRESSION_PROC)),
  drop: dropContinuousAggregate,
};
