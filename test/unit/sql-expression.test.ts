/**
 * SQL expressions are parsed by PostgreSQL's own grammar at check (issue 5):
 * text that would close the DDL around it, add an undeclared constraint,
 * comment out a following column or smuggle a second value fails naming the
 * property, before any SQL. Each of these passed check before the parser.
 */
import { providerFor } from "../../resources/core/provider";
import { sqlParserReady } from "../../resources/core/sql-expression";
import { tableKind } from "../../resources/table/kind";

const connection = { url: "postgres://app@db:5432/app" };
const table = (columns: object[], checkConstraints: object[] = []) => ({ connection, schema: "app", name: "t", columns, checkConstraints });
const failures = async (inputs: object) => (await providerFor(tableKind).check!({}, inputs)).failures ?? [];

beforeAll(() => sqlParserReady);

test("a CHECK that closes its parenthesis and declares another constraint", async () => {
  expect(await failures(table([{ name: "c", type: "int" }], [{ name: "c_positive", expression: "c > 0), CONSTRAINT x CHECK (c < 100" }]))).toEqual([
    { property: "checkConstraints[0].expression", reason: 'must be exactly one SQL expression: syntax error at or near ")"' },
  ]);
});

test("defaults that open and close a comment across two columns", async () => {
  expect(await failures(table([{ name: "a", type: "int", default: "1 /*" }, { name: "b", type: "int", default: "2 */" }]))).toEqual([
    { property: "columns[0].default", reason: 'must be exactly one SQL expression: unterminated /* comment at or near "/*"' },
    { property: "columns[1].default", reason: "must be exactly one SQL expression: syntax error at end of input" },
  ]);
});

test("a default with a second value, a name, a second statement, or a trailing -- comment", async () => {
  const reasons = await Promise.all(["0, junk", "0 AS junk", "0; DROP TABLE app.t", "0 FROM pg_class", "now() -- the time"].map(async (d) => (await failures(table([{ name: "a", type: "int", default: d }])))[0]?.reason));
  expect(reasons).toEqual([
    "must be exactly one SQL expression: it is 2 comma-separated values",
    "must be exactly one SQL expression: it names its value (AS junk)",
    "must be exactly one SQL expression: it holds more than one statement (remove the ';')",
    "must be exactly one SQL expression: it continues past the expression",
    'must be exactly one SQL expression: syntax error at end of input once enclosed in parentheses (an unbalanced parenthesis or a trailing -- comment)',
  ]);
});

test("ordinary expressions pass, including ';' and comments inside strings and quoted names", async () => {
  const ok = ["now()", "'{}'::jsonb", "s IN ('a', 'b')", "gen_random_uuid()", "'a;b -- c /* d'", `"we;ird" IS NOT NULL`, "(a > 0) AND (b < 1)", "CASE WHEN a > 0 THEN 1 ELSE 0 END = 1"];
  for (const e of ok) expect(await failures(table([{ name: "a", type: "int" }, { name: "b", type: "int" }, { name: "s", type: "text" }, { name: "we;ird", type: "int" }], [{ name: "k", expression: e }]))).toEqual([]);
});
