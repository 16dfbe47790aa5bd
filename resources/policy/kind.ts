import { changedProperties } from "../core/compare";
import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
import { once } from "../core/once";
import { canonicalizeLivePolicy, canonicalizePolicy, observePolicy, PolicyFacts, policyFacts } from "./observe";
import { dropPolicy, planPolicy } from "./plan";
import { PolicySpec, policySpec } from "./spec";

/** The policy kind: what the generic adapter (core/provider.ts) needs to manage a row-level security policy. */
export const policyKind: Kind<PolicySpec, PolicyFacts> = {
  type: "Policy",
  schema: once(policySpec),
  identity: (p) => `${p.schema}.${p.table}.${p.name}`,
  // CREATE / ALTER / DROP POLICY take ACCESS EXCLUSIVE on the table.
  locks: (p) => relationLocks([{ schema: p.schema, name: p.table }], [`Policy ${p.schema}.${p.table}.${p.name}`]),
  replaces: (old, next) => changedProperties(old, next, ["schema", "table", "name"]),
  observe: observePolicy,
  canonicalize: canonicalizePolicy,
  canonicalizeLive: canonicalizeLivePolicy,
  facts: policyFacts,
  plan: planPolicy,
  drop: dropPolicy,
};
