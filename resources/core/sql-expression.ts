import { loadModule, parseSync } from "libpg-query";

let loaded = false;

/**
 * PostgreSQL's own parser (`libpg-query`, PostgreSQL 17's grammar compiled to
 * WebAssembly), loaded once per process. The provider awaits it before it
 * validates any input (core/provider.ts).
 */
export const sqlParserReady: Promise<void> = loadModule().then(() => {
  loaded = true;
});

/** A node of the parse tree, as libpg-query's JSON: `{ NodeType: { …fields } }`. */
export type ParseNode = Record<string, unknown>;

/** One statement's parse tree, as much of it as this module reads. */
type Parsed = { stmts: { stmt: { SelectStmt?: Record<string, unknown> & { op?: string; targetList?: { ResTarget: { name?: string; val: ParseNode } }[] } } }[] };

/** Parse `sql`: the tree, or the parser's message (e.g. `syntax error at or near ")"`). */
function parse(sql: string): Parsed | string {
  try {
    return parseSync(sql) as Parsed;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Why `expression` is not exactly one SQL expression, or undefined when it
 * is. Parsed by PostgreSQL's grammar as `SELECT <expression>` (one statement,
 * one unnamed target, no other clause) and as `SELECT (<expression>)`, which
 * also refuses a trailing `--` comment and unbalanced parentheses that would
 * swallow or escape the DDL around the expression: `c > 0), CONSTRAINT x
 * CHECK (c < 100`, `1 /*`, `0, junk`. Undefined, too, while the parser is
 * not loaded yet (a program parsing a declaration for its keys): the
 * provider validates again once it is.
 */
export function expressionProblem(expression: string): string | undefined {
  if (!loaded) return undefined;
  if (!problems.has(expression)) problems.set(expression, problemOf(expression));
  return problems.get(expression);
}

/**
 * {@link expressionProblem}'s answers by expression: `check` and `diff` parse
 * the same few expressions a program declares on every call (two parses of
 * 0.1–0.3 ms each).
 */
const problems = new Map<string, string | undefined>();

function problemOf(expression: string): string | undefined {
  const bare = parse(`SELECT ${expression}`);
  if (typeof bare === "string") return bare;
  if (bare.stmts.length !== 1) return "it holds more than one statement (remove the ';')";
  const select = bare.stmts[0].stmt.SelectStmt;
  const clauses = Object.keys(select ?? {}).filter((k) => !["targetList", "limitOption", "op"].includes(k));
  if (!select || select.op !== "SETOP_NONE" || clauses.length > 0) return "it continues past the expression";
  if (select.targetList!.length !== 1) return `it is ${select.targetList!.length} comma-separated values`;
  if (select.targetList![0].ResTarget.name !== undefined) return `it names its value (AS ${select.targetList![0].ResTarget.name})`;
  const wrapped = parse(`SELECT (${expression})`);
  return typeof wrapped === "string" ? `${wrapped} once enclosed in parentheses (an unbalanced parenthesis or a trailing -- comment)` : undefined;
}

/**
 * The parse tree of `expression` (one that {@link expressionProblem} accepts),
 * for rules about what it contains; undefined when it is not one expression
 * or the parser is not loaded yet.
 */
export function expressionTree(expression: string): ParseNode | undefined {
  if (!loaded || expressionProblem(expression) !== undefined) return undefined;
  const parsed = parse(`SELECT ${expression}`) as Parsed;
  return parsed.stmts[0].stmt.SelectStmt!.targetList![0].ResTarget.val;
}

/** Whether `node` (a parse tree) holds a node of type `type` anywhere, e.g. `SubLink` (a subquery). */
export function containsNode(node: unknown, type: string): boolean {
  if (Array.isArray(node)) return node.some((n) => containsNode(n, type));
  if (node === null || typeof node !== "object") return false;
  return Object.entries(node).some(([key, value]) => key === type || containsNode(value, type));
}

/**
 * The relations `query` (one statement) names in its FROM clauses, joins and
 * subqueries, in order of appearance: `RangeVar` nodes of its parse tree,
 * unqualified names in `public` (where a search path of `public` finds
 * them). Empty when it does not parse or the parser is not loaded yet.
 */
export function queryRelations(query: string): { schema: string; name: string }[] {
  if (!loaded) return [];
  const parsed = parse(query);
  if (typeof parsed === "string") return [];
  const found: { schema: string; name: string }[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== "object") return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "RangeVar") {
        const r = value as { schemaname?: string; relname: string };
        found.push({ schema: r.schemaname ?? "public", name: r.relname });
      }
      visit(value);
    }
  };
  visit(parsed.stmts);
  return found;
}
