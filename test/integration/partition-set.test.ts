import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { partitionSetKind } from "../../resources/partition-set/kind";
import { testAdminUrl } from "../support/database";
import { conformanceCycle } from "../support/conformance";
import { scratchDatabase } from "../support/scratch";
import { statementsSent } from "../support/statements";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
/** pg_cron's database (cron.database_name = postgres), where the jobs live. */
let cron: Client;
let dbName: string;
beforeAll(async () => {
  db = await scratchDatabase("partition_set");
  dbName = new URL(db.url).pathname.slice(1);
  cron = new Client({ connectionString: testAdminUrl() });
  await cron.connect();
  await db.sql.query(`
    CREATE SCHEMA ops;
    CREATE TABLE ops.metrics (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, v double precision, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
    CREATE TABLE ops.ahead (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
    CREATE TABLE ops.expiring (at timestamptz NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE ops.by_list (kind text NOT NULL) PARTITION BY LIST (kind);`);
});
afterAll(async () => {
  await cron.end();
  await db.close();
});

const provider = providerFor(partitionSetKind);
const q = async (sql: string, params: unknown[] = []) => (await db.sql.query(sql, params)).rows;
const config = async (parent: string) => (await q("SELECT partition_interval, premake, retention, retention_keep_table, infinite_time_partitions FROM partman.part_config WHERE parent_table = $1", [parent]))[0];
const job = async (parent: string) => (await cron.query("SELECT schedule, command, database, active FROM cron.job WHERE jobname = $1", [`pgstrata partman ${dbName}.${parent}`])).rows[0];
const partitions = async (parent: string) =>
  (await q("SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1", [parent])).map((r) => r.name);
const inputs = (parent: string, more: object = {}) => ({ connection: { url: db.url }, schema: "ops", parent, control: "at", interval: "1 month", ...more });
const create = async (i: object) => provider.create((await provider.check!({}, i)).inputs);
/** Whether a partition other than the default holds `at`. */
const covered = async (parent: string, at: string) =>
  (await q(`SELECT EXISTS (SELECT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
                            AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), '''([^'']+)''\\) TO \\(''([^'']+)'''))[1]::timestamptz <= ${at}
                            AND (regexp_match(pg_get_expr(c.relpartbound, c.oid), '''([^'']+)''\\) TO \\(''([^'']+)'''))[2]::timestamptz > ${at}) AS ok`, [parent]))[0].ok;

describe("PartitionSet conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = inputs("metrics", { premake: 3, maintenance: { schedule: "@hourly" } });
    return {
      provider,
      inputs: base,
      verifyCreated: async () => {
        expect(await config("ops.metrics")).toMatchObject({ partition_interval: "1 mon", premake: 3, retention: null, retention_keep_table: false, infinite_time_partitions: true });
        expect(await job("ops.metrics")).toEqual({ schedule: "@hourly", command: `SELECT "partman".run_maintenance('ops.metrics')`, database: dbName, active: true });
        expect(await covered("ops.metrics", "now() + interval '3 months'")).toBe(true);
      },
      drift: { sql: "UPDATE partman.part_config SET premake = 2 WHERE parent_table = 'ops.metrics'", property: "premake" },
      update: {
        inputs: { ...base, premake: 5, retention: "24 months", maintenance: { schedule: "*/30 * * * *" } },
        verify: async () => {
          expect(await config("ops.metrics")).toMatchObject({ premake: 5, retention: "2 years", retention_keep_table: false });
          expect(await job("ops.metrics")).toMatchObject({ schedule: "*/30 * * * *", active: true });
          expect(await covered("ops.metrics", "now() + interval '5 months'")).toBe(true);
        },
      },
      replace: { inputs: { ...base, parent: "metrics_v2" }, property: "parent" },
      verifyDeleted: async () => {
        expect(await config("ops.metrics")).toBeUndefined();
        expect(await job("ops.metrics")).toBeUndefined();
        expect((await partitions("ops.metrics")).length).toBeGreaterThan(5);
      },
    };
  });
});

