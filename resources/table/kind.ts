import { changedProperties } from "../core/compare";
import { Kind } from "../core/kind";
import { relationLock, schemaLock } from "../core/locks";
import { once } from "../core/once";
import { canonicalizeLiveTable, canonicalizeTable } from "./canonical";
import { observeTable, TableFacts, tableFacts } from "./observe";
import { dropTable, planTable } from "./plan";
import { TableSpec, tableSpec } from "./spec";

/** The table kind: what the generic adapter (core/provider.ts) needs to manage a PostgreSQL table. */
export const tableKind: Kind<TableSpec, TableFacts> = {
  type: "Table",
  schema: once(tableSpec),
  identity: (t) => `${t.schema}.${t.name}`,
  locks: (t) => ({ exclusive: [relationLock(t.schema, t.name)], shared: [schemaLock(t.schema)] }),
  replaces: (old, next) => changedProperties(old, next, ["schema", "name"]),
  observe: observeTable,
  canonicalize: canonicalizeTable,
  canonicalizeLive: canonicalizeLiveTable,
  facts: tableFacts,
  plan: planTable,
  drop: dropTable,
};
