import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { conformanceCycle } from "../support/conformance";
import { scratchDatabase } from "../support/scratch";

/** Hypertable `compression` and `columnstorePolicy` on the community-license server (and their refusal on the Apache one). */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let apache: Awaited<ReturnType<typeof scratchDatabase>>;
const TABLE = (name: string) =>
  `CREATE TABLE metrics.${name} (at timestamptz NOT NULL, other_at timestamptz NOT NULL DEFAULT now(), device text NOT NULL, value double precision)`;
beforeAll(async () => {
  [db, apache] = await Promise.all([scratchDatabase("compression"), scratchDatabase("compression_apache", "apache")]);
  for (const d of [db, apache]) await d.sql.query(`CREATE SCHEMA metrics; ${TABLE("readings")}; ${TABLE("chosen")}; ${TABLE("packed")}`);
  await db.sql.query(`
    CREATE TABLE metrics.ticks (at bigint NOT NULL, at2 bigint NOT NULL DEFAULT 0, device text, v int);
    CREATE TABLE metrics.unnowed (at bigint NOT NULL, v int);
    CREATE TABLE metrics.stamped (at timestamptz NOT NULL, v int);
    CREATE FUNCTION metrics.ticks_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT (extract(epoch FROM now()) * 1000)::bigint';
    CREATE FUNCTION metrics.ticks_now_too() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT (extract(epoch FROM now()) * 1000)::bigint'`);
});
afterAll(async () => {
  await db?.close();
  await apache?.close();
});

const provider = providerFor(hypertableKind);
const settings = async (sql: Client, table: string) =>
  (await sql.query(`SELECT segmentby, orderby FROM timescaledb_information.hypertable_columnstore_settings WHERE hypertable = $1::regclass`, [`metrics.${table}`])).rows[0];
const policy = async (sql: Client, table: string) =>
  (
    await sql.query(
      `SELECT config->>'compress_after' AS after, schedule_interval::text AS every, scheduled FROM timescaledb_information.jobs
        WHERE hypertable_schema = 'metrics' AND hypertable_name = $1 AND proc_name = 'policy_compression'`,
      [table],
    )
  ).rows;
const fill = (sql: Client, table: string) =>
  sql.query(`INSERT INTO metrics.${table} (at, device, value) SELECT t, 'd' || (i % 4), i FROM generate_series(now() - interval '20 days', now(), interval '1 hour') WITH ORDINALITY g(t, i)`);
const compressAll = (sql: Client, table: string) => sql.query(`SELECT count(compress_chunk(c)) FROM show_chunks('metrics.${table}', older_than => interval '3 days') c`);

describe("Hypertable compression + columnstorePolicy conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = {
      connection: { url: db.url }, schema: "metrics", table: "readings", timeColumn: "at", chunkInterval: "1 day",
      compression: { segmentBy: ["device"], orderBy: [{ column: "at", order: "DESC" }] },
      columnstorePolicy: { after: "7 days" },
    };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) => {
        expect(await settings(sql, "readings")).toEqual({ segmentby: "device", orderby: 'at DESC' });
        expect(await policy(sql, "readings")).toEqual([{ after: "7 days", every: "12:00:00", scheduled: true }]);
      },
      drift: {
        sql: "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name = 'readings' AND proc_name = 'policy_compression'",
        property: "columnstorePolicy",
      },
      update: {
        inputs: {
          ...base,
          compression: { segmentBy: ["device"], orderBy: [{ column: "at", order: "ASC", nulls: "FIRST" }] },
          columnstorePolicy: { after: "3 days", scheduleInterval: "1 hour" },
        },
        verify: async (sql) => {
          expect(await settings(sql, "readings")).toEqual({ segmentby: "device", orderby: 'at NULLS FIRST' });
          expect(await policy(sql, "readings")).toEqual([{ after: "3 days", every: "01:00:00", scheduled: true }]);
        },
      },
      replace: { inputs: { ...base, timeColumn: "other_at", migrateData: true }, property: "timeColumn" },
      verifyDeleted: async (sql) => {
        expect(await policy(sql, "readings")).toEqual([]);
        expect((await sql.query("SELECT count(*)::int AS n FROM timescaledb_information.hypertables WHERE hypertable_name = 'readings'")).rows[0].n).toBe(0);
      },
    };
  });
});

