/**
 * Identifiers as PostgreSQL allows them (docs §4.1.1): any name of 1–63 bytes
 * without NUL is accepted and always quoted. Names with quotes, semicolons,
 * spaces, mixed case and unicode go through the whole cycle (create, no diff,
 * drift, update, delete) and exactly the declared objects exist — nothing an
 * injection attempt names; a table made by an ORM (Prisma's `"User"` with
 * `"createdAt"`) is adopted without SQL.
 */
import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { schemaKind } from "../../resources/schema/kind";
import { tableKind } from "../../resources/table/kind";
import { conformanceCycle } from "../support/conformance";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("identifiers");
  await db.sql.query(`CREATE SCHEMA app; CREATE TABLE app.victim (id int); CREATE SCHEMA "Événements ""v2"""`);
});
afterAll(() => db.close());

const schemas = providerFor(schemaKind);
const tables = providerFor(tableKind);
const hypertables = providerFor(hypertableKind);

/** Names that would end, or break out of, an unquoted or badly quoted statement. */
const SCHEMA = `ev"il; DROP SCHEMA app CASCADE; --`;
const EXISTING_SCHEMA = `Événements "v2"`;
const TABLE = `My Table'); DROP TABLE app.victim; --`;
const COLUMNS = ["createdAt", `a"b`, "naïve café", "select", "x;y"];

const schemaNames = async (sql: Client) => (await sql.query("SELECT nspname FROM pg_namespace WHERE nspname !~ '^(pg_|_timescaledb|information_schema|timescaledb|partman|public)' ORDER BY 1")).rows.map((r) => r.nspname);
const relation = async (sql: Client, schema: string, name: string) =>
  (
    await sql.query(
      `SELECT c.oid, (SELECT json_agg(attname ORDER BY attnum) FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns,
              (SELECT json_agg(conname ORDER BY conname) FROM pg_constraint WHERE conrelid = c.oid) AS constraints
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
      [schema, name],
    )
  ).rows[0];

describe("a schema named with a quote, a semicolon and a comment: the whole cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = { connection: { url: db.url }, name: SCHEMA, comment: "it's quoted" };
    return {
      provider: schemas,
      inputs: base,
      verifyCreated: async (sql) => {
        expect(await schemaNames(sql)).toEqual([EXISTING_SCHEMA, "app", SCHEMA].sort());
        expect((await sql.query("SELECT obj_description(oid, 'pg_namespace') AS c FROM pg_namespace WHERE nspname = $1", [SCHEMA])).rows[0].c).toMatch(/quoted/);
      },
      drift: { sql: `COMMENT ON SCHEMA "ev""il; DROP SCHEMA app CASCADE; --" IS 'by hand'`, property: "comment" },
      update: {
        inputs: { ...base, comment: "it's quoted, v2" },
        verify: async (sql) => expect((await sql.query("SELECT obj_description(oid, 'pg_namespace') AS c FROM pg_namespace WHERE nspname = $1", [SCHEMA])).rows[0].c).toBe("it's quoted, v2"),
      },
      replace: { inputs: { ...base, name: "Evil" }, property: "name" },
      verifyDeleted: async (sql) => expect(await schemaNames(sql)).toEqual([EXISTING_SCHEMA, "app"].sort()),
    };
  });
});

describe("a table with mixed case, unicode, spaces, quotes and semicolons in every name: the whole cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = {
      connection: { url: db.url },
      schema: EXISTING_SCHEMA,
      name: TABLE,
      columns: COLUMNS.map((name) => ({ name, type: "bigint", nullable: !["createdAt", `a"b`, "select"].includes(name) })),
      primaryKey: { name: `PK "${TABLE}"`, columns: ["createdAt", `a"b`] },
      uniqueConstraints: [{ name: "Unique; naïve", columns: ["naïve café"] }],
      checkConstraints: [{ name: `Check "x;y"`, expression: `"x;y" > 0` }],
      comment: "it's a table",
    };
    return {
      provider: tables,
      inputs: base,
      verifyCreated: async (sql) =>
        expect(await relation(sql, EXISTING_SCHEMA, TABLE)).toMatchObject({
          columns: COLUMNS,
          constraints: [`Check "x;y"`, `PK "${TABLE}"`, "Unique; naïve"].sort(),
        }),
      drift: { sql: `ALTER TABLE "Événements ""v2"""."My Table'); DROP TABLE app.victim; --" ALTER COLUMN "naïve café" SET DEFAULT 7`, property: "columns" },
      update: {
        inputs: { ...base, columns: [...base.columns, { name: "Ünïcödé ✓", type: "text", nullable: true }] },
        verify: async (sql) => expect((await relation(sql, EXISTING_SCHEMA, TABLE)).columns).toEqual([...COLUMNS, "Ünïcödé ✓"]),
      },
      replace: { inputs: { ...base, name: "Other" }, property: "name" },
      verifyDeleted: async (sql) => expect(await relation(sql, EXISTING_SCHEMA, TABLE)).toBeUndefined(),
    };
  });

  test("the tables and schemas an injection attempt named are untouched", async () => {
    expect((await db.sql.query("SELECT to_regclass('app.victim') IS NOT NULL AS ok")).rows[0].ok).toBe(true);
  });
});

