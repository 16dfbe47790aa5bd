/**
 * The hypertable kind reads TimescaleDB's catalog by name, in one statement
 * per observe and one per facts, instead of the information views (which read
 * every hypertable before they filter): what it reads must be what the views
 * say, and the statement counts are guarded here.
 */
import { Client, PoolClient } from "pg";
import { providerFor } from "../../resources/core/provider";
import { readJobs } from "../../resources/core/timescaledb";
import { hypertableKind } from "../../resources/hypertable/kind";
import { scratchDatabase } from "../support/scratch";
import { statementsSent } from "../support/statements";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("hypertable_reads");
  await db.sql.query(`
    CREATE SCHEMA m;
    CREATE TABLE m.packed (at timestamptz NOT NULL, device text NOT NULL, v int);
    CREATE TABLE m.plain (at timestamptz NOT NULL, v int);
    INSERT INTO m.plain SELECT t, 1 FROM generate_series(now() - interval '3 days', now(), interval '1 hour') t;
    CREATE TABLE m.fresh (at timestamptz NOT NULL, device text NOT NULL, v int);`);
});
afterAll(() => db.close());

const provider = providerFor(hypertableKind);
const connection = () => ({ url: db.url });
const packed = () => ({
  connection: connection(), schema: "m", table: "packed", timeColumn: "at", chunkInterval: "1 day",
  compression: { segmentBy: ["device"] }, columnstorePolicy: { after: "2 days" },
});

const statements = (f: () => Promise<unknown>) => statementsSent(db.sql, f);

test("jobs, their last run and the columnstore read from the catalog are what timescaledb_information says", async () => {
  const { outs } = await provider.create((await provider.check!({}, packed())).inputs);
  await db.sql.query(`
    INSERT INTO m.packed SELECT t, 'd' || (extract(epoch FROM t)::int % 3), 1 FROM generate_series(now() - interval '6 days', now(), interval '10 minutes') t;
    SELECT compress_chunk(c) FROM show_chunks('m.packed', older_than => interval '3 days') c;
    SELECT add_retention_policy('m.packed', drop_after => interval '30 days');`);
  // One job whose last run succeeded, one whose last run failed, as the scheduler records them (a run in the foreground records none).
  const [compression, retention] = (await db.sql.query("SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'packed' ORDER BY job_id")).rows.map((r) => r.job_id);
  await db.sql.query(
    `INSERT INTO _timescaledb_internal.bgw_job_stat (job_id, last_start, last_finish, next_start, last_successful_finish, last_run_success, total_runs, total_duration,
                                                     total_duration_failures, total_successes, total_failures, total_crashes, consecutive_failures, consecutive_crashes, flags)
     VALUES ($1, now() - interval '1 minute', now(), now() + interval '1 day', now(), true, 1, interval '1 second', interval '0', 1, 0, 0, 0, 0, 0),
            ($2, now() - interval '2 minutes', now(), now() + interval '1 hour', now() - interval '1 day', false, 3, interval '3 seconds', interval '2 seconds', 1, 2, 0, 2, 0, 0)`,
    [compression, retention],
  );

  const views = (
    await db.sql.query(
      `SELECT j.job_id AS "jobId", j.proc_name AS proc, j.schedule_interval::text AS "scheduleInterval", j.scheduled,
              s.last_run_status AS "lastRunStatus", s.last_run_started_at::text AS "lastRunStartedAt", COALESCE(s.total_failures, 0)::int AS "totalFailures"
         FROM timescaledb_information.jobs j LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id
        WHERE j.hypertable_schema = 'm' AND j.hypertable_name = 'packed' ORDER BY j.job_id`,
    )
  ).rows;
  expect(views.map((j) => j.lastRunStatus)).toEqual(["Success", "Failed"]);
  const client = await new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query("SET IntervalStyle = postgres; SET TimeZone = UTC");
    const jobs = await readJobs(client as unknown as PoolClient, "m", "packed");
    expect(jobs.map(({ config: _c, ...j }) => j)).toEqual(views);
  } finally {
    await client.end();
  }

  const chunks = (await db.sql.query("SELECT count(*) FILTER (WHERE is_compressed)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'packed'")).rows[0].n;
  expect(chunks).toBeGreaterThan(0);
  // Disabling the columnstore is refused with the count of compressed chunks the views report.
  const { compression: _, columnstorePolicy: __, ...uncompressed } = packed();
  const news = (await provider.check!(outs!, uncompressed)).inputs;
  await expect(provider.diff!("m.packed", outs!, news)).rejects.toThrow(`compression cannot be disabled while ${chunks} chunks are compressed`);
  // And the observed settings are those of the views.
  const read = await provider.read!("m.packed", outs!);
  expect((read.props as { observed: { compression: unknown } }).observed.compression).toEqual({ enabled: true, segmentBy: ["device"] });
});

test("a no-op preview and a refresh of a hypertable with a columnstore policy run one statement; an update that changes nothing only adds the transaction and its lock", async () => {
  const checked = (await provider.check!({}, { ...packed(), table: "fresh" })).inputs;
  const { id, outs } = await provider.create(checked);
  expect(await statements(() => provider.read!(id, outs!))).toHaveLength(1);
  expect(await statements(() => provider.diff!(id, outs!, checked))).toHaveLength(1);
  // BEGIN + advisory lock (one text), observe, COMMIT.
  expect((await statements(() => provider.update!(id, outs!, checked))).flatMap((t) => t.split(/;\s*/)).filter((s) => s.trim() !== "")).toHaveLength(4);
});

test("converting a table with rows reads its facts in one statement and refuses without migrateData, naming the rows", async () => {
  const checked = (await provider.check!({}, { connection: connection(), schema: "m", table: "plain", timeColumn: "at" })).inputs;
  let error: Error | undefined;
  const sent = await statements(() => provider.create(checked).catch((e: Error) => void (error = e)));
  expect(error?.message).toMatch(/Hypertable m\.plain: the table holds 73 rows: set migrateData: true/);
  // BEGIN + advisory lock, observe, facts, ROLLBACK.
  expect(sent).toHaveLength(4);
});
