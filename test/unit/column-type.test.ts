import { canonicalColumnType, columnType, typeChangeAvoidsRewrite } from "../../resources/core/column-type";
import { ACCEPTED_SPELLINGS, REJECTED_BY_SERVER, TYPE_CHANGES } from "./column-type.cases";

// The expected spellings are PostgreSQL's own: test/integration/column-type.test.ts
// creates a column of every declared spelling and compares format_type with `server`.

describe("canonicalColumnType: aliases become the server's format_type spelling", () => {
  test.each(ACCEPTED_SPELLINGS.map((c) => [c.declared, c.server]))("%j → %j", (declared, server) => {
    expect(canonicalColumnType(declared)).toBe(server);
  });

  test("canonical spellings are fixed points (declaring the live type again changes nothing)", () => {
    for (const c of ACCEPTED_SPELLINGS) expect(canonicalColumnType(c.server)).toBe(c.server);
  });
});

describe("canonicalColumnType: rejections", () => {
  test.each([
    "integr",
    "serial",
    "bigserial",
    "smallserial",
    "int; drop table x",
    "int4; DROP TABLE x --",
    "text)",
    "text[",
    "",
    "   ",
    "vector(1,2)",
    "varchar(20,2)",
    "numeric(1,2,3)",
    "int(4)",
    "integer with time zone",
    "timestamptz with time zone",
    "timestamp(7)",
    "time(7) with time zone",
    "public.vector(3)",
    '"integer"',
    "int4range",
  ])("%j is not a known type", (declared) => {
    expect(canonicalColumnType(declared)).toBeUndefined();
  });

  // Modifiers the server refuses (proven by the integration test) must be refused at check.
  test.each(REJECTED_BY_SERVER.map((c) => [c.declared]))("%j, which the server refuses, is rejected", (declared) => {
    expect(canonicalColumnType(declared)).toBeUndefined();
  });
});

describe("columnType() (the zod schema of columns[].type)", () => {
  test("yields the canonical spelling", () => {
    expect(columnType().parse("timestamptz(3)")).toBe("timestamp(3) with time zone");
  });

  test("rejects an unknown type with a message naming it and the fix", () => {
    const r = columnType().safeParse("integr");
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/unknown column type "integr": use a built-in type such as 'bigint'/);
  });

  test("rejects serial, pointing to identity", () => {
    const r = columnType().safeParse("serial");
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/serial types are not supported: use identity/);
  });

  test("rejects a non-string", () => {
    expect(columnType().safeParse(42).success).toBe(false);
  });
});

describe("typeChangeAvoidsRewrite", () => {
  // Proven against the server by test/integration/column-type.test.ts (relfilenode before/after).
  test.each(TYPE_CHANGES.map((c) => [c.from, c.to, !c.rewrites && !c.conservative]))("%j → %j: avoids rewrite = %p", (from, to, avoids) => {
    expect(typeChangeAvoidsRewrite(from, to)).toBe(avoids);
  });

  test("is never claimed for a change the server rewrites (soundness over every pair of the cases)", () => {
    const claimed = TYPE_CHANGES.filter((c) => typeChangeAvoidsRewrite(c.from, c.to));
    expect(claimed.length).toBeGreaterThan(0);
    expect(claimed.filter((c) => c.rewrites)).toEqual([]);
  });
});
