import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { jobStatus, observedJobs } from "../core/timescaledb";
import { canonicalizeRetention, observeRetention, RetentionFacts, retentionFacts, RETENTION_PROC } from "./observe";
import { dropRetention, planRetention, retentionReplaces } from "./plan";
import { RetentionSpec, retentionSpec } from "./spec";

/** The retention policy kind: TimescaleDB's retention job, or a pg_cron job calling drop_chunks on the Apache license. */
export const retentionKind: Kind<RetentionSpec, RetentionFacts> = {
  type: "RetentionPolicy",
  schema: once(retentionSpec),
  identity: (r) => `${r.schema}.${r.table}`,
  // Reads the hypertable's dimensions and chunks: not while its Hypertable or Table changes them.
  locks: (r) => relationLocks([{ schema: r.schema, name: r.table }]),
  replaces: retentionReplaces,
  observe: observeRetention,
  canonicalize: canonicalizeRetention,
  facts: retentionFacts,
  plan: planRetention,
  jobs: async (client, live) => jobStatus((await observedJobs(client, live, live.schema, live.table)).filter((j) => j.proc === RETENTION_PROC)),
  drop: dropRetention,
};
