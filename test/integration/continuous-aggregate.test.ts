import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { continuousAggregateKind } from "../../resources/continuous-aggregate/kind";
import { tableKind } from "../../resources/table/kind";
import { conformanceCycle } from "../support/conformance";
import { expectOneStatementPreview } from "../support/statements";
import { scratchDatabase } from "../support/scratch";

/** ContinuousAggregate on the community-license server (and its refusal on the Apache one). */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let apache: Awaited<ReturnType<typeof scratchDatabase>>;
const SOURCE = `
  CREATE SCHEMA metrics;
  CREATE TABLE metrics.readings (at timestamptz NOT NULL, device text NOT NULL, value double precision);
  SELECT create_hypertable('metrics.readings', by_range('at', interval '1 day'));
  INSERT INTO metrics.readings SELECT t, 'd' || (extract(hour FROM t)::int % 3), 1 FROM generate_series(now() - interval '10 days', now(), interval '10 minutes') t;
  CREATE TABLE metrics.plain (at timestamptz NOT NULL, value double precision);
  CREATE TABLE metrics.secured (at timestamptz NOT NULL, value double precision);
  SELECT create_hypertable('metrics.secured', by_range('at'));
  ALTER TABLE metrics.secured ENABLE ROW LEVEL SECURITY;`;
beforeAll(async () => {
  [db, apache] = await Promise.all([scratchDatabase("cagg"), scratchDatabase("cagg_apache", "apache")]);
  await db.sql.query(SOURCE);
  await apache.sql.query("CREATE SCHEMA metrics; CREATE TABLE metrics.readings (at timestamptz NOT NULL, value double precision); SELECT create_hypertable('metrics.readings', by_range('at'));");
});
afterAll(async () => {
  await db?.close();
  await apache?.close();
});

const provider = providerFor(continuousAggregateKind);
const HOURLY = "SELECT time_bucket('1 hour', at) AS bucket, device, avg(value) AS avg_value, count(*) AS n FROM metrics.readings GROUP BY 1, 2";
const cagg = async (sql: Client, name: string) =>
  (await sql.query("SELECT materialized_only FROM timescaledb_information.continuous_aggregates WHERE view_schema = 'metrics' AND view_name = $1", [name])).rows;
const refreshJob = async (sql: Client, name: string) =>
  (
    await sql.query(
      `SELECT config->>'start_offset' AS start, config->>'end_offset' AS "end", schedule_interval::text AS every, scheduled FROM timescaledb_information.jobs
        WHERE hypertable_schema = 'metrics' AND hypertable_name = $1 AND proc_name = 'policy_refresh_continuous_aggregate'`,
      [name],
    )
  ).rows;

describe("ContinuousAggregate conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = {
      connection: { url: db.url }, schema: "metrics", name: "hourly", query: HOURLY,
      refreshPolicy: { startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "30 minutes" },
    };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) => {
        expect(await cagg(sql, "hourly")).toEqual([{ materialized_only: true }]);
        expect(await refreshJob(sql, "hourly")).toEqual([{ start: "3 days", end: "01:00:00", every: "00:30:00", scheduled: true }]);
        // backfill: the whole range was refreshed once on create
        expect((await sql.query("SELECT sum(n)::int AS n FROM metrics.hourly")).rows[0].n).toBe((await sql.query("SELECT count(*)::int AS n FROM metrics.readings")).rows[0].n);
      },
      drift: {
        sql: "SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name = 'hourly'",
        property: "refreshPolicy",
      },
      update: {
        inputs: { ...base, materializedOnly: false, refreshPolicy: { endOffset: "2 hours", scheduleInterval: "1 hour" } },
        verify: async (sql) => {
          expect(await cagg(sql, "hourly")).toEqual([{ materialized_only: false }]);
          expect(await refreshJob(sql, "hourly")).toEqual([{ start: null, end: "02:00:00", every: "01:00:00", scheduled: true }]);
        },
      },
      replace: { inputs: { ...base, query: HOURLY.replace("avg(value)", "max(value)") }, property: "query" },
      verifyDeleted: async (sql) => expect(await cagg(sql, "hourly")).toEqual([]),
    };
  });
});

