import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { schemaKind } from "../../resources/schema/kind";
import { conformanceCycle } from "../support/conformance";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => (db = await scratchDatabase("schema")));
afterAll(() => db.close());

const schemaRow = async (sql: Client, name: string) =>
  (await sql.query("SELECT obj_description(oid, 'pg_namespace') AS comment FROM pg_namespace WHERE nspname = $1", [name])).rows[0];

describe("Schema conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = { connection: { url: db.url }, name: "events", comment: "event store" };
    return {
      provider: providerFor(schemaKind),
      inputs: base,
      verifyCreated: async (sql) => expect(await schemaRow(sql, "events")).toEqual({ comment: "event store" }),
      drift: { sql: "COMMENT ON SCHEMA events IS 'changed by hand'", property: "comment" },
      update: {
        inputs: { ...base, comment: "events, v2" },
        verify: async (sql) => expect(await schemaRow(sql, "events")).toEqual({ comment: "events, v2" }),
      },
      replace: { inputs: { ...base, name: "events2" }, property: "name" },
      refuseDelete: {
        prepare: async (sql) => void (await sql.query("CREATE TABLE events.t (id int)")),
        error: /Schema events: refusing to drop it: it holds 1 object \(table events\.t\), which would be dropped with it; no table in it holds rows\..*cascade: true and allowHazards: \["data-loss"\]/s,
        allow: { cascade: true, allowHazards: ["data-loss"] },
      },
      verifyDeleted: async (sql) => expect(await schemaRow(sql, "events")).toBeUndefined(),
    };
  });
});

test("adopts an existing schema without touching it, and owner changes in place", async () => {
  await db.sql.query("CREATE SCHEMA adopted; CREATE TABLE adopted.keep (id int); INSERT INTO adopted.keep VALUES (1); CREATE ROLE schema_owner");
  const provider = providerFor(schemaKind);
  const inputs = (await provider.check!({}, { connection: { url: db.url }, name: "adopted", owner: "schema_owner" })).inputs;
  const { outs } = await provider.create(inputs);
  expect(outs).toMatchObject({ name: "adopted", owner: "schema_owner", appliedSql: ['ALTER SCHEMA "adopted" OWNER TO "schema_owner"'] });
  const row = (await db.sql.query("SELECT pg_get_userbyid(nspowner) AS owner, (SELECT count(*)::int FROM adopted.keep) AS n FROM pg_namespace WHERE nspname = 'adopted'")).rows[0];
  expect(row).toEqual({ owner: "schema_owner", n: 1 });
});

test("a delete refusal names the rows at stake per table, and so does the cascade hazard", async () => {
  const provider = providerFor(schemaKind);
  const { inputs } = await provider.check!({}, { connection: { url: db.url }, name: "stock" });
  const { id, outs } = await provider.create(inputs);
  await db.sql.query(`
    CREATE TABLE stock.items (id int); INSERT INTO stock.items SELECT generate_series(1, 3);
    CREATE TABLE stock.empty (id int);
    CREATE TABLE stock.parted (id int) PARTITION BY RANGE (id);
    CREATE TABLE stock.parted_1 PARTITION OF stock.parted FOR VALUES FROM (0) TO (100); INSERT INTO stock.parted VALUES (1), (2);
    CREATE VIEW stock.v AS SELECT * FROM stock.items;`);
  await expect(provider.delete!(id, outs)).rejects.toThrow(
    /^Schema stock: refusing to drop it: it holds 4 objects \(table stock\.empty, table stock\.items, table stock\.parted, view stock\.v\), which would be dropped with it; rows at stake: stock\.items 3 rows, stock\.parted 2 rows\. Delete/,
  );
  await expect(provider.delete!(id, { ...outs, cascade: true })).rejects.toThrow(/\[data-loss\] dropping schema stock with CASCADE drops the 4 objects .*; rows at stake: stock\.items 3 rows, stock\.parted 2 rows/);
  await provider.delete!(id, { ...outs, cascade: true, allowHazards: ["data-loss"] });
});
