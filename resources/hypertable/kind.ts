import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { COMPRESSION_PROC } from "../core/columnstore";
import { jobStatus, observedJobs } from "../core/timescaledb";
import { canonicalizeHypertable, HypertableFacts, hypertableFacts, observeHypertable } from "./observe";
import { dropHypertable, hypertableChangeProblems, hypertableReplaces, planHypertable } from "./plan";
import { HypertableSpec, hypertableSpec } from "./spec";

/** The hypertable kind: what the generic adapter (core/provider.ts) needs to manage a TimescaleDB hypertable. */
export const hypertableKind: Kind<HypertableSpec, HypertableFacts> = {
  type: "Hypertable",
  schema: once(hypertableSpec),
  identity: (h) => `${h.schema}.${h.table}`,
  checkOnly: ["declaredTable"],
  // The same relation as its table: a hypertable and its table never change at once.
  locks: (h) => relationLocks([{ schema: h.schema, name: h.table }]),
  checkChange: hypertableChangeProblems,
  replaces: hypertableReplaces,
  observe: observeHypertable,
  canonicalize: canonicalizeHypertable,
  facts: (client, desired, live) => hypertableFacts(client, desired, { rows: !live, carried: false }),
  dropFacts: (client, live) => hypertableFacts(client, live, { rows: true, carried: true }),
  plan: planHypertable,
  jobs: async (client, live) => jobStatus((await observedJobs(client, live, live.schema, live.table)).filter((j) => j.proc === COMPRESSION_PROC)),
  drop: dropHypertable,
};
