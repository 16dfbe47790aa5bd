import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { queryRelations } from "../core/sql-expression";
import { jobStatus, readJobs } from "../core/timescaledb";
import { canonicalizeContinuousAggregate, ContinuousAggregateFacts, continuousAggregateFacts, observeContinuousAggregate, REFRESH_PROC } from "./observe";
import { continuousAggregateReplaces, dropContinuousAggregate, planContinuousAggregate } from "./plan";
import { ContinuousAggregateSpec, continuousAggregateSpec } from "./spec";

/** The continuous aggregate kind: a TimescaleDB continuous aggregate and its refresh policy. */
export const continuousAggregateKind: Kind<ContinuousAggregateSpec, ContinuousAggregateFacts> = {
  type: "ContinuousAggregate",
  schema: once(continuousAggregateSpec),
  identity: (c) => `${c.schema}.${c.name}`,
  // The aggregate is a relation of its own; creating and refreshing it read its sources (ACCESS SHARE), dropping it takes ACCESS EXCLUSIVE on its source hypertable.
  locks: (c) => relationLocks([c, ...queryRelations(c.query)]),
  replaces: continuousAggregateReplaces,
  observe: observeContinuousAggregate,
  canonicalize: canonicalizeContinuousAggregate,
  facts: continuousAggregateFacts,
  plan: planContinuousAggregate,
  jobs: async (client, live) => jobStatus((await readJobs(client, live.schema, live.name)).filter((j) => j.proc === REFRESH_PROC)),
  drop: dropContinuousAggregate,
};