/** The compression job's `compress_after` as JSON (a number on an integer column) and the hypertable's integer-now function. */
const integerPolicy = async (sql: Client, table: string) =>
  (
    await sql.query(
      `SELECT j.config->'compress_after' AS after, j.scheduled, d.integer_now_func_schema || '.' || d.integer_now_func AS now
         FROM timescaledb_information.jobs j, _timescaledb_catalog.hypertable h JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id
        WHERE j.hypertable_schema = 'metrics' AND j.hypertable_name = $1 AND j.proc_name = 'policy_compression' AND h.schema_name = 'metrics' AND h.table_name = $1`,
      [table],
    )
  ).rows;

describe("Hypertable columnstorePolicy conformance cycle on a bigint time column (after a number of its units, integerNow)", () => {
  conformanceCycle(() => db.sql, () => {
    const base = {
      connection: { url: db.url }, schema: "metrics", table: "ticks", timeColumn: "at", chunkInterval: 86_400_000,
      compression: { segmentBy: ["device"] }, columnstorePolicy: { after: 604_800_000 }, integerNow: "metrics.ticks_now",
    };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) => expect(await integerPolicy(sql, "ticks")).toEqual([{ after: 604_800_000, scheduled: true, now: "metrics.ticks_now" }]),
      drift: {
        sql: `SELECT alter_job(job_id, config => jsonb_set(config, '{compress_after}', '1000')) FROM timescaledb_information.jobs WHERE hypertable_name = 'ticks' AND proc_name = 'policy_compression'`,
        property: "columnstorePolicy",
      },
      update: {
        inputs: { ...base, columnstorePolicy: { after: 3_600_000, scheduleInterval: "1 hour" }, integerNow: "metrics.ticks_now_too" },
        verify: async (sql) => {
          expect(await integerPolicy(sql, "ticks")).toEqual([{ after: 3_600_000, scheduled: true, now: "metrics.ticks_now_too" }]);
          expect(await policy(sql, "ticks")).toEqual([{ after: "3600000", every: "01:00:00", scheduled: true }]);
        },
      },
      replace: { inputs: { ...base, timeColumn: "at2", migrateData: true }, property: "timeColumn" },
      verifyDeleted: async (sql) => expect(await policy(sql, "ticks")).toEqual([]),
    };
  });
});

test("the policy on an integer column compresses what is older than after, counted back from the integer-now function", async () => {
  await db.sql.query("CREATE TABLE metrics.ran (at bigint NOT NULL, v int); INSERT INTO metrics.ran SELECT (extract(epoch FROM now()) * 1000)::bigint - g * 3600000, 1 FROM generate_series(0, 71) g");
  await provider.create(await check({ table: "ran", chunkInterval: 86_400_000, compression: {}, columnstorePolicy: { after: 86_400_000 }, integerNow: "metrics.ticks_now", migrateData: true }));
  const job = (await db.sql.query("SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'ran' AND proc_name = 'policy_compression'")).rows[0].job_id;
  await db.sql.query(`CALL run_job(${Number(job)})`);
  const chunks = (await db.sql.query("SELECT range_end_integer < (extract(epoch FROM now()) * 1000)::bigint - 86400000 AS old, is_compressed FROM timescaledb_information.chunks WHERE hypertable_name = 'ran'")).rows;
  expect(chunks.some((c) => c.old)).toBe(true);
  expect(chunks.every((c) => c.is_compressed === c.old)).toBe(true);
}, 60000);

