import { Kind } from "../core/kind";
import { once } from "../core/once";
import { jobStatus, readJobs } from "../core/timescaledb";
import { canonicalizeContinuousAggregate, ContinuousAggregateFacts, continuousAggregateFacts, observeContinuousAggregate, REFRESH_PROC } from "./observe";
import { continuousAggregateReplaces, dropContinuousAggregate, planContinuousAggregate } from "./plan";
import { ContinuousAggregateSpec, continuousAggregateSpec } from "./spec";

/** The continuous aggregate kind: a TimescaleDB continuous aggregate and its refresh policy. */
export const continuousAggregateKind: Kind<ContinuousAggregateSpec, ContinuousAggregateFacts> = {
  type: "ContinuousAggregate",
  schema: once(continuousAggregateSpec),
  identity: (c) => `${c.schema}.${c.name}`,
  replaces: continuousAggregateReplaces,
  observe: observeContinuousAggregate,
  canonicalize: canonicalizeContinuousAggregate,
  facts: continuousAggregateFacts,
  plan: planContinuousAggregate,
  jobs: async (client, live) => jobStatus((await readJobs(client, live.schema, live.name)).filter((j) => j.proc === REFRESH_PROC)),
  drop: dropContinuousAggregate,
};