describe("adopting a database made by an ORM", () => {
  beforeAll(async () => {
    // As `prisma migrate` writes it.
    await db.sql.query(`
      CREATE TABLE "public"."User" ("id" TEXT NOT NULL, "email" TEXT NOT NULL, "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP, "updatedAt" TIMESTAMP(3) NOT NULL,
                                    CONSTRAINT "User_pkey" PRIMARY KEY ("id"));
      CREATE UNIQUE INDEX "User_email_key" ON "public"."User"("email");
      CREATE TABLE "public"."Reading" ("deviceId" TEXT NOT NULL, "recordedAt" TIMESTAMPTZ NOT NULL, "value" DOUBLE PRECISION,
                                       CONSTRAINT "Reading_pkey" PRIMARY KEY ("deviceId", "recordedAt"));`);
  });

  const user = () => ({
    connection: { url: db.url },
    schema: "public",
    name: "User",
    columns: [
      { name: "id", type: "text", nullable: false },
      { name: "email", type: "text", nullable: false },
      { name: "createdAt", type: "timestamp(3)", nullable: false, default: "CURRENT_TIMESTAMP" },
      { name: "updatedAt", type: "timestamp(3)", nullable: false },
    ],
    primaryKey: { name: "User_pkey", columns: ["id"] },
  });

  test('Prisma\'s "User" table with "createdAt" is adopted as-is: no SQL runs, no diff, and a later change is quoted', async () => {
    const { inputs, failures } = await tables.check!({}, user());
    expect(failures).toBeUndefined();
    const created = await tables.create(inputs);
    expect(created.id).toBe("public.User");
    expect(created.outs.appliedSql).toEqual([]);
    expect((await tables.diff!(created.id, created.outs, (await tables.check!(created.outs, user())).inputs)).changes).toBe(false);
    const withColumn = { ...user(), columns: [...user().columns, { name: "lastLoginAt", type: "timestamptz", nullable: true }] };
    const updated = await tables.update!(created.id, created.outs, (await tables.check!(created.outs, withColumn)).inputs);
    expect(updated.outs!.appliedSql).toEqual([`ALTER TABLE "public"."User" ADD COLUMN "lastLoginAt" timestamp with time zone`]);
    expect((await relation(db.sql, "public", "User")).columns).toEqual(["id", "email", "createdAt", "updatedAt", "lastLoginAt"]);
  });

  test('a Hypertable over Prisma\'s "Reading" partitioned by "recordedAt"', async () => {
    const spec = { connection: { url: db.url }, schema: "public", table: "Reading", timeColumn: "recordedAt", chunkInterval: "1 day" };
    const { inputs, failures } = await hypertables.check!({}, spec);
    expect(failures).toBeUndefined();
    const created = await hypertables.create(inputs);
    const { rows } = await db.sql.query("SELECT column_name FROM timescaledb_information.dimensions WHERE hypertable_schema = 'public' AND hypertable_name = 'Reading'");
    expect(rows).toEqual([{ column_name: "recordedAt" }]);
    expect((await hypertables.create(inputs)).outs.appliedSql).toEqual([]);
    await hypertables.delete!(created.id, created.outs);
    expect((await relation(db.sql, "public", "Reading")).columns).toEqual(["deviceId", "recordedAt", "value"]);
  });
});