describe("columnstorePolicy.after must suit the time column's type: refused before any SQL, naming the property and the fix", () => {
  test.each([
    ["an interval on a bigint column", { table: "unnowed", chunkInterval: 1000, columnstorePolicy: { after: "7 days" }, integerNow: "metrics.ticks_now" }, /Hypertable metrics\.unnowed: columnstorePolicy\.after "7 days" is an interval, but the time column "at" of metrics\.unnowed is of type bigint.*give a number of the column's units/],
    ["a number on a timestamptz column", { table: "stamped", chunkInterval: "1 day", columnstorePolicy: { after: 1000 } }, /Hypertable metrics\.stamped: columnstorePolicy\.after 1000 is a number, but the time column "at" of metrics\.stamped is of type timestamp with time zone: give an interval/],
    ["a bigint column without integerNow", { table: "unnowed", chunkInterval: 1000, columnstorePolicy: { after: 5000 } }, /Hypertable metrics\.unnowed: columnstorePolicy on the integer time column "at" \(bigint\) needs the hypertable's integer-now function.*set integerNow/s],
  ])("%s", async (_what, inputs, error) => {
    await expect(provider.create(await check({ compression: {}, ...inputs }))).rejects.toThrow(error);
    expect((await db.sql.query("SELECT count(*)::int AS n FROM timescaledb_information.hypertables WHERE hypertable_name = $1", [inputs.table])).rows[0].n).toBe(0);
  });

  test("a fractional number fails check", async () => {
    const { failures } = await provider.check!({}, { connection: { url: db.url }, schema: "metrics", table: "unnowed", timeColumn: "at", chunkInterval: 1000, compression: {}, columnstorePolicy: { after: 1.5 } });
    expect(failures).toEqual([{ property: "columnstorePolicy.after", reason: "a number of an integer time column's units must be whole" }]);
  });
});

const check = async (inputs: object, olds: object = {}) => (await provider.check!(olds, { connection: { url: db.url }, schema: "metrics", timeColumn: "at", ...inputs })).inputs;

test("segmentBy / orderBy left unset are TimescaleDB's choice: compressing chunks shows no drift and no diff", async () => {
  const { id, outs } = await provider.create(await check({ table: "chosen", compression: {} }));
  await fill(db.sql, "chosen");
  await compressAll(db.sql, "chosen");
  const read = await provider.read!(id, outs);
  expect(read.props).toEqual(outs);
  const diff = await provider.diff!(id, outs, await check({ table: "chosen", compression: {} }, outs));
  expect(diff.changes).toBe(false);
  const again = await provider.update!(id, outs, await check({ table: "chosen", compression: {} }, outs));
  expect(again.outs.appliedSql).toEqual([]);
});

test("changed settings apply to chunks compressed later (said in the step); disabling with compressed chunks is refused with the count and the fix", async () => {
  const { id, outs } = await provider.create(await check({ table: "packed", chunkInterval: "1 day", compression: { segmentBy: ["device"] } }));
  await fill(db.sql, "packed");
  const compressed = Number((await compressAll(db.sql, "packed")).rows[0].count);
  expect(compressed).toBeGreaterThan(10);
  const changed = await provider.update!(id, outs, await check({ table: "packed", chunkInterval: "1 day", compression: { segmentBy: [] } }, outs));
  expect(changed.outs.appliedSql).toEqual([
    `/* new settings apply to chunks compressed from now on; the ${compressed} compressed chunk(s) keep theirs until decompressed and compressed again */ ` +
      `ALTER TABLE "metrics"."packed" SET (timescaledb.segmentby = '')`,
  ]);
  expect(await settings(db.sql, "packed")).toEqual({ segmentby: "", orderby: null });
  await expect(provider.update!(id, changed.outs, await check({ table: "packed", chunkInterval: "1 day" }, changed.outs))).rejects.toThrow(
    new RegExp(`Hypertable metrics\\.packed: compression cannot be disabled while ${compressed} chunks are compressed.*Decompress them first`, "s"),
  );
  expect((await db.sql.query("SELECT compression_enabled FROM timescaledb_information.hypertables WHERE hypertable_name = 'packed'")).rows[0].compression_enabled).toBe(true);
});

test("on the Apache license, compression fails before any SQL, naming the license", async () => {
  const inputs = (await provider.check!({}, {
    connection: { url: apache.url }, schema: "metrics", table: "readings", timeColumn: "at",
    compression: { segmentBy: ["device"] }, columnstorePolicy: { after: "7 days" },
  })).inputs;
  await expect(provider.create(inputs)).rejects.toThrow(
    /Hypertable metrics\.readings: compression needs TimescaleDB's community license \(timescaledb\.license = 'timescale'\), but this server runs the 'apache' license/,
  );
  expect((await apache.sql.query("SELECT count(*)::int AS n FROM timescaledb_information.hypertables")).rows[0].n).toBe(0);
});

test("a columnstore policy without compression is refused at check", async () => {
  const result = await provider.check!({}, { connection: { url: db.url }, schema: "metrics", table: "readings", timeColumn: "at", columnstorePolicy: { after: "7 days" } });
  expect(result.failures).toEqual([{ property: "columnstorePolicy", reason: expect.stringMatching(/needs compression/) }]);
});
