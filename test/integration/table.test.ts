import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { tableKind } from "../../resources/table/kind";
import { conformanceCycle } from "../support/conformance";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("table");
  await db.sql.query("CREATE SCHEMA app");
});
afterAll(() => db.close());

const columns = async (sql: Client, table: string) =>
  (
    await sql.query(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type, NOT attnotnull AS nullable, pg_get_expr(d.adbin, d.adrelid) AS "default"
         FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [table],
    )
  ).rows;

const constraints = async (sql: Client, table: string) =>
  (await sql.query("SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = to_regclass($1) ORDER BY conname", [table])).rows;

const accounts = (url: string) => ({
  connection: { url },
  schema: "app",
  name: "accounts",
  columns: [
    { name: "id", type: "bigint", identity: "always" },
    { name: "email", type: "varchar(200)", nullable: false },
    { name: "balance", type: "numeric(12,2)", default: "0" },
    { name: "created_at", type: "timestamptz", nullable: false, default: "now()" },
  ],
  primaryKey: { columns: ["id"] },
  uniqueConstraints: [{ name: "accounts_email_key", columns: ["email"] }],
  checkConstraints: [{ name: "balance_non_negative", expression: "balance >= 0" }],
  comment: "customer accounts",
});

describe("Table conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = accounts(db.url);
    return {
      provider: providerFor(tableKind),
      inputs: base,
      verifyCreated: async (sql) => {
        expect(await columns(sql, "app.accounts")).toEqual([
          { name: "id", type: "bigint", nullable: false, default: null },
          { name: "email", type: "character varying(200)", nullable: false, default: null },
          { name: "balance", type: "numeric(12,2)", nullable: true, default: "0" },
          { name: "created_at", type: "timestamp with time zone", nullable: false, default: "now()" },
        ]);
        expect(await constraints(sql, "app.accounts")).toEqual([
          { conname: "accounts_email_key", def: "UNIQUE (email)" },
          { conname: "accounts_pkey", def: "PRIMARY KEY (id)" },
          { conname: "balance_non_negative", def: "CHECK ((balance >= (0)::numeric))" },
        ]);
      },
      drift: { sql: "ALTER TABLE app.accounts ALTER COLUMN balance SET DEFAULT 5", property: "columns" },
      update: {
        inputs: {
          ...base,
          columns: [...base.columns.filter((c) => c.name !== "balance"), { name: "note", type: "text" }],
          checkConstraints: [],
          comment: "accounts v2",
        },
        verify: async (sql) => {
          expect((await columns(sql, "app.accounts")).map((c) => c.name)).toEqual(["id", "email", "created_at", "note"]);
          expect((await constraints(sql, "app.accounts")).map((c) => c.conname)).toEqual(["accounts_email_key", "accounts_pkey"]);
        },
      },
      replace: { inputs: { ...base, name: "customers" }, property: "name" },
      refuseDelete: {
        prepare: async (sql) => void (await sql.query("INSERT INTO app.accounts (email) VALUES ('a@example.com'), ('b@example.com')")),
        error: /Table app\.accounts: refusing.*\[data-loss\] dropping table app\.accounts discards its 2 rows.*allowHazards: \["data-loss"\]/s,
        allow: { allowHazards: ["data-loss"] },
      },
      verifyDeleted: async (sql) => expect((await sql.query("SELECT to_regclass('app.accounts') AS t")).rows[0].t).toBeNull(),
    };
  });
});

