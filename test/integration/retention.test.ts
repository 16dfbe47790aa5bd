import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { retentionKind } from "../../resources/retention/kind";
import { planRetention } from "../../resources/retention/plan";
import { retentionSpec } from "../../resources/retention/spec";
import { testAdminUrl } from "../support/database";
import { conformanceCycle } from "../support/conformance";
import { expectOneStatementPreview } from "../support/statements";
import { scratchDatabase } from "../support/scratch";

/**
 * RetentionPolicy: TimescaleDB's retention job on the community license; a
 * pg_cron job calling drop_chunks on the Apache license; refusals naming the
 * license where neither works.
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let apache: Awaited<ReturnType<typeof scratchDatabase>>;
const HYPERTABLES = `
  CREATE SCHEMA metrics;
  CREATE TABLE metrics.readings (at timestamptz NOT NULL, v int);
  SELECT create_hypertable('metrics.readings', by_range('at', interval '1 day'));
  CREATE TABLE metrics.history (at timestamptz NOT NULL, v int);
  SELECT create_hypertable('metrics.history', by_range('at', interval '7 days'));
  INSERT INTO metrics.history SELECT t, 1 FROM generate_series(now() - interval '70 days', now(), interval '1 hour') t;
  CREATE TABLE metrics.ticks (at bigint NOT NULL, v int);
  SELECT create_hypertable('metrics.ticks', by_range('at', 1000));`;
beforeAll(async () => {
  [db, apache] = await Promise.all([scratchDatabase("retention"), scratchDatabase("retention_apache", "apache")]);
  await db.sql.query(HYPERTABLES);
  await apache.sql.query(HYPERTABLES);
});
afterAll(async () => {
  await db?.close();
  await apache?.close();
});

const provider = providerFor(retentionKind);
const job = async (sql: Client, table: string) =>
  (
    await sql.query(
      `SELECT job_id, config - 'hypertable_id' AS config, schedule_interval::text AS every, scheduled FROM timescaledb_information.jobs
        WHERE hypertable_schema = 'metrics' AND hypertable_name = $1 AND proc_name = 'policy_retention'`,
      [table],
    )
  ).rows;
const chunks = async (sql: Client, table: string) =>
  (await sql.query(`SELECT show_chunks('metrics.${table}')::text AS c ORDER BY 1`)).rows.map((r) => r.c as string);

describe("RetentionPolicy conformance cycle (community license)", () => {
  conformanceCycle(() => db.sql, () => {
    const base = { connection: { url: db.url }, schema: "metrics", table: "readings", dropAfter: "90 days" };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) => expect(await job(sql, "readings")).toEqual([expect.objectContaining({ config: { drop_after: "90 days" }, every: "1 day", scheduled: true })]),
      drift: { sql: "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name = 'readings'", property: "scheduled" },
      update: {
        inputs: { ...base, dropAfter: "4 months", scheduleInterval: "6 hours" },
        verify: async (sql) => expect(await job(sql, "readings")).toEqual([expect.objectContaining({ config: { drop_after: "4 mons" }, every: "06:00:00", scheduled: true })]),
      },
      replace: { inputs: { ...base, dropAfter: undefined, dropCreatedBefore: "30 days" }, property: "dropAfter" },
      verifyDeleted: async (sql) => expect(await job(sql, "readings")).toEqual([]),
    };
  });
});

const inputs = async (connection: { url: string }, props: object, olds: object = {}) =>
  (await provider.check!(olds, { connection, schema: "metrics", ...props })).inputs;

test("shortening retention past existing chunks is refused with the chunks and rows at stake; allowed, the job run drops exactly those", async () => {
  const { id, outs } = await provider.create(await inputs({ url: db.url }, { table: "history", dropAfter: "90 days" }));
  const all = await chunks(db.sql, "history");
  const doomed = (await db.sql.query("SELECT show_chunks('metrics.history', older_than => interval '30 days')::text AS c ORDER BY 1")).rows.map((r) => r.c as string);
  const rows = (await db.sql.query(`SELECT count(*)::int AS n FROM metrics.history WHERE tableoid::regclass::text = ANY ($1)`, [doomed])).rows[0].n;
  expect(doomed.length).toBeGreaterThan(2);

  const shorter = await inputs({ url: db.url }, { table: "history", dropAfter: "30 days" }, outs);
  await expect(provider.update!(id, outs, shorter)).rejects.toThrow(
    new RegExp(`\\[data-loss\\] the next run of the retention job on metrics\\.history drops ${doomed.length} chunks that the current policy keeps \\(${doomed.join(", ").replace(/\./g, "\\.")}\\), holding ${rows} rows`),
  );
  expect(await job(db.sql, "history")).toEqual([expect.objectContaining({ config: { drop_after: "90 days" } })]);

  const allowed = await provider.update!(id, outs, await inputs({ url: db.url }, { table: "history", dropAfter: "30 days", allowHazards: ["data-loss"] }, outs));
  expect(allowed.outs.appliedSql).toEqual([expect.stringMatching(/^SELECT alter_job\(\d+, config => '\{"drop_after":"30 days","hypertable_id":\d+\}'::jsonb\)$/)]);
  await db.sql.query(`CALL run_job(${Number((await job(db.sql, "history"))[0].job_id)})`);
  expect(await chunks(db.sql, "history")).toEqual(all.filter((c) => !doomed.includes(c)));
});

test("an integer time column without integerNow fails before any SQL, naming integerNow", async () => {
  await expect(provider.create(await inputs({ url: db.url }, { table: "ticks", dropAfter: 5000 }))).rejects.toThrow(
    /RetentionPolicy metrics\.ticks: the time column of metrics\.ticks is an integer.*set integerNow/,
  );
  await db.sql.query("CREATE FUNCTION metrics.ticks_now() RETURNS bigint LANGUAGE sql STABLE AS 'SELECT 100000::bigint'");
  const { outs } = await provider.create(await inputs({ url: db.url }, { table: "ticks", dropAfter: 5000, integerNow: "metrics.ticks_now" }));
  expect(outs.observed).toMatchObject({ dropAfter: 5000, integerNow: "metrics.ticks_now", engine: "timescaledb" });
  expect(await job(db.sql, "ticks")).toEqual([expect.objectContaining({ config: { drop_after: 5000 } })]);
});

describe("on the Apache license", () => {
  test("engine 'timescaledb' fails before any SQL naming the license and pg_cron as the alternative", async () => {
    await expect(provider.create(await inputs({ url: apache.url }, { table: "history", dropAfter: "30 days", engine: "timescaledb" }))).rejects.toThrow(
      /RetentionPolicy metrics\.history: TimescaleDB's retention policy \(engine 'timescaledb'\) needs TimescaleDB's community license.*'apache' license.*engine: 'pg_cron'/,
    );
    expect(await chunks(apache.sql, "history")).toHaveLength(11);
  });

  test("where pg_cron is not loaded either, the error names the license and both alternatives (plan, before any SQL)", () => {
    const desired = { ...retentionSpec().parse({ schema: "metrics", table: "history", dropAfter: "30 days" }), engine: "pg_cron" as const };
    const facts = { license: "apache" as const, cron: { database: "app", cronDatabase: null }, time: { type: "timestamp with time zone", integerNow: null }, atStake: { chunks: [], rows: 0 } };
    expect(() => planRetention(undefined, desired, facts)).toThrow(
      /RetentionPolicy metrics\.history: retention through pg_cron needs pg_cron, which is not loaded on this server.*community license.*this server runs 'apache'/,
    );
  });

  test("engine auto is a pg_cron job calling drop_chunks with the policy's semantics: conformance, then its command drops the old chunks", async () => {
    // pg_cron's database on the Apache server (cron.database_name = postgres); the jobs run in the scratch database.
    const sql = new Client({ connectionString: testAdminUrl("apache") });
    await sql.connect();
    const here = new URL(apache.url).pathname.slice(1);
    try {
      const cronJobs = async () => (await sql.query("SELECT jobname, schedule, command, active FROM cron.job WHERE database = $1 ORDER BY jobid", [here])).rows;
      const url = { url: apache.url };
      const { id, outs } = await provider.create(await inputs(url, { table: "history", dropAfter: "90 days" }));
      expect(outs.observed).toMatchObject({ engine: "pg_cron", dropAfter: "90 days", cronSchedule: "0 3 * * *", scheduled: true });
      expect(await cronJobs()).toEqual([
        { jobname: `pgstrata retention ${here}."metrics"."history"`, schedule: "0 3 * * *", command: `SELECT drop_chunks('"metrics"."history"'::regclass, older_than => '90 days'::interval)`, active: true },
      ]);
      expect((await provider.diff!(id, outs, await inputs(url, { table: "history", dropAfter: "90 days" }, outs))).changes).toBe(false);
      expect((await provider.read!(id, outs)).props).toEqual(outs);

      // A job paused by hand is drift that an update heals.
      await sql.query("UPDATE cron.job SET active = false WHERE database = $1", [here]);
      const drifted = (await provider.read!(id, outs)).props as Record<string, unknown>;
      expect(drifted.scheduled).toBe(false);
      const healed = await provider.update!(id, drifted, await inputs(url, { table: "history", dropAfter: "90 days" }, drifted));
      expect((await cronJobs())[0].active).toBe(true);

      // Shortening: the same hazard as the community policy, then the command drops exactly those chunks.
      const all = await chunks(apache.sql, "history");
      const doomed = (await apache.sql.query("SELECT show_chunks('metrics.history', older_than => interval '30 days')::text AS c ORDER BY 1")).rows.map((r) => r.c as string);
      await expect(provider.update!(id, healed.outs, await inputs(url, { table: "history", dropAfter: "30 days" }, healed.outs))).rejects.toThrow(
        new RegExp(`\\[data-loss\\] the next run of the retention job on metrics\\.history drops ${doomed.length} chunks`),
      );
      const shorter = await provider.update!(id, healed.outs, await inputs(url, { table: "history", dropAfter: "30 days", allowHazards: ["data-loss"] }, healed.outs));
      const [command] = (await cronJobs()).map((j) => j.command);
      expect(command).toBe(`SELECT drop_chunks('"metrics"."history"'::regclass, older_than => '30 days'::interval)`);
      await apache.sql.query(command);
      expect(await chunks(apache.sql, "history")).toEqual(all.filter((c) => !doomed.includes(c)));

      // Switching to dropCreatedBefore replaces the job; delete unschedules it.
      const switched = await inputs(url, { table: "history", dropCreatedBefore: "30 days" }, shorter.outs);
      expect((await provider.diff!(id, shorter.outs, switched)).replaces).toContain("dropAfter");
      await provider.delete!(id, shorter.outs);
      expect(await cronJobs()).toEqual([]);
    } finally {
      await sql.end();
    }
  });
});

test("a no-op preview of a TimescaleDB retention policy runs one statement (hypertable, jobs and pg_cron context read together; intervals as last applied), and a paused job is still drift", async () => {
  await db.sql.query("CREATE TABLE metrics.preview (at timestamptz NOT NULL, v int); SELECT create_hypertable('metrics.preview', by_range('at', interval '1 day'))");
  const inputs = (await provider.check!({}, { connection: { url: db.url }, schema: "metrics", table: "preview", dropAfter: "30 days", scheduleInterval: "1 day", engine: "timescaledb" })).inputs;
  await expectOneStatementPreview(db.sql, provider, inputs, "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name = 'preview'");
});
