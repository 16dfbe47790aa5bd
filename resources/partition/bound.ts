import { quoteLiteral } from "../core/quote";
import { constantValue, parenthesizedGroups, splitTopLevel } from "../core/sql-text";
import type { Bound } from "./spec";

const constant = (v: string | null) => (v === null ? "NULL" : v === "MINVALUE" || v === "MAXVALUE" ? v : quoteLiteral(v));

/** The partition_bound_spec of `bound`: `FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')`, `DEFAULT`, … (values always as quoted literals, so no user text is SQL). */
export function boundSql(bound: Bound): string {
  if (bound === "default") return "DEFAULT";
  if ("from" in bound) return `FOR VALUES FROM (${bound.from.map(constant).join(", ")}) TO (${bound.to.map(constant).join(", ")})`;
  if ("in" in bound) return `FOR VALUES IN (${bound.in.map(constant).join(", ")})`;
  return `FOR VALUES WITH (modulus ${bound.modulus}, remainder ${bound.remainder})`;
}

/**
 * The bound the server printed (`pg_get_expr(relpartbound, oid)`) in the
 * shape of a declared one: `FOR VALUES FROM ('2024-01-01 00:00:00+00') TO (MAXVALUE)`
 * → `{ from: ["2024-01-01 00:00:00+00"], to: ["MAXVALUE"] }`.
 */
export function parseBound(text: string): Bound {
  if (text === "DEFAULT") return "default";
  const groups = parenthesizedGroups(text).map((g) => splitTopLevel(g));
  if (text.startsWith("FOR VALUES FROM")) return { from: groups[0].map((v) => constantValue(v) ?? "NULL"), to: groups[1].map((v) => constantValue(v) ?? "NULL") };
  if (text.startsWith("FOR VALUES IN")) return { in: groups[0].map(constantValue) };
  const [modulus, remainder] = groups[0].map((part) => Number(part.split(" ")[1]));
  return { modulus, remainder };
}
