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
