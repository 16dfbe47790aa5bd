import { providerFor } from "../../resources/core/provider";
import { tableKind } from "../../resources/table/kind";
import { conformanceCycle } from "../support/conformance";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("partitioned_table");
  await db.sql.query("CREATE SCHEMA ops");
});
afterAll(() => db.close());

const provider = providerFor(tableKind);
const q = async (sql: string, params: unknown[] = []) => (await db.sql.query(sql, params)).rows;
const partkey = async (table: string) => (await q("SELECT pg_get_partkeydef(to_regclass($1)) AS k", [table]))[0].k;

const metrics = (url: string, name = "metrics") => ({
  connection: { url },
  schema: "ops",
  name,
  columns: [
    { name: "id", type: "bigint", identity: "always" },
    { name: "region", type: "text", nullable: false },
    { name: "recorded_at", type: "timestamptz", nullable: false },
    { name: "value", type: "double precision" },
  ],
  primaryKey: { columns: ["id", "recorded_at"] },
  partitionBy: { strategy: "range", keys: ["recorded_at"] },
});

describe("partitioned Table conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = metrics(db.url);
    return {
      provider,
      inputs: base,
      verifyCreated: async () => {
        expect(await partkey("ops.metrics")).toBe("RANGE (recorded_at)");
        expect(await q("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'ops.metrics'::regclass")).toEqual([{ def: "PRIMARY KEY (id, recorded_at)" }]);
      },
      // A DBA re-creates the table partitioned by hash: exactly partitionBy drifts, and update rebuilds it back (with a default partition).
      drift: {
        sql: `DROP TABLE ops.metrics; CREATE TABLE ops.metrics (id bigint GENERATED ALWAYS AS IDENTITY, region text NOT NULL, recorded_at timestamptz NOT NULL, value double precision,
                CONSTRAINT metrics_pkey PRIMARY KEY (id, recorded_at)) PARTITION BY HASH (recorded_at)`,
        property: "partitionBy",
      },
      update: {
        inputs: { ...base, partitionBy: { strategy: "range", keys: ["recorded_at", "region"] }, primaryKey: { columns: ["id", "recorded_at", "region"] } },
        verify: async () => {
          expect(await partkey("ops.metrics")).toBe("RANGE (recorded_at, region)");
          expect(await q("SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE oid = 'ops.metrics_default'::regclass")).toEqual([{ b: "DEFAULT" }]);
        },
      },
      replace: { inputs: { ...base, name: "metrics2" }, property: "name" },
      refuseDelete: {
        prepare: async (sql) => void (await sql.query("INSERT INTO ops.metrics (region, recorded_at) VALUES ('eu', now())")),
        error: /\[data-loss\] dropping table ops\.metrics discards its 1 row/,
        allow: { allowHazards: ["data-loss"] },
      },
      verifyDeleted: async () => expect(await q("SELECT to_regclass('ops.metrics') AS t")).toEqual([{ t: null }]),
    };
  });
});

const create = async (inputs: object) => provider.create((await provider.check!({}, inputs)).inputs);

test("a primary key without the partition column fails at check, naming the constraint and the column; nothing is created", async () => {
  const inputs = { ...metrics(db.url, "bad_key"), primaryKey: { columns: ["id"] } };
  const { failures } = await provider.check!({}, inputs);
  expect(failures).toEqual([
    {
      property: "primaryKey.columns",
      reason: expect.stringMatching(/constraint bad_key_pkey \(id\) of ops\.bad_key does not include partitioning column "recorded_at": PostgreSQL requires .* Add "recorded_at" to the constraint's columns/),
    },
  ]);
  await expect(create(inputs)).rejects.toThrow(/invalid inputs/);
  expect(await q("SELECT to_regclass('ops.bad_key') AS t")).toEqual([{ t: null }]);
});

test("a unique key on a table partitioned by an expression fails at check", async () => {
  const inputs = { ...metrics(db.url, "by_expr"), partitionBy: { strategy: "list", keys: ["lower(region)"] }, primaryKey: undefined, uniqueConstraints: [{ name: "by_expr_key", columns: ["id", "region"] }] };
  const { failures } = await provider.check!({}, inputs);
  expect(failures).toEqual([{ property: "uniqueConstraints[0].columns", reason: expect.stringMatching(/partitioned by the expression lower\(region\).*unsupported UNIQUE constraint/) }]);
});

test("an expression key is compared by the server's text: a second apply runs nothing", async () => {
  const inputs = { ...metrics(db.url, "by_region"), primaryKey: undefined, partitionBy: { strategy: "list", keys: ["LOWER( region )"] } };
  const { id, outs } = await create(inputs);
  expect(outs.observed.partitionBy).toEqual({ strategy: "list", keys: ["lower(region)"] });
  const again = await provider.update!(id, outs, (await provider.check!(outs, inputs)).inputs);
  expect(again.outs.appliedSql).toEqual([]);
  expect((await provider.read!(id, outs)).props).toEqual(outs);
});

test("partitioning a table with rows is refused without migrateData; with it, every row is kept and the key rebuilt", async () => {
  await db.sql.query(`CREATE TABLE ops.plain (id bigint GENERATED ALWAYS AS IDENTITY, region text NOT NULL, recorded_at timestamptz NOT NULL, value double precision, CONSTRAINT plain_pkey PRIMARY KEY (id, recorded_at));
                      INSERT INTO ops.plain (region, recorded_at, value) SELECT 'eu', t, 1 FROM generate_series(now() - interval '40 days', now(), interval '1 day') t`);
  const inputs = metrics(db.url, "plain");
  await expect(create(inputs)).rejects.toThrow(/partitionBy: changing ops\.plain from a plain table to partitioned by range \(recorded_at\) rebuilds it, and it holds 41 rows\. Set migrateData: true and allowHazards: \["table-rewrite"\]/);
  await expect(create({ ...inputs, migrateData: true })).rejects.toThrow(/\[table-rewrite\] changing ops\.plain .* EXCLUSIVE lock/);
  expect(await partkey("ops.plain")).toBeNull();
  const { outs } = await create({ ...inputs, migrateData: true, allowHazards: ["table-rewrite"] });
  expect(outs.observed.partitionBy).toEqual({ strategy: "range", keys: ["recorded_at"] });
  expect(await partkey("ops.plain")).toBe("RANGE (recorded_at)");
  expect(await q("SELECT count(*)::int AS n, (SELECT count(*)::int FROM ops.plain_default) AS in_default FROM ops.plain")).toEqual([{ n: 41, in_default: 41 }]);
  expect(await q("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'ops.plain'::regclass")).toEqual([{ def: "PRIMARY KEY (id, recorded_at)" }]);
  await q("INSERT INTO ops.plain (region, recorded_at) VALUES ('us', now())");
  expect(await q("SELECT max(id)::int AS id FROM ops.plain")).toEqual([{ id: 42 }]);
});

test("adopting a partitioned table with a Table that leaves partitionBy unset changes nothing: its partitioning is not managed", async () => {
  await db.sql.query(`CREATE TABLE ops.adopted (id bigint NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
                      CREATE TABLE ops.adopted_all PARTITION OF ops.adopted DEFAULT; INSERT INTO ops.adopted VALUES (1, now())`);
  const { outs } = await create({ connection: { url: db.url }, schema: "ops", name: "adopted", columns: [{ name: "id", type: "bigint", nullable: false }, { name: "at", type: "timestamptz", nullable: false }] });
  expect(outs.appliedSql).toEqual([]);
  expect(outs.observed.partitionBy).toBeUndefined();
  expect(await partkey("ops.adopted")).toBe("RANGE (at)");
});