/** The aggregate's columnstore as TimescaleDB reports it, and its columnstore policy job. */
const columnstore = async (sql: Client, name: string) => ({
  settings: (
    await sql.query(
      `SELECT ca.compression_enabled AS enabled, s.segmentby, s.orderby FROM timescaledb_information.continuous_aggregates ca
         LEFT JOIN timescaledb_information.hypertable_columnstore_settings s ON s.hypertable = format('%I.%I', ca.materialization_hypertable_schema, ca.materialization_hypertable_name)::regclass
        WHERE ca.view_schema = 'metrics' AND ca.view_name = $1`,
      [name],
    )
  ).rows,
  policy: (
    await sql.query(
      `SELECT config->>'compress_after' AS after, schedule_interval::text AS every, scheduled FROM timescaledb_information.jobs
        WHERE hypertable_schema = 'metrics' AND hypertable_name = $1 AND proc_name = 'policy_compression'`,
      [name],
    )
  ).rows,
});

describe("ContinuousAggregate compression (columnstore) conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = {
      connection: { url: db.url }, schema: "metrics", name: "hourly_compressed", query: HOURLY,
      refreshPolicy: { startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "30 minutes" },
      compression: { segmentBy: ["device"], orderBy: [{ column: "bucket", order: "DESC" }] },
      columnstorePolicy: { after: "5 days" },
    };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) => {
        expect(await columnstore(sql, "hourly_compressed")).toEqual({
          settings: [{ enabled: true, segmentby: "device", orderby: "bucket DESC" }],
          policy: [{ after: "5 days", every: "12:00:00", scheduled: true }],
        });
      },
      drift: { sql: "SELECT remove_compression_policy('metrics.hourly_compressed')", property: "columnstorePolicy" },
      update: {
        // segmentBy [] is "segment by nothing" (the settings view prints an empty list)
        inputs: { ...base, compression: { segmentBy: [] }, columnstorePolicy: { after: "7 days", scheduleInterval: "1 hour" } },
        verify: async (sql) => {
          expect(await columnstore(sql, "hourly_compressed")).toEqual({
            settings: [{ enabled: true, segmentby: "", orderby: "bucket DESC" }],
            policy: [{ after: "7 days", every: "01:00:00", scheduled: true }],
          });
        },
      },
      replace: { inputs: { ...base, query: HOURLY.replace("avg(value)", "max(value)") }, property: "query" },
      verifyDeleted: async (sql) => expect(await cagg(sql, "hourly_compressed")).toEqual([]),
    };
  });
});

test("an aggregate's compression: unset segmentBy/orderBy are TimescaleDB's choice (no diff); disabling it while chunks are compressed is refused with the count and the fix", async () => {
  const { id, outs } = await create(db.url, { name: "squeezed", query: HOURLY, compression: {} });
  expect(await columnstore(db.sql, "squeezed")).toMatchObject({ settings: [{ enabled: true }], policy: [] });
  const same = (await provider.check!(outs, { ...outs, compression: {} })).inputs;
  expect(await provider.diff!(id, outs, same)).toMatchObject({ changes: false });
  await db.sql.query("SELECT compress_chunk(c) FROM show_chunks('metrics.squeezed') c");
  const off = (await provider.check!(outs, { ...outs, compression: undefined })).inputs;
  await expect(provider.update!(id, outs, off)).rejects.toThrow(/ContinuousAggregate metrics\.squeezed: compression cannot be disabled while \d+ chunks? (is|are) compressed.*decompress_chunk/s);
  expect(await columnstore(db.sql, "squeezed")).toMatchObject({ settings: [{ enabled: true }] });
});

const create = async (url: string, props: object) => provider.create((await provider.check!({}, { connection: { url }, schema: "metrics", ...props })).inputs);

