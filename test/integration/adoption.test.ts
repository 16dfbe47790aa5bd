import { providerFor } from "../../resources/core/provider";
import { policyKind } from "../../resources/policy/kind";
import { tableKind } from "../../resources/table/kind";
import { scratchDatabase } from "../support/scratch";

/**
 * A table made by hand (psql) and then declared with the same meaning is
 * adopted as it is: create runs no SQL and the catalogs are untouched, for
 * every spelling the server accepts, including those whose printed text
 * re-parses differently (an IN list over varchar gains casts on each round).
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("adoption");
  await db.sql.query("CREATE SCHEMA app");
});
afterAll(() => db.close());

const provider = providerFor(tableKind);

/** Every constraint and default of the table with its oid: adoption must leave each one in place. */
const catalog = async (table: string) =>
  (
    await db.sql.query(
      `SELECT 'constraint ' || conname || ' ' || oid || ' ' || pg_get_constraintdef(oid) AS item FROM pg_constraint WHERE conrelid = $1::regclass
       UNION ALL SELECT 'default ' || adnum || ' ' || oid || ' ' || pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = $1::regclass
       UNION ALL SELECT 'relfilenode ' || pg_relation_filenode($1::regclass)
       ORDER BY 1`,
      [table],
    )
  ).rows.map((r) => r.item);

interface Case {
  label: string;
  /** Column definitions and constraints as written in psql. */
  psql: string;
  /** The same table as declared. */
  columns: { name: string; type: string; default?: string; nullable?: boolean }[];
  checkConstraints: { name: string; expression: string }[];
}

const CASES: Case[] = [
  {
    label: "written the same way in psql and in the declaration",
    psql: `s varchar(10) CONSTRAINT s_known CHECK (s IN ('a', 'b')),
           n int CONSTRAINT n_range CHECK (n BETWEEN 1 AND 10),
           c text CONSTRAINT c_cast CHECK (c::varchar(5) = 'x'),
           t timestamptz DEFAULT now(),
           x text DEFAULT 'x'::text,
           m numeric(12,2) DEFAULT 0 CONSTRAINT m_min CHECK (m >= 0.5),
           d date DEFAULT current_date,
           u varchar(5) DEFAULT 'u' CONSTRAINT u_known CHECK (u IN ('u', 'v') OR u IS NULL),
           j jsonb DEFAULT '{}'`,
    columns: [
      { name: "s", type: "varchar(10)" },
      { name: "n", type: "int" },
      { name: "c", type: "text" },
      { name: "t", type: "timestamptz", default: "now()" },
      { name: "x", type: "text", default: "'x'::text" },
      { name: "m", type: "numeric(12,2)", default: "0" },
      { name: "d", type: "date", default: "current_date" },
      { name: "u", type: "varchar(5)", default: "'u'" },
      { name: "j", type: "jsonb", default: "'{}'" },
    ],
    checkConstraints: [
      { name: "s_known", expression: "s IN ('a', 'b')" },
      { name: "n_range", expression: "n BETWEEN 1 AND 10" },
      { name: "c_cast", expression: "c::varchar(5) = 'x'" },
      { name: "m_min", expression: "m >= 0.5" },
      { name: "u_known", expression: "u IN ('u', 'v') OR u IS NULL" },
    ],
  },
  {
    label: "written in psql in other spellings of the same expressions",
    psql: `s varchar(10) CONSTRAINT s_known CHECK ("s" in ( 'a','b' )),
           n int CONSTRAINT n_range CHECK (n >= 1 AND n <= 10),
           t timestamptz DEFAULT pg_catalog.now(),
           m numeric(12,2) DEFAULT 0.0 CONSTRAINT m_min CHECK (m >= .5)`,
    columns: [
      { name: "s", type: "character varying(10)" },
      { name: "n", type: "integer" },
      { name: "t", type: "timestamp with time zone", default: "NOW()" },
      { name: "m", type: "numeric(12, 2)", default: "0.0" },
    ],
    checkConstraints: [
      { name: "s_known", expression: "s IN ('a','b')" },
      { name: "n_range", expression: "n BETWEEN 1 AND 10" },
      { name: "m_min", expression: "m >= 0.5" },
    ],
  },
];

test.each(CASES.map((c, i) => [c.label, c, i] as const))("a table %s is adopted with no SQL and an untouched catalog", async (_label, c, i) => {
  const table = `app.made_by_hand_${i}`;
  await db.sql.query(`CREATE TABLE ${table} (${c.psql})`);
  const before = await catalog(table);
  const inputs = { connection: { url: db.url }, schema: "app", name: `made_by_hand_${i}`, columns: c.columns, checkConstraints: c.checkConstraints };
  const checked = await provider.check!({}, inputs);
  expect(checked.failures ?? []).toEqual([]);
  const { id, outs } = await provider.create(checked.inputs);
  expect(outs.appliedSql).toEqual([]);
  expect(await catalog(table)).toEqual(before);
  // And it stays so: a refresh shows nothing, an update runs nothing.
  expect((await provider.read!(id, outs)).props).toEqual(outs);
  expect((await provider.update!(id, outs, (await provider.check!(outs, inputs)).inputs)).outs.appliedSql).toEqual([]);
  expect(await catalog(table)).toEqual(before);
});

test("a hand-made CHECK that means something else is still replaced", async () => {
  await db.sql.query("CREATE TABLE app.differs (s varchar(10) CONSTRAINT s_known CHECK (s IN ('a', 'c')))");
  const inputs = { connection: { url: db.url }, schema: "app", name: "differs", columns: [{ name: "s", type: "varchar(10)" }], checkConstraints: [{ name: "s_known", expression: "s IN ('a', 'b')" }] };
  const { outs } = await provider.create((await provider.check!({}, inputs)).inputs);
  expect(outs.appliedSql).toEqual([
    'ALTER TABLE "app"."differs" DROP CONSTRAINT "s_known"',
    expect.stringMatching(/^ALTER TABLE "app"\."differs" ADD CONSTRAINT "s_known" CHECK \(.*'b'.*\)$/),
  ]);
});

test("a hand-made policy whose expressions re-parse differently (IN over varchar) is adopted with no SQL", async () => {
  await db.sql.query(`CREATE TABLE app.tiers (tier varchar(10), region varchar(5));
    CREATE POLICY tiered ON app.tiers FOR UPDATE USING (tier IN ('l1', 'l2')) WITH CHECK (region IN ('eu', 'us') AND tier BETWEEN 'a' AND 'z')`);
  const policy = async () => (await db.sql.query("SELECT oid, pg_get_expr(polqual, polrelid) AS q, pg_get_expr(polwithcheck, polrelid) AS c FROM pg_policy WHERE polname = 'tiered'")).rows;
  const before = await policy();
  const policies = providerFor(policyKind);
  const inputs = { connection: { url: db.url }, schema: "app", table: "tiers", name: "tiered", command: "update", using: "tier IN ('l1', 'l2')", withCheck: "region IN ('eu', 'us') AND tier BETWEEN 'a' AND 'z'" };
  const { outs } = await policies.create((await policies.check!({}, inputs)).inputs);
  expect(outs.appliedSql).toEqual([]);
  expect(await policy()).toEqual(before);
});
