/**
 * The one place where text becomes SQL. Every identifier and literal that a
 * planner writes goes through these functions; user text is never concatenated.
 * Rules: PostgreSQL docs §4.1.1 "Identifiers and Key Words" and §4.1.2.1
 * "String Constants" (sessions run with standard_conforming_strings = on).
 */

/** `events` → `"events"`; embedded double quotes are doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `("events", "event_store")` → `"events"."event_store"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** `it's` → `'it''s'` (a standard-conforming string constant). */
export function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A comma-separated list of quoted identifiers: `"a", "b"`. */
export function quoteIdentList(names: readonly string[]): string {
  return names.map(quoteIdent).join(", ");
}