describe("Table hazards against rows", () => {
  const provider = providerFor(tableKind);
  const spec = (extra: object = {}) => ({
    connection: { url: db.url },
    schema: "app",
    name: "readings",
    columns: [
      { name: "id", type: "int", nullable: false },
      { name: "value", type: "text" },
      { name: "embedding", type: "vector(3)" },
    ],
    ...extra,
  });
  let outs: Record<string, unknown>;

  beforeAll(async () => {
    outs = (await provider.create((await provider.check!({}, spec())).inputs)).outs;
    await db.sql.query("INSERT INTO app.readings VALUES (1, '42', '[1,2,3]'), (2, '7', '[4,5,6]')");
  });

  const update = async (s: object) => provider.update!("app.readings", outs, (await provider.check!(outs, s)).inputs);

  test("dropping a column that holds rows is refused as data-loss, and nothing changes", async () => {
    const s = spec();
    await expect(update({ ...s, columns: s.columns.slice(0, 2) })).rejects.toThrow(/\[data-loss\] dropping column "embedding" of app\.readings discards its values in 2 rows/);
    expect((await columns(db.sql, "app.readings")).map((c) => c.name)).toEqual(["id", "value", "embedding"]);
  });

  test("a rewriting type change is a table-rewrite hazard; allowed, it converts the values", async () => {
    const s = spec();
    const retyped = { ...s, columns: [s.columns[0], { name: "value", type: "integer" }, s.columns[2]] };
    await expect(update(retyped)).rejects.toThrow(/\[table-rewrite\] changing column "value" of app\.readings from text to integer rewrites 2 rows/);
    outs = (await update({ ...retyped, allowHazards: ["table-rewrite"] })).outs;
    expect((await db.sql.query("SELECT sum(value)::int AS s FROM app.readings")).rows[0].s).toBe(49);
  });

  test("a vector dimension change with rows fails before any SQL, naming the column and the fix", async () => {
    const s = spec();
    const cols = [s.columns[0], { name: "value", type: "integer" }, { name: "embedding", type: "vector(4)" }];
    await expect(update({ ...s, columns: cols, allowHazards: ["table-rewrite", "data-loss"] })).rejects.toThrow(
      /columns\[embedding\]\.type: changing vector\(3\) to vector\(4\).*Add a new vector\(4\) column, backfill it/s,
    );
  });

  test("adding a NOT NULL column without default to a table with rows fails before any SQL", async () => {
    const s = spec();
    const cols = [s.columns[0], { name: "value", type: "integer" }, s.columns[2], { name: "unit", type: "text", nullable: false }];
    await expect(update({ ...s, columns: cols })).rejects.toThrow(/columns\[unit\]: a NOT NULL column without a default cannot be added to a table with 2 rows/);
    expect((await columns(db.sql, "app.readings")).map((c) => c.name)).toEqual(["id", "value", "embedding"]);
  });

  test("adding a column with a volatile default rewrites: refused as table-rewrite; a constant default is stored once, no hazard", async () => {
    const s = spec();
    const cols = [s.columns[0], { name: "value", type: "integer" }, s.columns[2]];
    await expect(update({ ...s, columns: [...cols, { name: "u", type: "uuid", default: "gen_random_uuid()" }] })).rejects.toThrow(
      /\[table-rewrite\] adding column "u" of app\.readings with the volatile default gen_random_uuid\(\) rewrites 2 rows/,
    );
    outs = (await update({ ...s, columns: [...cols, { name: "unit", type: "text", default: "'m'" }] })).outs;
    expect(outs.appliedSql).toEqual([`ALTER TABLE "app"."readings" ADD COLUMN "unit" text DEFAULT 'm'::text`]);
    outs = (await update({ ...s, columns: cols, allowHazards: ["data-loss"] })).outs;
  });

  test("create adopts an existing identical table without touching its rows", async () => {
    const s = spec({ columns: [{ name: "id", type: "int", nullable: false }, { name: "value", type: "integer" }, { name: "embedding", type: "vector(3)" }] });
    const adopted = await provider.create((await provider.check!({}, s)).inputs);
    expect(adopted.id).toBe("app.readings");
    expect(adopted.outs.appliedSql).toEqual([]);
    expect((await db.sql.query("SELECT count(*)::int AS n FROM app.readings")).rows[0].n).toBe(2);
  });
});

