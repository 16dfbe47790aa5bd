import { providerFor } from "../../resources/core/provider";
import { tableKind } from "../../resources/table/kind";
import { scratchDatabase } from "../support/scratch";

/**
 * A column type change runs `ALTER COLUMN … TYPE new USING col::new`, whose
 * explicit cast truncates and rounds without complaint. A change that would
 * alter stored values is a `data-loss` hazard naming the rows it changes (the
 * server counts them while planning); one whose cast fails for some rows is
 * refused before any SQL, with their count.
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("type_change");
  await db.sql.query("CREATE SCHEMA app");
});
afterAll(() => db.close());

const provider = providerFor(tableKind);
const COLUMNS = [
  { name: "a", type: "varchar(10)" },
  { name: "b", type: "text" },
  { name: "c", type: "numeric(12,2)" },
  { name: "d", type: "timestamptz" },
  { name: "e", type: "double precision" },
  { name: "f", type: "text" },
  { name: "g", type: "integer" },
];
const spec = (changes: Record<string, string> = {}, allowHazards: string[] = []) => ({
  connection: { url: db.url },
  schema: "app",
  name: "narrowed",
  columns: COLUMNS.map((c) => ({ ...c, type: changes[c.name] ?? c.type })),
  allowHazards,
});
let outs: Record<string, unknown>;
const update = async (s: object) => provider.update!("app.narrowed", outs, (await provider.check!(outs, s)).inputs);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const values = async () => (await db.sql.query("SELECT a, b, c::text, d::text, e, f, g FROM app.narrowed ORDER BY g")).rows;

beforeAll(async () => {
  outs = (await provider.create((await provider.check!({}, spec())).inputs)).outs;
  await db.sql.query(`INSERT INTO app.narrowed VALUES
    ('abcdef', 'xy', 1.50, '2024-01-01 10:00+00', 1.5, '42', 1),
    ('ab',     'z',  2.00, '2024-01-02 00:00+00', 2,   '7',  2),
    (NULL,     NULL, NULL, NULL,                  NULL, NULL, 3)`);
});

describe.each([
  ["a", "varchar(3)", "character varying(10) to character varying(3)"],
  ["b", "char(1)", "text to character(1)"],
  ["c", "numeric(12,0)", "numeric(12,2) to numeric(12,0)"],
  ["d", "date", "timestamp with time zone to date"],
  ["e", "integer", "double precision to integer"],
])("narrowing %s to %s", (column, type, change) => {
  test("is a data-loss hazard counting the rows whose value changes, besides the rewrite; nothing changes", async () => {
    const before = await values();
    const error = await update(spec({ [column]: type }, ["table-rewrite"])).then(() => undefined, (e: Error) => e.message);
    expect(error).toMatch(new RegExp(`\\[data-loss\\] changing column "${column}" of app\\.narrowed from ${escape(change)} changes the stored value in 1 row`));
    expect(error).not.toMatch(/\[table-rewrite\]/);
    expect(await values()).toEqual(before);
  });
});

test("allowed as data-loss, the narrowing applies", async () => {
  outs = (await update(spec({ a: "varchar(3)" }, ["table-rewrite", "data-loss"]))).outs;
  expect((await values()).map((r) => r.a)).toEqual(["abc", "ab", null]);
});

test("a change that keeps every value (text of digits to integer, integer to bigint) is no data-loss", async () => {
  const s = { ...spec({ a: "varchar(3)", f: "integer", g: "bigint" }, ["table-rewrite"]) };
  outs = (await update(s)).outs;
  expect((await values()).map((r) => [r.f, r.g])).toEqual([[42, "1"], [7, "2"], [null, "3"]]);
});

test("a cast that fails for some rows is refused before any SQL, with their count", async () => {
  await db.sql.query("INSERT INTO app.narrowed (a, c, e, g) VALUES ('x', 99999999.99, 1e20, 4), ('y', NULL, 3e20, 5)");
  const before = await values();
  await expect(update(spec({ a: "varchar(3)", f: "integer", g: "bigint", c: "numeric(5,0)" }, ["table-rewrite", "data-loss"]))).rejects.toThrow(
    /Table app\.narrowed: columns\[c\]\.type: 1 row holds a value that numeric\(12,2\) to numeric\(5,0\) cannot convert \(numeric field overflow\)/,
  );
  await expect(update(spec({ a: "varchar(3)", f: "integer", g: "bigint", e: "integer" }, ["table-rewrite", "data-loss"]))).rejects.toThrow(
    /columns\[e\]\.type: 2 rows hold a value that double precision to integer cannot convert \(integer out of range\)/,
  );
  expect(await values()).toEqual(before);
});
