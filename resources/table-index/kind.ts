import { Kind } from "../core/kind";
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
  replaces: indexReplaces,
  observe: observeIndex,
  canonicalize: canonicalizeIndex,
  facts: indexFacts,
  plan: planIndex,
  drop: dropIndex,
};
