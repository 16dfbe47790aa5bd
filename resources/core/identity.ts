import { quoteLiteral } from "./quote";
import { Step, step } from "./step";

/**
 * Moves the identity sequences of `relation` (a quoted qualified name; only
 * `column`'s when given) past the values already stored, so that the next
 * generated value is free: needed after rows were copied in (a table rebuilt,
 * a hypertable turned back into a plain table), or after an existing column
 * became an identity (its sequence starts at 1).
 */
export function syncIdentitySequences(relation: string, column?: string): Step {
  return step(
    `SELECT setval(s.seq::regclass, (SELECT COALESCE(max(v), 0) + 1 FROM (SELECT (to_jsonb(t) ->> a.attname)::bigint AS v FROM ${relation} t) m), false)
       FROM pg_attribute a, LATERAL (SELECT pg_get_serial_sequence(${quoteLiteral(relation)}, a.attname) AS seq) s
      WHERE a.attrelid = ${quoteLiteral(relation)}::regclass AND a.attidentity <> '' AND s.seq IS NOT NULL` +
      (column === undefined ? "" : ` AND a.attname = ${quoteLiteral(column)}`),
  );
}
