import { canonicalColumnType, typeChangeAvoidsRewrite } from "../../resources/core/column-type";
import { quoteIdent } from "../../resources/core/quote";
import { scratchDatabase } from "../support/scratch";
import { ACCEPTED_SPELLINGS, REJECTED_BY_SERVER, TYPE_CHANGES } from "../unit/column-type.cases";

/**
 * Proves the expected spellings of test/unit/column-type.test.ts against the
 * server: each declared spelling becomes a column, and format_type (in a
 * session with search_path = pg_catalog, public, as pgstrata's own sessions)
 * must equal both the case's `server` text and canonicalColumnType(spelling).
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
/** format_type of column `c<i>` of types.spellings, by declared spelling. */
const live = new Map<string, string>();

beforeAll(async () => {
  db = await scratchDatabase("column_type");
  await db.sql.query("SET search_path = pg_catalog, public");
  await db.sql.query("SET TimeZone = 'UTC'");
  await db.sql.query("CREATE SCHEMA types");
  // One table, one column per spelling; the spelling is written as the user wrote it.
  const columns = ACCEPTED_SPELLINGS.map((c, i) => `c${i} ${c.declared}`).join(",\n  ");
  await db.sql.query(`CREATE TABLE types.spellings (\n  ${columns}\n)`);
  const { rows } = await db.sql.query<{ attnum: number; type: string }>(
    `SELECT attnum, format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = 'types.spellings'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
  );
  expect(rows).toHaveLength(ACCEPTED_SPELLINGS.length);
  rows.forEach((r, i) => live.set(ACCEPTED_SPELLINGS[i].declared, r.type));
});
afterAll(() => db.close());

describe("format_type of a column declared with each accepted spelling", () => {
  test.each(ACCEPTED_SPELLINGS.map((c) => [c.declared, c.server]))("%j is printed as %j", (declared, server) => {
    expect(live.get(declared)).toBe(server);
  });

  test.each(ACCEPTED_SPELLINGS.map((c) => [c.declared]))("canonicalColumnType(%j) equals the live format_type", (declared) => {
    expect(canonicalColumnType(declared)).toBe(live.get(declared));
  });

  test("the session's search_path matters: format_type qualifies vector when public is not on it", async () => {
    // Guards the premise of this file: without SET search_path the comparison would be meaningless.
    await db.sql.query("SET search_path = pg_catalog");
    try {
      const { rows } = await db.sql.query("SELECT format_type('public.vector'::regtype, 3) AS t");
      expect(rows[0].t).toBe("public.vector(3)");
    } finally {
      await db.sql.query("SET search_path = pg_catalog, public");
    }
  });
});

describe("spellings the server refuses", () => {
  test.each(REJECTED_BY_SERVER.map((c, i) => [c.declared, c.error, i] as const))("CREATE TABLE with %j fails: %p", async (declared, error, i) => {
    await expect(db.sql.query(`CREATE TABLE types.refused_${i} (c ${declared})`)).rejects.toThrow(error);
  });
});

/** A value of type `t` (text input form), so that the table has a row to rewrite. */
const sampleValue = (t: string) => (t.endsWith("[]") ? "{7}" : t.startsWith("bit") ? "101" : t.startsWith("timestamp") ? "2024-01-01 00:00" : "7");

describe("typeChangeAvoidsRewrite against the server (relfilenode changes exactly when the table is rewritten)", () => {
  const filenode = async (table: string) =>
    Number((await db.sql.query("SELECT pg_relation_filenode($1::regclass)::int AS n", [table])).rows[0].n);
  const rewrites = new Map<number, boolean>();

  beforeAll(async () => {
    for (const [i, c] of TYPE_CHANGES.entries()) {
      const table = `types.change_${i}`;
      await db.sql.query(`CREATE TABLE ${table} (c ${c.from})`);
      await db.sql.query(`INSERT INTO ${table} VALUES ($1)`, [sampleValue(c.from)]);
      const before = await filenode(table);
      await db.sql.query(`ALTER TABLE ${table} ALTER COLUMN c TYPE ${c.to} USING ${quoteIdent("c")}::${c.to}`);
      rewrites.set(i, (await filenode(table)) !== before);
    }
  });

  test.each(TYPE_CHANGES.map((c, i) => [c.from, c.to, c.rewrites, i] as const))("%j → %j rewrites the table: %p", (_from, _to, expected, i) => {
    expect(rewrites.get(i)).toBe(expected);
  });

  test("typeChangeAvoidsRewrite is true only for changes the server makes without a rewrite", () => {
    const claimedButRewritten = TYPE_CHANGES.filter((c, i) => typeChangeAvoidsRewrite(c.from, c.to) && rewrites.get(i));
    expect(claimedButRewritten).toEqual([]);
  });

  test("and it claims every non-rewriting change it documents (varchar widening, varchar↔text, numeric precision)", () => {
    const missed = TYPE_CHANGES.filter((c, i) => !c.conservative && rewrites.get(i) === false && !typeChangeAvoidsRewrite(c.from, c.to));
    expect(missed).toEqual([]);
  });
});
