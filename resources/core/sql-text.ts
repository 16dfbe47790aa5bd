/**
 * Reading text the server printed (catalog functions such as
 * `pg_get_partkeydef` and `pg_get_expr(relpartbound, …)`), never user text:
 * their output is canonical, so splitting it is exact.
 */

/**
 * Each character of `text` outside single-quoted literals and double-quoted
 * identifiers, with its index and the parenthesis/bracket depth before it.
 */
function* unquoted(text: string): Generator<{ i: number; ch: string; depth: number }> {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) {
        if (text[i + 1] === quote) i++;
        else quote = undefined;
      }
      continue;
    }
    if (ch === "'" || ch === '"') quote = ch;
    else yield { i, ch, depth };
    if (ch === "(" || ch === "[") depth++;
    else if (ch === ")" || ch === "]") depth--;
  }
}

/**
 * Splits `text` at commas outside parentheses, brackets, single-quoted
 * literals and double-quoted identifiers, trimming each part:
 * `at, lower(region), 'a,b'` → `["at", "lower(region)", "'a,b'"]`.
 */
export function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (const { i, ch, depth } of unquoted(text)) {
    if (ch === "," && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  return last === "" && parts.length === 0 ? [] : [...parts, last];
}

/** The text inside the outermost parentheses that follow `prefix`: `parenthesized("RANGE (a, b)", "RANGE")` → `"a, b"`. */
export function parenthesized(text: string, prefix: string): string | undefined {
  if (!text.startsWith(prefix)) return undefined;
  const rest = text.slice(prefix.length).trim();
  return rest.startsWith("(") && rest.endsWith(")") ? rest.slice(1, -1) : undefined;
}

/**
 * The contents of each top-level parenthesized group of `text`, in order:
 * `FOR VALUES FROM ('a') TO ('b')` → `["'a'", "'b'"]`.
 */
export function parenthesizedGroups(text: string): string[] {
  const groups: string[] = [];
  let start = 0;
  for (const { i, ch, depth } of unquoted(text)) {
    if (ch === "(" && depth === 0) start = i + 1;
    else if (ch === ")" && depth === 1) groups.push(text.slice(start, i));
  }
  return groups;
}

/** A constant as the server prints it: `'it''s'` → `it's`; bare words and numbers (`MINVALUE`, `10`) as they are; `NULL` → null. */
export function constantValue(token: string): string | null {
  if (token === "NULL") return null;
  return token.startsWith("'") && token.endsWith("'") ? token.slice(1, -1).replace(/''/g, "'") : token;
}