test("never runs out: premake 6 from a start months ago covers the next 6 months, and refresh notices when the job and the newest partitions are gone; up restores both", async () => {
  const i = inputs("ahead", { premake: 6, startPartition: "2026-01-01", maintenance: { schedule: "@hourly" } });
  const { id, outs } = await create(i);
  expect(outs.premadeAhead).toBe(true);
  expect((await partitions("ops.ahead"))[0]).toBe("ahead_default");
  expect(await covered("ops.ahead", "'2026-01-15'")).toBe(true);
  for (let month = 0; month <= 6; month++) expect(await covered("ops.ahead", `date_trunc('month', now()) + interval '${month} months' + interval '1 day'`)).toBe(true);
  const landed = await q(`INSERT INTO ops.ahead (at) SELECT date_trunc('month', now()) + make_interval(months => m) + interval '10 days' FROM generate_series(1, 6) m RETURNING tableoid::regclass::text AS partition`);
  expect(new Set(landed.map((r) => r.partition)).size).toBe(6);
  expect(landed.map((r) => r.partition)).not.toContain("ops.ahead_default");

  await cron.query("SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = $1", [`pgstrata partman ${dbName}.ops.ahead`]);
  const newest = await q(`SELECT c.oid::regclass::text AS t FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ops.ahead'::regclass
                           AND c.relname >= 'ahead_p' || to_char(date_trunc('month', now()) + interval '4 months', 'YYYYMMDD')`);
  expect(newest.length).toBeGreaterThanOrEqual(3);
  for (const { t } of newest) await q(`DROP TABLE ${t}`);
  const read = await provider.read!(id, outs);
  const props = read.props as Record<string, unknown>;
  expect(props.premadeAhead).toBe(false);
  expect(props.maintenance).toBeUndefined();
  expect(Object.keys({ ...outs, ...props }).filter((k) => k !== "observed" && JSON.stringify(props[k]) !== JSON.stringify((outs as Record<string, unknown>)[k]))).toEqual(["maintenance", "premadeAhead"]);

  const news = (await provider.check!(props, i)).inputs;
  expect((await provider.diff!(id, props, news)).changes).toBe(true);
  const healed = await provider.update!(id, props, news);
  expect(healed.outs.premadeAhead).toBe(true);
  expect(await job("ops.ahead")).toMatchObject({ schedule: "@hourly", active: true });
  expect(await covered("ops.ahead", "now() + interval '6 months'")).toBe(true);
  expect((await provider.read!(id, healed.outs)).props).toEqual(healed.outs);
});

test("shortening retention past partitions with rows is a data-loss hazard naming them; allowed, maintenance drops them", async () => {
  const i = inputs("expiring", { startPartition: "2025-01-01" });
  const { id, outs } = await create(i);
  await q("INSERT INTO ops.expiring VALUES ('2025-01-10'), ('2025-01-11'), ('2025-02-10')");
  const shorter = (await provider.check!(outs, { ...i, retention: "3 months" })).inputs;
  await expect(provider.update!(id, outs, shorter)).rejects.toThrow(
    /\[data-loss\] retention 3 mons on ops\.expiring makes the next maintenance drop ops\.expiring_p20250101 \(2 rows\), ops\.expiring_p20250201 \(1 row\)/,
  );
  expect(await partitions("ops.expiring")).toContain("expiring_p20250101");
  await provider.update!(id, outs, { ...shorter, allowHazards: ["data-loss"] });
  expect(await partitions("ops.expiring")).not.toContain("expiring_p20250101");
  expect(await q("SELECT count(*)::int AS n FROM ops.expiring")).toEqual([{ n: 0 }]);
});

test("a parent that is not range-partitioned, and a database without pg_partman, are clear errors before any SQL", async () => {
  await expect(create({ ...inputs("by_list"), control: "kind", interval: "1" })).rejects.toThrow(/PartitionSet ops\.by_list: parent: ops\.by_list is not range-partitioned; pg_partman sets need a range-partitioned parent/);
  expect(await config("ops.by_list")).toBeUndefined();
  const name = `${dbName}_plain`;
  await q(`CREATE DATABASE "${name}"`);
  try {
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    await expect(create({ ...inputs("metrics"), connection: { url: url.toString() } })).rejects.toThrow(/the pg_partman extension is not installed in database .*_plain: run CREATE SCHEMA partman; CREATE EXTENSION pg_partman/);
  } finally {
    await q(`DROP DATABASE "${name}" WITH (FORCE)`);
  }
});

