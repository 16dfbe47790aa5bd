import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { canonicalizeIndex, IndexFacts, indexFacts, observeIndex } from "./observe";
import { dropIndex, indexReplaces, planIndex } from "./plan";
import { indexSpec, IndexState } from "./spec";

/** The index kind: what the generic adapter (core/provider.ts) needs to manage an index (btree … pgvector HNSW/IVFFlat). */
export const indexKind: Kind<IndexState, IndexFacts> = {
  type: "Index",
  checkOnly: ["declaredTable"],
  schema: once(indexSpec),
  identity: (x) => `${x.schema}.${x.name}`,
  // CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on the table (conflicting with itself), a plain or per-chunk build SHARE, DROP INDEX ACCESS EXCLUSIVE; the index is a relation of its own.
  locks: (x) => relationLocks([{ schema: x.schema, name: x.table }, x]),
  replaces: indexReplaces,
  observe: observeIndex,
  canonicalize: canonicalizeIndex,
  facts: indexFacts,
  plan: planIndex,
  drop: dropIndex,
};
