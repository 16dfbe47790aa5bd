import { loadModule, parseSync } from "libpg-query";

/**
 * PostgreSQL's own parser (`libpg-query`, the server's grammar compiled to
 * WebAssembly), for what `check` must know about user SQL without a database:
 * that a text is exactly one expression, and what it contains. Nothing here
 * evaluates SQL; canonical text still comes from the server.
 */

let loaded: Promise<void> | undefined;

/** Loads the parser once per process; await it before {@link parseExpression} (the provider does, before validating). */
export function loadSqlParser(): Promise<void> {
  return (loaded ??= loadModule());
}

/** A node of the parse tree, as libpg-query's JSON: `{ NodeType: { …fields } }`. */
export type ParseNode = Record<string, unknown>;

/**
 * The parse tree of one SQL expression, or the reason it is not one: a syntax
 * error (with the server's message) or text that ends the expression and goes
 * on (`a) OR (b`, a second statement). The expression is parsed as the target
 * of `SELECT (…)`, so anything a CHECK, default or index predicate may hold
 * parses the same way.
 */
export function parseExpression(text: string): { tree: ParseNode } | { problem: string } {
  let result: { stmts?: { stmt: ParseNode }[] };
  try {
    result = parseSync(`SELECT (${text}\n)`);
  } catch (error) {
    return { problem: `is not a valid SQL expression: ${(error as Error).message}` };
  }
  const select = result.stmts?.length === 1 ? (result.stmts[0].stmt.SelectStmt as { targetList?: { ResTarget: { val: ParseNode } }[] } | undefined) : undefined;
  // Anything but the one target (FROM, WHERE, ORDER BY, UNION…) means the text closed the parenthesis and went on.
  const clauses = Object.keys(select ?? {}).filter((k) => !["targetList", "limitOption", "op"].includes(k));
  if (!select || select.targetList?.length !== 1 || clauses.length > 0) return { problem: "must be exactly one SQL expression" };
  return { tree: select.targetList[0].ResTarget.val };
}

/** Whether `node` (a parse tree) holds a node of type `type` anywhere, e.g. `SubLink` (a subquery). */
export function containsNode(node: unknown, type: string): boolean {
  if (Array.isArray(node)) return node.some((n) => containsNode(n, type));
  if (node === null || typeof node !== "object") return false;
  return Object.entries(node).some(([key, value]) => key === type || containsNode(value, type));
}
