import { changedProperties } from "../core/compare";
import { Kind } from "../core/kind";
import { schemaLock } from "../core/locks";
import { once } from "../core/once";
import { observeSchema, SchemaContents, schemaContents } from "./observe";
import { dropSchema, planSchema } from "./plan";
import { SchemaSpec, schemaSpec } from "./spec";

/** The schema kind: what the generic adapter (core/provider.ts) needs to manage a PostgreSQL schema. */
export const schemaKind: Kind<SchemaSpec, SchemaContents> = {
  type: "Schema",
  schema: once(schemaSpec),
  identity: (s) => s.name,
  locks: (s) => ({ exclusive: [schemaLock(s.name)], shared: [] }),
  replaces: (old, next) => changedProperties(old, next, ["name"]),
  observe: observeSchema,
  dropFacts: schemaContents,
  plan: (live, desired) => planSchema(live, desired),
  drop: dropSchema,
};
