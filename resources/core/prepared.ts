import { createHash } from "crypto";
import type { QueryConfig } from "pg";

/** Statement names by text. */
const names = new Map<string, string>();

/**
 * `text` with `values` as a named prepared statement: each session parses and
 * plans it once and runs it from its plan cache afterwards (PostgreSQL docs
 * §55.2.3 "Extended Query"; plans of a catalog lookup by a parameter cost more
 * than running them: 1–2 ms against 0.3–0.6 ms for the table and hypertable
 * reads). For statements whose text is the same on every call (catalog reads
 * with `$n` parameters), never for text that embeds per-call values, which
 * would leave a prepared statement per value in the session. The name is
 * derived from the text, as one name cannot stand for two texts. Needs a
 * server session per client (pgstrata's pools; a transaction-pooling proxy
 * cannot keep them, as it cannot keep pgstrata's session settings either).
 */
export function prepared(text: string, values: unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `pgstrata_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return { name, text, values };
}