test("the query is compared by the server's canonical text: other spelling, no diff; a cagg on a cagg (hierarchical) works", async () => {
  const spelled = "select time_bucket(INTERVAL '1 hour', at) as bucket, device, AVG(value) avg_value, count(*) n from metrics.readings group by time_bucket(INTERVAL '1 hour', at), device";
  const { id, outs } = await create(db.url, { name: "five", query: spelled, backfill: false });
  const again = (await provider.check!(outs, { ...outs, query: HOURLY })).inputs;
  const updated = await provider.update!(id, outs, again);
  expect(updated.outs.appliedSql).toEqual([]);
  const daily = await create(db.url, {
    name: "daily", query: "SELECT time_bucket('1 day', bucket) AS day, device, max(avg_value) AS peak FROM metrics.five GROUP BY 1, 2",
    refreshPolicy: { startOffset: "10 days", endOffset: "1 day", scheduleInterval: "1 hour" },
  });
  expect(daily.outs.observed).toMatchObject({ refreshPolicy: { startOffset: "10 days", endOffset: "1 day" } });
  expect(await cagg(db.sql, "daily")).toEqual([{ materialized_only: true }]);
});

test("a lock timeout while the query is checked is reported as one, not as a fault of the query", async () => {
  const migration = new Client({ connectionString: db.url });
  await migration.connect();
  await migration.query("BEGIN; LOCK TABLE metrics.readings IN ACCESS EXCLUSIVE MODE");
  try {
    const inputs = (await provider.check!({}, { connection: { url: db.url, lockTimeout: "100ms" }, schema: "metrics", name: "blocked", query: HOURLY })).inputs;
    const error = await provider.create(inputs).then(() => "created", (e: Error) => e.message);
    expect(error).toMatch(/^ContinuousAggregate metrics\.blocked: checking the query on a scratch aggregate, which reads its sources, stopped: canceling statement due to lock timeout/);
    expect(error).not.toMatch(/Fix:/);
  } finally {
    await migration.query("ROLLBACK");
    await migration.end();
  }
});

describe("refused before any SQL, naming the property", () => {
  test.each([
    ["a refresh window under two buckets", { name: "narrow", query: HOURLY, refreshPolicy: { startOffset: "90 minutes", endOffset: "1 hour", scheduleInterval: "1 hour" } }, /ContinuousAggregate metrics\.narrow: refreshPolicy: policy refresh window too small.*two buckets/s],
    ["a query that is not aggregatable", { name: "raw", query: "SELECT time_bucket('1 hour', at) AS bucket, value FROM metrics.readings" }, /ContinuousAggregate metrics\.raw: query: invalid continuous aggregate query.*aggregatable/s],
    ["a source that is not a hypertable", { name: "flat", query: "SELECT time_bucket('1 hour', at) AS b, avg(value) FROM metrics.plain GROUP BY 1" }, /ContinuousAggregate metrics\.flat: query: .*hypertable/s],
    ["a columnstore policy without compression", { name: "nopress", query: HOURLY, columnstorePolicy: { after: "7 days" } }, /columnstorePolicy: a columnstore policy compresses chunks, which needs compression/],
    ["compression segmented by a column the aggregate lacks", { name: "badseg", query: HOURLY, compression: { segmentBy: ["nosuch"] } }, /ContinuousAggregate metrics\.badseg: compression: column "nosuch" does not exist.*segmentBy/s],
    ["a source with row-level security", { name: "locked", query: "SELECT time_bucket('1 hour', at) AS b, avg(value) FROM metrics.secured GROUP BY 1" }, /ContinuousAggregate metrics\.locked: query: .*row security.*disable row security on the source/s],
  ])("%s", async (_what, props, error) => {
    await expect(create(db.url, props)).rejects.toThrow(error);
    expect(await cagg(db.sql, (props as { name: string }).name)).toEqual([]);
  });

  test("row-level security declared on the source's Table fails check, naming both, before the table or hypertable exists", async () => {
    const inputs = { connection: { url: db.url }, schema: "metrics", name: "tenants_hourly", query: "SELECT time_bucket('1 hour', at) AS b, count(*) FROM metrics.tenants GROUP BY 1" };
    const { failures } = await provider.check!({}, { ...inputs, declaredSource: { schema: "metrics", table: "tenants", rowLevelSecurity: true } });
    expect(failures).toEqual([
      { property: "source", reason: expect.stringMatching(/^continuous aggregate metrics\.tenants_hourly and rowLevelSecurity of Table metrics\.tenants cannot both be declared on metrics\.tenants: .*"cannot create continuous aggregate on hypertable with row security"/) },
    ]);
  });

  test("on the Apache license, naming the license", async () => {
    await expect(create(apache.url, { name: "hourly", query: "SELECT time_bucket('1 hour', at) AS b, avg(value) FROM metrics.readings GROUP BY 1" })).rejects.toThrow(
      /ContinuousAggregate metrics\.hourly: a continuous aggregate needs TimescaleDB's community license.*'apache' license/,
    );
  });
});

