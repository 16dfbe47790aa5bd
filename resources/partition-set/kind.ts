import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { canonicalizePartitionSet, observePartitionSet, PartitionSetFacts, partitionSetFacts } from "./observe";
import { dropPartitionSet, partitionSetChangeProblems, partitionSetReplaces, planPartitionSet } from "./plan";
import { PartitionSetSpec, partitionSetSpec } from "./spec";

/** The partition set kind: what the generic adapter (core/provider.ts) needs to manage a pg_partman 5 partition set. */
export const partitionSetKind: Kind<PartitionSetSpec, PartitionSetFacts> = {
  type: "PartitionSet",
  schema: once(partitionSetSpec),
  identity: (s) => `${s.schema}.${s.parent}`,
  // create_parent and maintenance create and drop partitions: ACCESS EXCLUSIVE on the parent.
  locks: (s) => relationLocks([{ schema: s.schema, name: s.parent }]),
  checkOnly: ["declaredParent"],
  checkChange: partitionSetChangeProblems,
  replaces: partitionSetReplaces,
  observe: observePartitionSet,
  canonicalize: canonicalizePartitionSet,
  facts: partitionSetFacts,
  plan: planPartitionSet,
  drop: dropPartitionSet,
};