describe("state written by refresh and expressions that re-parse", () => {
  const provider = providerFor(tableKind);
  const create = async (s: object) => provider.create((await provider.check!({}, { connection: { url: db.url }, schema: "app", ...s })).inputs);

  test("a hand-added column of a type no input would accept is reported, and refresh and delete keep working", async () => {
    const { id, outs } = await create({ name: "handmade", columns: [{ name: "id", type: "int" }] });
    await db.sql.query(`CREATE TYPE app.mood AS ENUM ('ok'); ALTER TABLE app.handmade ADD COLUMN "Mood" app.mood`);
    const first = await provider.read!(id, outs);
    expect((first.props as { columns: object[] }).columns).toEqual([{ name: "id", type: "integer", nullable: true }, { name: "Mood", type: "app.mood", nullable: true }]);
    expect((await provider.read!(id, first.props)).props).toEqual(first.props);
    await provider.delete!(id, first.props);
    expect((await db.sql.query("SELECT to_regclass('app.handmade') AS t")).rows[0].t).toBeNull();
  });

  test("a CHECK whose canonical text re-parses differently (IN over varchar) is applied once, then never again", async () => {
    const spec = { name: "tiers", columns: [{ name: "tier", type: "varchar(10)" }], checkConstraints: [{ name: "tier_known", expression: "tier IN ('l1', 'l2')" }] };
    const { id, outs } = await create(spec);
    const again = await provider.update!(id, outs, (await provider.check!(outs, { connection: { url: db.url }, schema: "app", ...spec, comment: "tiers" })).inputs);
    expect(again.outs.appliedSql).toEqual(['COMMENT ON TABLE "app"."tiers" IS \'tiers\'']);
  });

  test("an expression cannot end the statement it is part of: the scratch transaction stays rolled back", async () => {
    const evil = "0) /* ' */ ; COMMIT; CREATE TABLE public.pwned (x int); CREATE TEMP TABLE zz (y int /* ' */";
    await expect(create({ name: "evil", columns: [{ name: "id", type: "int", default: evil }] })).rejects.toThrow(/columns\[0\]\.default: must be exactly one SQL expression: syntax error at or near "\)"/);
    expect((await db.sql.query("SELECT to_regclass('public.pwned') AS t, to_regclass('app.evil') AS e")).rows[0]).toEqual({ t: null, e: null });
  });
});

test("an existing populated column made an identity generates values past the stored ones", async () => {
  const provider = providerFor(tableKind);
  const base = { connection: { url: db.url }, schema: "app", name: "numbered", columns: [{ name: "id", type: "bigint" }, { name: "v", type: "text" }], primaryKey: { columns: ["id"] } };
  const { id, outs } = await provider.create((await provider.check!({}, base)).inputs);
  await db.sql.query("INSERT INTO app.numbered SELECT g, 'x' FROM generate_series(1, 5) g");
  const withIdentity = { ...base, columns: [{ name: "id", type: "bigint", identity: "by default" }, base.columns[1]] };
  await expect(provider.update!(id, outs, (await provider.check!(outs, withIdentity)).inputs)).rejects.toThrow(
    /\[blocking-lock\] making column "id" of app\.numbered an identity reads its 5 rows for the largest stored value under an ACCESS EXCLUSIVE lock/,
  );
  await provider.update!(id, outs, (await provider.check!(outs, { ...withIdentity, allowHazards: ["blocking-lock"] })).inputs);
  expect((await db.sql.query("INSERT INTO app.numbered (v) VALUES ('y') RETURNING id")).rows[0].id).toBe("6");
});

test("an extension installed outside public (pgvector in schema extensions) is reached through connection.extensionSchemas, without a perpetual diff", async () => {
  const name = `${db.url.split("/").pop()}_ext`;
  await db.sql.query(`CREATE DATABASE "${name}"`);
  const url = new URL(db.url);
  url.pathname = `/${name}`;
  const admin = new Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query("CREATE SCHEMA extensions; CREATE EXTENSION vector SCHEMA extensions; CREATE SCHEMA app");
    const provider = providerFor(tableKind);
    const spec = {
      connection: { url: url.toString(), extensionSchemas: ["extensions"] },
      schema: "app", name: "docs",
      columns: [{ name: "id", type: "bigint", identity: "always" }, { name: "embedding", type: "vector(3)", default: "'[0,0,0]'" }],
    };
    const { id, outs } = await provider.create((await provider.check!({}, spec)).inputs);
    expect((await admin.query("SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'app.docs'::regclass AND attname = 'embedding'")).rows[0].t).toBe("extensions.vector(3)");
    const news = (await provider.check!(outs, spec)).inputs;
    expect(await provider.diff!(id, outs, news)).toMatchObject({ changes: false });
    expect((await provider.update!(id, outs, news)).outs.appliedSql).toEqual([]);
    expect((await provider.read!(id, outs)).props).toEqual(outs);
  } finally {
    await admin.end();
    await db.sql.query(`DROP DATABASE "${name}" WITH (FORCE)`);
  }
});