test("row security enabled after the aggregate exists: TimescaleDB accepts it and refreshes, a Table declaring it is refused before any SQL, naming the aggregate", async () => {
  await db.sql.query("CREATE TABLE metrics.later (at timestamptz NOT NULL, value double precision); SELECT create_hypertable('metrics.later', by_range('at'))");
  await create(db.url, { name: "later_hourly", query: "SELECT time_bucket('1 hour', at) AS b, avg(value) FROM metrics.later GROUP BY 1" });
  await db.sql.query("ALTER TABLE metrics.later ENABLE ROW LEVEL SECURITY");
  await db.sql.query("CALL refresh_continuous_aggregate('metrics.later_hourly', NULL, NULL)");
  await db.sql.query("ALTER TABLE metrics.later DISABLE ROW LEVEL SECURITY");
  const table = providerFor(tableKind);
  const inputs = (await table.check!({}, {
    connection: { url: db.url }, schema: "metrics", name: "later",
    columns: [{ name: "at", type: "timestamptz", nullable: false }, { name: "value", type: "double precision" }], rowLevelSecurity: { enabled: true },
  })).inputs;
  await expect(table.create(inputs)).rejects.toThrow(/^Table metrics\.later: rowLevelSecurity: continuous aggregate metrics\.later_hourly and rowLevelSecurity of Table metrics\.later cannot both be declared/);
  expect((await db.sql.query("SELECT relrowsecurity FROM pg_class WHERE oid = 'metrics.later'::regclass")).rows).toEqual([{ relrowsecurity: false }]);
});

test("a source declared without row security is read by check only: created, no diff, never stored", async () => {
  const declaredSource = { schema: "metrics", table: "readings", rowLevelSecurity: false };
  const { id, outs } = await create(db.url, { name: "sourced", query: HOURLY, backfill: false, declaredSource });
  expect(outs).not.toHaveProperty("declaredSource");
  const again = (await provider.check!(outs, { connection: { url: db.url }, schema: "metrics", name: "sourced", query: HOURLY, backfill: false, declaredSource })).inputs;
  expect(await provider.diff!(id, outs, again)).toMatchObject({ changes: false });
});

test("replacing an aggregate that holds rows past its source's retention is a data-loss hazard", async () => {
  const { id, outs } = await create(db.url, { name: "kept", query: HOURLY.replace("metrics.readings", "metrics.readings") });
  await db.sql.query("SELECT drop_chunks('metrics.readings', older_than => interval '5 days')");
  await expect(provider.delete!(id, outs)).rejects.toThrow(/\[data-loss\] dropping or rebuilding metrics\.kept loses \d+ rows in buckets older than its source's oldest chunk/);
  await provider.delete!(id, { ...outs, allowHazards: ["data-loss"] });
  expect(await cagg(db.sql, "kept")).toEqual([]);
});

test("a no-op preview of an aggregate with a refresh policy runs one statement (no scratch aggregate while its query and policies are as last applied and observed), and a hand-changed policy is still drift", async () => {
  const inputs = (await provider.check!({}, {
    connection: { url: db.url }, schema: "metrics", name: "preview_reads", query: HOURLY.replace("avg_value", "preview_avg"), backfill: false,
    refreshPolicy: { startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "30 minutes" },
  })).inputs;
  await expectOneStatementPreview(db.sql, provider, inputs, "SELECT alter_job(job_id, schedule_interval => interval '2 hours') FROM timescaledb_information.jobs WHERE hypertable_name = 'preview_reads'");
});
