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

/**
 * A `date` time column takes whole days only: TimescaleDB refuses any other
 * chunk interval at create_hypertable and set_chunk_time_interval ("invalid
 * interval for date dimension"). Such an interval must fail `check` when the
 * Table is declared in the program, and planning (before any SQL) otherwise.
 */
describe("chunkInterval on a date time column", () => {
  const NOT_WHOLE_DAYS = ["12 hours", "36 hours", "1 day 00:00:01", "25 hours", "1.5 days"];
  const WHOLE_DAYS = ["1 day", "2 days", "1 week", "1 month", "48 hours", "0.5 month"];
  const dateInputs = (table: string, chunkInterval: string, declared = false) => ({
    ...inputs(table, chunkInterval),
    timeColumn: "day",
    ...(declared ? { declaredTable: { columns: [{ name: "day", nullable: false, type: "date" }, { name: "v", nullable: true, type: "integer" }], keys: [] } } : {}),
  });
  const PROBLEM = (interval: string, table: string) =>
    `chunkInterval ${JSON.stringify(interval)} is not a whole number of days, and the time column "day" of metrics.${table} is of type date, whose chunks TimescaleDB cuts on day boundaries ("invalid interval for date dimension"): use whole days, e.g. '1 day', '7 days' or '1 month' (30 days), or make the column timestamptz`;

  test.each(NOT_WHOLE_DAYS.map((iv, i) => [iv, i] as const))("%j given to TimescaleDB directly is refused", async (interval, i) => {
    await db.sql.query(`CREATE TABLE metrics.raw_date_${i} (day date NOT NULL)`);
    await expect(db.sql.query(`SELECT create_hypertable('metrics.raw_date_${i}', by_range('day', $1::interval))`, [interval])).rejects.toThrow(/invalid interval for date dimension/);
    await db.sql.query(`SELECT create_hypertable('metrics.raw_date_${i}', by_range('day', '1 day'::interval))`);
    await expect(db.sql.query(`SELECT set_chunk_time_interval('metrics.raw_date_${i}', $1::interval)`, [interval])).rejects.toThrow(/invalid interval for date dimension/);
  });

  test.each(NOT_WHOLE_DAYS.map((iv, i) => [iv, i] as const))("%j fails check at chunkInterval when the Table is declared", async (interval, i) => {
    const { failures } = await provider.check!({}, dateInputs(`declared_date_${i}`, interval, true));
    expect(failures).toEqual([{ property: "chunkInterval", reason: PROBLEM(interval, `declared_date_${i}`) }]);
  });

  test.each(NOT_WHOLE_DAYS.map((iv, i) => [iv, i] as const))("%j fails before any SQL when the table is managed elsewhere", async (interval, i) => {
    const table = `plain_date_${i}`;
    await db.sql.query(`CREATE TABLE metrics.${table} (day date NOT NULL)`);
    const checked = await provider.check!({}, dateInputs(table, interval));
    expect(checked.failures ?? []).toEqual([]);
    const message = `Hypertable metrics.${table}: ${PROBLEM(interval, table)}`;
    await expect(provider.plan(checked.inputs)).rejects.toThrow(message);
    await expect(provider.create(checked.inputs)).rejects.toThrow(message);
    const { rows } = await db.sql.query(`SELECT count(*)::int AS n FROM timescaledb_information.hypertables WHERE hypertable_name = $1`, [table]);
    expect(rows[0].n).toBe(0);
  });

  test("changing a date hypertable's chunkInterval to part of a day fails the preview, naming the property", async () => {
    await db.sql.query(`CREATE TABLE metrics.daily (day date NOT NULL)`);
    const created = await provider.create((await provider.check!({}, dateInputs("daily", "1 day"))).inputs);
    const news = (await provider.check!(created.outs, dateInputs("daily", "36 hours"))).inputs;
    await expect(provider.diff!("metrics.daily", created.outs, news)).rejects.toThrow(`Hypertable metrics.daily: ${PROBLEM("1 day 12:00:00", "daily")}`);
  });

  test.each(WHOLE_DAYS.map((iv, i) => [iv, i] as const))("%j passes check, converts and takes rows", async (interval, i) => {
    const table = `whole_date_${i}`;
    await db.sql.query(`CREATE TABLE metrics.${table} (day date NOT NULL, v integer)`);
    const checked = await provider.check!({}, dateInputs(table, interval, true));
    expect(checked.failures ?? []).toEqual([]);
    await provider.create(checked.inputs);
    await db.sql.query(`INSERT INTO metrics.${table} VALUES ('2024-01-01', 1), ('2024-03-01', 2)`);
    const { rows } = await db.sql.query(`SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = $1`, [table]);
    expect(rows[0].n).toBe(2);
  });

  test("part of a day is fine on a timestamptz time column", async () => {
    const declaredTable = { columns: [{ name: "at", nullable: false, type: "timestamp with time zone" }], keys: [] };
    const { failures } = await provider.check!({}, { ...inputs("hourly", "12 hours"), declaredTable });
    expect(failures ?? []).toEqual([]);
  });
});
