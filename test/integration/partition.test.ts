import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { partitionKind } from "../../resources/partition/kind";
import { conformanceCycle } from "../support/conformance";
import { expectOneStatementPreview } from "../support/statements";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("partition");
  await db.sql.query(`
    CREATE SCHEMA ops;
    CREATE TABLE ops.events (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, kind text NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
    CREATE TABLE ops.by_kind (id bigint, kind text NOT NULL) PARTITION BY LIST (kind);
    CREATE TABLE ops.by_id (id bigint NOT NULL) PARTITION BY HASH (id);
    CREATE TABLE ops.plain (id bigint);`);
});
afterAll(() => db.close());

const provider = providerFor(partitionKind);
const q = async (sql: string, params: unknown[] = []) => (await db.sql.query(sql, params)).rows;
const bounds = async (parent: string) =>
  (await q("SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1", [parent]))
    .map((r) => `${r.name}: ${r.bound}`);
const inputs = (name: string, bound: unknown, parent = "events") => ({ connection: { url: db.url }, schema: "ops", parent, name, bound });
const create = async (i: object) => provider.create((await provider.check!({}, i)).inputs);

describe("Partition conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = inputs("events_2026_01", { from: "2026-01-01", to: "2026-02-01" });
    return {
      provider,
      inputs: base,
      verifyCreated: async () => expect(await bounds("ops.events")).toEqual(["events_2026_01: FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-02-01 00:00:00+00')"]),
      drift: {
        sql: "ALTER TABLE ops.events DETACH PARTITION ops.events_2026_01; ALTER TABLE ops.events ATTACH PARTITION ops.events_2026_01 FOR VALUES FROM ('2026-01-01') TO ('2026-01-15')",
        property: "bound",
      },
      update: {
        inputs: { ...base, bound: { from: "2026-01-01", to: "2026-03-01" } },
        verify: async () => expect(await bounds("ops.events")).toEqual(["events_2026_01: FOR VALUES FROM ('2026-01-01 00:00:00+00') TO ('2026-03-01 00:00:00+00')"]),
      },
      replace: { inputs: { ...base, name: "events_2026_q1" }, property: "name" },
      refuseDelete: {
        prepare: async (sql: Client) => void (await sql.query("INSERT INTO ops.events (at, kind) VALUES ('2026-01-10', 'a'), ('2026-02-10', 'b')")),
        error: /\[data-loss\] dropping partition ops\.events_2026_01 \(FOR VALUES FROM \('2026-01-01 00:00:00\+00'\) TO \('2026-03-01 00:00:00\+00'\)\) of ops\.events discards its 2 rows/,
        allow: { allowHazards: ["data-loss"] },
      },
      verifyDeleted: async () => expect(await q("SELECT to_regclass('ops.events_2026_01') AS t")).toEqual([{ t: null }]),
    };
  });
});

test("list, hash, MINVALUE and default bounds are compared by the server's text: a second apply runs nothing", async () => {
  for (const [i, expected] of [
    [inputs("kind_ab", { in: ["a", "b"] }, "by_kind"), "FOR VALUES IN ('a', 'b')"],
    [inputs("id_0", { modulus: 2, remainder: 0 }, "by_id"), "FOR VALUES WITH (modulus 2, remainder 0)"],
    [inputs("events_old", { from: "MINVALUE", to: "2020-01-01T00:00:00Z" }), "FOR VALUES FROM (MINVALUE) TO ('2020-01-01 00:00:00+00')"],
    [inputs("kind_other", "default", "by_kind"), "DEFAULT"],
  ] as const) {
    const { id, outs } = await create(i);
    expect(await q("SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE oid = to_regclass($1)", [id])).toEqual([{ b: expected }]);
    const again = await provider.update!(id, outs, (await provider.check!(outs, i)).inputs);
    expect(again.outs.appliedSql).toEqual([]);
    expect((await provider.read!(id, outs)).props).toEqual(outs);
  }
});

test("attaching where the default partition holds rows of the new bound moves them in the same transaction", async () => {
  await create(inputs("events_default", "default"));
  await q("INSERT INTO ops.events (at, kind) SELECT t, 'x' FROM generate_series('2025-06-01'::timestamptz, '2025-07-31', interval '1 day') t");
  const { outs } = await create(inputs("events_2025_06", { from: "2025-06-01", to: "2025-07-01" }));
  expect(outs.appliedSql.join("\n")).toMatch(/WITH moved AS \(DELETE FROM ops\.events_default WHERE .* RETURNING .*\) INSERT INTO "ops"\."events_2025_06"/);
  expect(await q("SELECT (SELECT count(*)::int FROM ops.events_2025_06) AS june, (SELECT count(*)::int FROM ops.events_default) AS rest")).toEqual([{ june: 30, rest: 31 }]);
});

