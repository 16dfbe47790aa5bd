import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { canonicalIntervals, jobStatus, readJobs, readLicense } from "../core/timescaledb";
import { observeRetention, RetentionFacts, retentionFacts, RETENTION_PROC } from "./observe";
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
  /** Intervals in the server's text; engine `auto` resolved by the license: `timescaledb` on the community license, `pg_cron` otherwise. */
  canonicalize: async (client, desired) => {
    const [after, createdBefore, every] = await canonicalIntervals(client, [
      typeof desired.dropAfter === "string" ? desired.dropAfter : undefined, desired.dropCreatedBefore, desired.scheduleInterval,
    ]);
    const engine = desired.engine !== "auto" ? desired.engine : (await readLicense(client)) === "timescale" ? "timescaledb" : "pg_cron";
    return { ...desired, dropAfter: typeof desired.dropAfter === "number" ? desired.dropAfter : after, dropCreatedBefore: createdBefore, scheduleInterval: every, engine };
  },
  facts: retentionFacts,
  plan: planRetention,
  jobs: async (client, live) => jobStatus((await readJobs(client, live.schema, live.table)).filter((j) => j.proc === RETENTION_PROC)),
  drop: dropRetention,
};