test("check refuses a declared parent that is not range-partitioned by the control column", async () => {
  const { failures } = await provider.check!({}, { ...inputs("metrics"), declaredParent: { strategy: "range", keys: ["id"] } });
  expect(failures).toEqual([{ property: "control", reason: expect.stringMatching(/ops\.metrics is partitioned by range \(id\): declare its partitionBy as \{ strategy: "range", keys: \["at"\] \}/) }]);
});

test("an integer control column: partitions stay premake steps ahead of the largest value; running out is drift that up heals", async () => {
  await q("CREATE TABLE ops.by_id (id bigint NOT NULL, v int) PARTITION BY RANGE (id)");
  const i = inputs("by_id", { control: "id", interval: 1000, premake: 3 });
  const { id, outs } = await create(i);
  expect(outs.observed).toMatchObject({ interval: "1000", premadeAhead: true });
  await q("INSERT INTO ops.by_id SELECT g, 1 FROM generate_series(1, 2500) g");
  const read = await provider.read!(id, outs);
  expect(read.props).toMatchObject({ premadeAhead: false });
  const healed = await provider.update!(id, read.props, (await provider.check!(read.props, i)).inputs);
  expect(healed.outs.premadeAhead).toBe(true);
  expect(await q("SELECT max((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''?(\\d+)'))[1]::int) AS top FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ops.by_id'::regclass")).toEqual([{ top: 6000 }]);
});

test("removing the default partition is data-loss while it holds rows; then it is dropped, and declared again it comes back", async () => {
  await q("CREATE TABLE ops.counted (id bigint NOT NULL) PARTITION BY RANGE (id)");
  const i = inputs("counted", { control: "id", interval: 1000, premake: 3 });
  const { outs } = await create(i);
  await q("INSERT INTO ops.counted VALUES (-5)");
  const without = (await provider.check!(outs, { ...i, defaultPartition: false })).inputs;
  await expect(provider.update!("ops.counted", outs, without)).rejects.toThrow(/\[data-loss\] removing the default partition ops\.counted_default of ops\.counted discards its 1 row/);
  await q("DELETE FROM ops.counted WHERE id = -5");
  const dropped = await provider.update!("ops.counted", outs, without);
  expect(dropped.outs.observed.defaultPartition).toBe(false);
  expect(await q("SELECT to_regclass('ops.counted_default') AS t")).toEqual([{ t: null }]);
  const back = await provider.update!("ops.counted", dropped.outs, (await provider.check!(dropped.outs, i)).inputs);
  expect(back.outs.observed.defaultPartition).toBe(true);
  expect(await q("SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE oid = 'ops.counted_default'::regclass")).toEqual([{ b: "DEFAULT" }]);
});

test("changing interval or control of a set is refused at check: the new set's partitions would overlap the old ones", async () => {
  const old = (await provider.check!({}, inputs("metrics"))).inputs;
  const { failures } = await provider.check!(old, inputs("metrics", { interval: "1 day" }));
  expect(failures).toEqual([{ property: "interval", reason: expect.stringMatching(/^pg_partman 5 cannot change the interval of a partition set \("1 month" → "1 day"\): its existing partitions stay and new ones would overlap them/) }]);
});

test("a no-op preview reads the set without canonicalizing its interval and retention again (declared as in the last apply)", async () => {
  await db.sql.query("CREATE TABLE ops.preview (at timestamptz NOT NULL) PARTITION BY RANGE (at)");
  const checked = (await provider.check!({}, inputs("preview", { interval: "1 month", retention: "6 months" }))).inputs;
  const { id, outs } = await provider.create(checked);
  const sent = await statementsSent(db.sql, () => provider.diff!(id, outs!, checked));
  expect(sent.filter((s) => s.includes("::interval::text"))).toEqual([]);
  expect(sent).toHaveLength(3); // the set's context, pg_partman's config, the maintenance job in pg_cron's database
});
