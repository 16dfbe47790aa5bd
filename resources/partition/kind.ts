import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { canonicalizePartition, observePartition, PartitionFacts, partitionFacts } from "./observe";
import { dropPartition, partitionReplaces, planPartition } from "./plan";
import { PartitionSpec, partitionSpec } from "./spec";

/** The partition kind: what the generic adapter (core/provider.ts) needs to manage a declared partition. */
export const partitionKind: Kind<PartitionSpec, PartitionFacts> = {
  type: "Partition",
  schema: once(partitionSpec),
  identity: (p) => `${p.schema}.${p.name}`,
  // CREATE TABLE … PARTITION OF and DETACH take ACCESS EXCLUSIVE on the parent, ATTACH SHARE UPDATE EXCLUSIVE; the partition is a relation of its own.
  locks: (p) => relationLocks([{ schema: p.schema, name: p.parent }, p]),
  replaces: partitionReplaces,
  observe: observePartition,
  canonicalize: canonicalizePartition,
  facts: partitionFacts,
  plan: planPartition,
  drop: dropPartition,
};