test("an existing table of rows is attached after a validated CHECK; rows outside the bound are refused with their count", async () => {
  await q(`CREATE TABLE ops.events_2024 (LIKE ops.events INCLUDING DEFAULTS);
           INSERT INTO ops.events_2024 (id, at, kind) VALUES (1, '2024-03-01', 'a'), (2, '2024-04-01', 'b'), (3, '2019-01-01', 'c')`);
  await expect(create(inputs("events_2024", { from: "2024-01-01", to: "2025-01-01" }))).rejects.toThrow(/bound: ops\.events_2024 holds 1 row outside FOR VALUES FROM \('2024-01-01 00:00:00\+00'\) TO \('2025-01-01 00:00:00\+00'\); move or delete them/);
  await q("DELETE FROM ops.events_2024 WHERE id = 3");
  const { outs } = await create(inputs("events_2024", { from: "2024-01-01", to: "2025-01-01" }));
  expect(outs.appliedSql[0]).toMatch(/ADD CONSTRAINT "pgstrata_bound" CHECK \(.*\) NOT VALID$/);
  expect(outs.appliedSql[1]).toMatch(/VALIDATE CONSTRAINT "pgstrata_bound"/);
  expect(await q("SELECT count(*)::int AS n FROM ops.events WHERE at < '2025-01-01' AND at >= '2024-01-01'")).toEqual([{ n: 2 }]);
  expect(await q("SELECT conname FROM pg_constraint WHERE conrelid = 'ops.events_2024'::regclass AND contype = 'c'")).toEqual([]);
});

test("an interrupted DETACH … CONCURRENTLY is drift that the next apply finalizes and re-attaches", async () => {
  const i = inputs("events_2023", { from: "2023-01-01", to: "2024-01-01" }, "by_range");
  await q("CREATE TABLE ops.by_range (at timestamptz NOT NULL) PARTITION BY RANGE (at)");
  const { id, outs } = await create(i);
  const [holder, detacher] = [new Client({ connectionString: db.url }), new Client({ connectionString: db.url })];
  await Promise.all([holder.connect(), detacher.connect()]);
  try {
    await holder.query("BEGIN; SELECT * FROM ops.by_range");
    const pid = (await detacher.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
    const detach = detacher.query("ALTER TABLE ops.by_range DETACH PARTITION ops.events_2023 CONCURRENTLY").catch((e: Error) => e);
    for (let waiting = false; !waiting; ) waiting = (await q("SELECT wait_event_type IS NOT NULL AND state = 'active' AS w FROM pg_stat_activity WHERE pid = $1", [pid]))[0].w;
    await q("SELECT pg_cancel_backend($1)", [pid]);
    expect(String(await detach)).toMatch(/canceling statement/);
  } finally {
    await holder.query("ROLLBACK");
    await Promise.all([holder.end(), detacher.end()]);
  }
  expect(await q("SELECT inhdetachpending AS p FROM pg_inherits WHERE inhrelid = 'ops.events_2023'::regclass")).toEqual([{ p: true }]);
  const read = await provider.read!(id, outs);
  expect(read.props).toEqual({ ...outs, detachPending: true, observed: { ...outs.observed, detachPending: true } });
  const healed = await provider.update!(id, read.props, (await provider.check!(read.props, i)).inputs);
  expect(healed.outs.appliedSql[0]).toBe('ALTER TABLE "ops"."by_range" DETACH PARTITION "ops"."events_2023" FINALIZE');
  expect(await q("SELECT inhdetachpending AS p FROM pg_inherits WHERE inhrelid = 'ops.events_2023'::regclass")).toEqual([{ p: false }]);
});

test("a parent that is not partitioned, and a bound of the wrong type, are clear errors before any change", async () => {
  await expect(create(inputs("plain_1", { in: [1] }, "plain"))).rejects.toThrow(/Partition ops\.plain_1: parent: ops\.plain is not a partitioned table: declare it with a Table whose partitionBy is set/);
  await expect(create(inputs("events_bad", { from: "yesterday-ish", to: "2026-01-01" }))).rejects.toThrow(/Partition ops\.events_bad: bound: invalid input syntax for type timestamp with time zone: "yesterday-ish"/);
  expect(await q("SELECT to_regclass('ops.events_bad') AS t, to_regclass('ops.plain_1') AS u")).toEqual([{ t: null, u: null }]);
});

test("a partition of a parent with row security gets row security too, so it cannot be read around the parent's policies", async () => {
  await q("CREATE TABLE ops.secured (tenant text NOT NULL) PARTITION BY LIST (tenant); ALTER TABLE ops.secured ENABLE ROW LEVEL SECURITY");
  await create(inputs("secured_a", { in: ["a"] }, "secured"));
  expect(await q("SELECT relrowsecurity AS rls FROM pg_class WHERE oid = 'ops.secured_a'::regclass")).toEqual([{ rls: true }]);
});

test("a no-op preview of a partition runs one statement (no scratch partition while its bound is as last applied and observed), and a hand-changed bound is still drift", async () => {
  const checked = (await provider.check!({}, inputs("events_preview", { from: "2030-01-01", to: "2030-02-01" }))).inputs;
  await expectOneStatementPreview(db.sql, provider, checked, "ALTER TABLE ops.events DETACH PARTITION ops.events_preview; ALTER TABLE ops.events ATTACH PARTITION ops.events_preview FOR VALUES FROM ('2030-01-01') TO ('2030-01-15')");
});
