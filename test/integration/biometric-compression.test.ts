import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { tableKind } from "../../resources/table/kind";
import { scratchDatabase } from "../support/scratch";

/**
 * The stacks model's biometric_events, compressed as the model declares it
 * (segment by subject_id, order by recorded_at DESC), with 500,000 generated
 * sensor readings: the columnstore policy's job must leave the table below
 * 30 % of its uncompressed size (users expect "> 70 % compression").
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("biometric_compression");
  await db.sql.query("CREATE SCHEMA biometric");
});
afterAll(() => db?.close());

const ROWS = 500_000;
const connection = () => ({ url: db.url });
const create = async (provider: ReturnType<typeof providerFor>, inputs: object) =>
  provider.create((await provider.check!({}, { connection: connection(), ...inputs })).inputs);

test(`${ROWS} readings in biometric_events compress below 30 % of their size through the columnstore policy`, async () => {
  await create(providerFor(tableKind), {
    schema: "biometric", name: "biometric_events",
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      { name: "subject_id", type: "uuid", nullable: false },
      { name: "sensor", type: "text", nullable: false },
      { name: "reading", type: "double precision", nullable: false },
      { name: "recorded_at", type: "timestamptz", nullable: false },
    ],
    primaryKey: { columns: ["id", "recorded_at"] },
  });
  await create(providerFor(hypertableKind), {
    schema: "biometric", table: "biometric_events", timeColumn: "recorded_at", chunkInterval: "1 day",
    compression: { segmentBy: ["subject_id"], orderBy: [{ column: "recorded_at", order: "DESC" }] },
    columnstorePolicy: { after: "1 day" },
  });
  // 50 subjects × 2 sensors × 5,000 readings each, one every 5 minutes over ~17 days:
  // heart rate and skin temperature, smooth with a little noise, as sensors report them.
  await db.sql.query(
    `INSERT INTO biometric.biometric_events (subject_id, sensor, reading, recorded_at)
     SELECT md5('subject' || s)::uuid, sensor,
            CASE sensor WHEN 'heart_rate' THEN round((70 + 15 * sin(i / 40.0 + s) + random() * 3)::numeric, 0)
                        ELSE round((33 + sin(i / 90.0 + s) + random() * 0.2)::numeric, 1) END,
            now() - interval '18 days' + i * interval '5 minutes'
       FROM generate_series(1, 50) s, unnest(ARRAY['heart_rate', 'skin_temp']) sensor, generate_series(1, $1::int / 100) i`,
    [ROWS],
  );
  expect((await db.sql.query("SELECT count(*)::int AS n FROM biometric.biometric_events")).rows[0].n).toBe(ROWS);
  const before = (await db.sql.query("SELECT hypertable_size('biometric.biometric_events')::bigint AS bytes")).rows[0].bytes;

  const job = (await db.sql.query("SELECT job_id FROM timescaledb_information.jobs WHERE hypertable_name = 'biometric_events' AND proc_name = 'policy_compression'")).rows[0].job_id;
  await db.sql.query(`CALL run_job(${Number(job)})`);

  const stats = (
    await db.sql.query(
      `SELECT number_compressed_chunks::int AS compressed, total_chunks::int AS chunks,
              before_compression_total_bytes::bigint AS before, after_compression_total_bytes::bigint AS after
         FROM hypertable_columnstore_stats('biometric.biometric_events')`,
    )
  ).rows[0];
  const ratio = Number(stats.after) / Number(stats.before);
  process.stderr.write(
    `\n[biometric compression] ${ROWS} rows, ${stats.compressed}/${stats.chunks} chunks compressed: ` +
      `${stats.before} → ${stats.after} bytes = ${(ratio * 100).toFixed(1)} % of uncompressed (${((1 - ratio) * 100).toFixed(1)} % saved); ` +
      `hypertable ${before} bytes before the job\n`,
  );
  expect(stats.compressed).toBeGreaterThanOrEqual(stats.chunks - 2);
  expect(ratio).toBeLessThan(0.3);
  expect((await db.sql.query("SELECT count(*)::int AS n FROM biometric.biometric_events")).rows[0].n).toBe(ROWS);
});
