import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { scratchDatabase } from "../support/scratch";

/**
 * TimescaleDB stores a chunk interval as a 64-bit count of microseconds
 * (months as 30 days): below one microsecond it is stored as zero, above
 * 2^63 - 1 it wraps around. TimescaleDB 2.19 accepts both and every insert
 * then fails; 2.29 refuses them at create_hypertable, after the table was
 * declared. Such intervals must fail `check`, naming the range.
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("chunk_interval");
  await db.sql.query("CREATE SCHEMA metrics");
});
afterAll(() => db.close());

const provider = providerFor(hypertableKind);
const inputs = (table: string, chunkInterval: string) => ({ connection: { url: db.url }, schema: "metrics", table, timeColumn: "at", chunkInterval });
const RANGE = /chunkInterval must be between 1 microsecond and 106751991 days 04:00:54\.775807 \(about 296533 years\)/;

const OUT_OF_RANGE = ["0.0000001 seconds", "0.0000005 seconds", "1000000 years", "296534 years", "106751991 days 04:00:54.775808", "106751992 days"];
const AT_THE_BOUNDS = ["1 microsecond", "0.000001 seconds", "296533 years", "106751991 days 04:00:54.775807"];

describe.each(OUT_OF_RANGE.map((iv, i) => [iv, i] as const))("chunkInterval %j", (interval, i) => {
  test("given to TimescaleDB directly, it is refused or breaks every insert", async () => {
    const table = `metrics.raw_${i}`;
    await db.sql.query(`CREATE TABLE ${table} (at timestamptz NOT NULL)`);
    const created = await db.sql.query(`SELECT create_hypertable('${table}', by_range('at', $1::interval))`, [interval]).then(
      () => true,
      (e: Error) => expect(e.message).toMatch(/invalid interval/),
    );
    if (created) await expect(db.sql.query(`INSERT INTO ${table} VALUES (now()), ('2000-01-01')`)).rejects.toThrow(/floating-point exception|out of range|violates check constraint/);
  });

  test("fails check at chunkInterval, naming the range", async () => {
    const { failures } = await provider.check!({}, inputs(`checked_${i}`, interval));
    expect(failures).toEqual([{ property: "chunkInterval", reason: expect.stringMatching(RANGE) }]);
  });
});

test.each(AT_THE_BOUNDS.map((iv, i) => [iv, i] as const))("chunkInterval %j at the bounds passes check, and rows go in", async (interval, i) => {
  const table = `bound_${i}`;
  await db.sql.query(`CREATE TABLE metrics.${table} (at timestamptz NOT NULL)`);
  const checked = await provider.check!({}, inputs(table, interval));
  expect(checked.failures ?? []).toEqual([]);
  await provider.create(checked.inputs);
  await db.sql.query(`INSERT INTO metrics.${table} VALUES (now()), ('2000-01-01'), ('1970-01-01')`);
  expect((await db.sql.query(`SELECT count(*)::int AS n FROM metrics.${table}`)).rows[0].n).toBe(3);
});
