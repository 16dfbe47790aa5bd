import { changedProperties } from "../core/compare";
import { Kind } from "../core/kind";
import { relationLocks } from "../core/locks";
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
  // ADD / DROP FOREIGN KEY lock the referenced table too (SHARE ROW EXCLUSIVE / ACCESS EXCLUSIVE).
  locks: (t) => relationLocks([t, ...(t.foreignKeys ?? []).map((fk) => fk.references.table)]),
  replaces: (old, next) => changedProperties(old, next, ["schema", "name"]),
  observe: observeTable,
  canonicalize: canonicalizeTable,
  canonicalizeLive: canonicalizeLiveTable,
  facts: tableFacts,
  plan: planTable,
  drop: dropTable,
};
