import { Step } from "../../resources/core/step";
import { hypertableKind } from "../../resources/hypertable/kind";
import { HypertableFacts } from "../../resources/hypertable/observe";
import { dropHypertable, hypertableReplaces, planHypertable } from "../../resources/hypertable/plan";
import { chunkIntervalProblem, HypertableInput, HypertableSpec, hypertableSpec, keyProblems } from "../../resources/hypertable/spec";

/**
 * planHypertable / dropHypertable / hypertableReplaces as pure functions. The
 * TimescaleDB calls are the 2.13+ API (create_hypertable with by_range,
 * add_dimension with by_hash, set_chunk_time_interval, set_number_partitions);
 * the expected SQL was run against TimescaleDB 2.19 while writing these tests.
 */

const spec = (input: Partial<HypertableInput> = {}): HypertableSpec =>
  hypertableSpec().parse({ schema: "metrics", table: "readings", timeColumn: "at", chunkInterval: "1 day", ...input });
const facts = (f: Partial<HypertableFacts> = {}): HypertableFacts => ({ tableExists: true, rows: 0, keys: [], carried: [], license: "timescale", rowSecurity: false, compressedChunks: 0, ...f });
const sqlOf = (steps: Step[]) => steps.map((s) => s.sql);
const hazardsOf = (steps: Step[]) => steps.flatMap((s) => s.hazards);
const REL = `'"metrics"."readings"'::regclass`;

describe("create (the table exists and is not a hypertable yet)", () => {
  test("create_hypertable by range on the time column with the chunk interval", () => {
    const steps = planHypertable(undefined, spec(), facts({ keys: [{ name: "readings_pkey", columns: ["id", "at"], primary: true }] }));
    expect(sqlOf(steps)).toEqual([`SELECT create_hypertable(${REL}, by_range('at', '1 day'::interval), migrate_data => false)`]);
    expect(hazardsOf(steps)).toEqual([]);
    expect(steps.every((s) => s.transactional)).toBe(true);
  });

  test("the default chunk interval is TimescaleDB's default, 7 days", () => {
    const steps = planHypertable(undefined, hypertableSpec().parse({ schema: "metrics", table: "readings", timeColumn: "at" }), facts());
    expect(sqlOf(steps)).toEqual([`SELECT create_hypertable(${REL}, by_range('at', '7 days'::interval), migrate_data => false)`]);
  });

  test("with a hash dimension: then add_dimension by hash", () => {
    const steps = planHypertable(undefined, spec({ hashDimension: { column: "device", partitions: 4 } }), facts({ keys: [{ name: "k", columns: ["device", "at"], primary: true }] }));
    expect(sqlOf(steps)).toEqual([
      `SELECT create_hypertable(${REL}, by_range('at', '1 day'::interval), migrate_data => false)`,
      `SELECT add_dimension(${REL}, by_hash('device', 4))`,
    ]);
  });

  test("a table with rows and migrateData: migrate_data => true", () => {
    const steps = planHypertable(undefined, spec({ migrateData: true }), facts({ rows: 481 }));
    expect(sqlOf(steps)).toEqual([`SELECT create_hypertable(${REL}, by_range('at', '1 day'::interval), migrate_data => true)`]);
  });

  test("names with quotes in the regclass literal are doubled, not concatenated", () => {
    // Specs reject such names; the planner must still quote what it is given.
    const odd = { ...spec(), schema: "we'ird", table: 'ta"ble' };
    expect(sqlOf(planHypertable(undefined, odd, facts()))[0]).toBe(`SELECT create_hypertable('"we''ird"."ta""ble"'::regclass, by_range('at', '1 day'::interval), migrate_data => false)`);
  });
});

describe("create: errors before any SQL", () => {
  test("a missing table names it and the fix", () => {
    expect(() => planHypertable(undefined, spec(), facts({ tableExists: false }))).toThrow(
      /^Hypertable metrics\.readings: table metrics\.readings does not exist: declare it with a Table resource and pass that resource as `table`\.$/,
    );
  });

  test("a live key without the time column names the constraint, its columns and the fix", () => {
    expect(() => planHypertable(undefined, spec(), facts({ keys: [{ name: "readings_pkey", columns: ["id"], primary: true }] }))).toThrow(
      /^Hypertable metrics\.readings: constraint readings_pkey \(id\) of metrics\.readings does not include partitioning column "at": .*Add "at" to the constraint's columns\.$/,
    );
  });

  test("every offending key is listed (a unique constraint too)", () => {
    const keys = [
      { name: "readings_pkey", columns: ["id", "at"], primary: true },
      { name: "readings_code_key", columns: ["code"], primary: false },
      { name: "readings_serial_key", columns: ["serial"], primary: false },
    ];
    let message = "";
    try {
      planHypertable(undefined, spec(), facts({ keys }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/constraint readings_code_key \(code\)/);
    expect(message).toMatch(/constraint readings_serial_key \(serial\)/);
    expect(message).not.toMatch(/readings_pkey/);
  });

  test("a key without the hash column, when creating with a hash dimension", () => {
    const f = facts({ keys: [{ name: "readings_pkey", columns: ["id", "at"], primary: true }] });
    expect(() => planHypertable(undefined, spec({ hashDimension: { column: "device", partitions: 2 } }), f)).toThrow(
      /constraint readings_pkey \(id, at\) of metrics\.readings does not include partitioning column "device".*Add "device"/,
    );
  });

  test.each([
    [1, "1 row"],
    [481, "481 rows"],
    [10_000, "at least 10000 rows"],
  ])("%p rows without migrateData: names the rows and the fix", (rows, text) => {
    expect(() => planHypertable(undefined, spec(), facts({ rows }))).toThrow(
      new RegExp(`^Hypertable metrics\\.readings: the table holds ${text}: set migrateData: true to move them into chunks`),
    );
  });

  test("an empty table needs no migrateData", () => {
    expect(() => planHypertable(undefined, spec(), facts({ rows: 0 }))).not.toThrow();
  });
});

describe("update (the hypertable exists)", () => {
  test("nothing changed: no steps", () => {
    expect(planHypertable(spec(), spec(), facts({ rows: 100 }))).toEqual([]);
    const hashed = spec({ hashDimension: { column: "device", partitions: 4 } });
    expect(planHypertable(hashed, hashed, facts())).toEqual([]);
  });

  test("a chunk interval change: set_chunk_time_interval, no hazard (new chunks only)", () => {
    const steps = planHypertable(spec(), spec({ chunkInterval: "7 days" }), facts({ rows: 100 }));
    expect(sqlOf(steps)).toEqual([`SELECT set_chunk_time_interval(${REL}, '7 days'::interval)`]);
    expect(hazardsOf(steps)).toEqual([]);
  });

  test("adding a hash dimension on a hypertable with data: add_dimension", () => {
    const steps = planHypertable(spec(), spec({ hashDimension: { column: "device", partitions: 4 } }), facts({ rows: 100, keys: [{ name: "k", columns: ["at", "device"], primary: true }] }));
    expect(sqlOf(steps)).toEqual([`SELECT add_dimension(${REL}, by_hash('device', 4))`]);
  });

  test("adding a hash dimension whose column a live key lacks is refused, naming the key", () => {
    const f = facts({ keys: [{ name: "by_time_pkey", columns: ["at"], primary: true }] });
    expect(() => planHypertable(spec(), spec({ hashDimension: { column: "device", partitions: 2 } }), f)).toThrow(
      /constraint by_time_pkey \(at\) of metrics\.readings does not include partitioning column "device"/,
    );
  });

  test("a partition count change: set_number_partitions on the hash column", () => {
    const steps = planHypertable(spec({ hashDimension: { column: "device", partitions: 4 } }), spec({ hashDimension: { column: "device", partitions: 8 } }), facts());
    expect(sqlOf(steps)).toEqual([`SELECT set_number_partitions(${REL}, 8, 'device')`]);
  });

  test("interval and partitions together: both, interval first", () => {
    const steps = planHypertable(
      spec({ hashDimension: { column: "device", partitions: 4 } }),
      spec({ chunkInterval: "12:00:00", hashDimension: { column: "device", partitions: 8 } }),
      facts(),
    );
    expect(sqlOf(steps)).toEqual([`SELECT set_chunk_time_interval(${REL}, '12:00:00'::interval)`, `SELECT set_number_partitions(${REL}, 8, 'device')`]);
  });

  test("a time column change cannot be planned in place", () => {
    expect(() => planHypertable(spec(), spec({ timeColumn: "other_at" }), facts())).toThrow(/^Hypertable metrics\.readings: timeColumn cannot change in place; the hypertable must be replaced$/);
  });

  test("a hash column change or removal cannot be planned in place", () => {
    const hashed = spec({ hashDimension: { column: "device", partitions: 4 } });
    expect(() => planHypertable(hashed, spec({ hashDimension: { column: "region", partitions: 4 } }), facts())).toThrow(/hashDimension cannot change in place/);
    expect(() => planHypertable(hashed, spec(), facts())).toThrow(/hashDimension cannot change in place/);
  });
});

describe("replaces", () => {
  test.each<[string, Partial<HypertableInput>, Partial<HypertableInput>, string[]]>([
    ["time column", {}, { timeColumn: "other_at" }, ["timeColumn"]],
    ["table", {}, { table: "other" }, ["table"]],
    ["schema", {}, { schema: "other" }, ["schema"]],
    ["hash column", { hashDimension: { column: "device", partitions: 4 } }, { hashDimension: { column: "region", partitions: 4 } }, ["hashDimension"]],
    ["hash dimension removed", { hashDimension: { column: "device", partitions: 4 } }, {}, ["hashDimension"]],
    ["hash dimension added", {}, { hashDimension: { column: "device", partitions: 4 } }, []],
    ["partitions", { hashDimension: { column: "device", partitions: 4 } }, { hashDimension: { column: "device", partitions: 8 } }, []],
    ["chunk interval", {}, { chunkInterval: "7 days" }, []],
    ["migrateData", {}, { migrateData: true }, []],
  ])("%s → replaces %j", (_label, before, after, expected) => {
    expect(hypertableReplaces(spec(before), spec(after))).toEqual(expected);
    expect(hypertableKind.replaces(spec(before), spec(after))).toEqual(expected);
  });
});

describe("keyProblems (the rule shared by check and plan)", () => {
  test("no declared table: nothing to check", () => {
    expect(keyProblems({ schema: "m", table: "r", timeColumn: "at" })).toEqual([]);
  });
  test("one message per key per missing partitioning column", () => {
    const problems = keyProblems({ schema: "m", table: "r", timeColumn: "at", hashDimension: { column: "device" }, declaredTable: { keys: [{ name: "r_pkey", columns: ["id"] }] } });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^constraint r_pkey \(id\) of m\.r does not include partitioning column "at"/);
    expect(problems[1]).toMatch(/^constraint r_pkey \(id\) of m\.r does not include partitioning column "device"/);
  });
});

describe("dropHypertable (back to a plain table)", () => {
  const live = spec();
  const keys = [{ name: "readings_pkey", columns: ["id", "at"], primary: true }, { name: "readings_code_key", columns: ["code", "at"], primary: false }];

  test("copies into a LIKE table, drops the hypertable, renames, re-creates the keys, moves identity sequences", () => {
    const steps = dropHypertable(live, facts({ keys }));
    expect(sqlOf(steps).slice(0, 6)).toEqual([
      `CREATE TABLE "metrics"."pgstrata_plain_readings" (LIKE "metrics"."readings" INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING COMMENTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)`,
      `INSERT INTO "metrics"."pgstrata_plain_readings" OVERRIDING SYSTEM VALUE SELECT * FROM "metrics"."readings"`,
      `DROP TABLE "metrics"."readings"`,
      `ALTER TABLE "metrics"."pgstrata_plain_readings" RENAME TO "readings"`,
      `ALTER TABLE "metrics"."readings" ADD CONSTRAINT "readings_pkey" PRIMARY KEY ("id", "at")`,
      `ALTER TABLE "metrics"."readings" ADD CONSTRAINT "readings_code_key" UNIQUE ("code", "at")`,
    ]);
    expect(steps).toHaveLength(7);
    expect(steps[6].sql).toMatch(/^SELECT setval\(s\.seq::regclass, .*pg_get_serial_sequence\('"metrics"\."readings"', a\.attname\).*a\.attidentity <> ''/s);
    expect(steps.every((s) => s.transactional)).toBe(true);
  });

  test("the scratch table's name is cut to 63 bytes at a character boundary, as the server would cut it", () => {
    const table = "é".repeat(31); // 62 bytes
    const scratch = dropHypertable(spec({ table }), facts({ keys })).at(0)!.sql.match(/^CREATE TABLE "metrics"\."([^"]+)"/)![1];
    expect(Buffer.byteLength(scratch)).toBeLessThanOrEqual(63);
    expect(scratch).toBe(`pgstrata_plain_${"é".repeat(24)}`);
  });

  test("then re-creates, in order, what the facts carry", () => {
    const carried = [`COMMENT ON TABLE "metrics"."readings" IS 'kept'`, `GRANT SELECT ON "metrics"."readings" TO reader`];
    expect(sqlOf(dropHypertable(live, facts({ keys, carried }))).slice(7)).toEqual(carried);
  });

  test.each([
    [0, undefined],
    [1, "1 row"],
    [50, "50 rows"],
    [10_000, "at least 10000 rows"],
  ] as const)("with %p rows: a data-loss hazard exactly when rows > 0", (rows, text) => {
    const hazards = hazardsOf(dropHypertable(live, facts({ rows, keys })));
    if (text === undefined) expect(hazards).toEqual([]);
    else {
      expect(hazards).toHaveLength(1);
      expect(hazards[0].kind).toBe("data-loss");
      expect(hazards[0].message).toBe(
        `turning metrics.readings back into a plain table copies its ${text} into a new table under an ACCESS EXCLUSIVE lock and drops the hypertable with its chunks (and any compression or TimescaleDB policies on it)`,
      );
    }
  });

  test("a table that no longer exists: nothing to do", () => {
    expect(dropHypertable(live, facts({ tableExists: false, rows: 5 }))).toEqual([]);
  });
});

describe("chunkIntervalProblem: the interval suits the time column's type (the server's spelling)", () => {
  const problem = (type: string | undefined, interval: string | number) => chunkIntervalProblem("m.t", "at", type, interval);
  test.each([
    ["timestamp with time zone", "1 day"],
    ["timestamp(3) with time zone", "36 hours"],
    ["timestamp without time zone", "1 month"],
    ["date", "2 days"],
    ["bigint", 86_400_000],
    ["integer", 2_147_483_647],
    ["smallint", 32_767],
    ["my_domain", "1 day"],
    [undefined, 5],
  ])("%s takes %j", (type, interval) => expect(problem(type, interval)).toBeUndefined());
  test.each([
    ["timestamp(6) with time zone", 1000, /is a number, but .* give an interval/],
    ["date", "12 hours", /not a whole number of days/],
    ["bigint", "7 days", /is an interval, but .* give a number of the column's units/],
    ["smallint", 32_768, /exceeds the largest smallint \(32767\)/],
  ])("%s refuses %j", (type, interval, message) => expect(problem(type, interval)).toMatch(message));
});

describe("columnstorePolicy on an integer time column: after a number of its units, sent as it is, with the integer-now function", () => {
  const ticks = (input: Partial<HypertableInput> = {}) =>
    spec({ chunkInterval: 86_400_000, compression: {}, columnstorePolicy: { after: 604_800_000 }, integerNow: "metrics.ticks_now", ...input });
  const bigint = facts({ timeColumnType: "bigint" });

  test("create: the integer-now function is set after create_hypertable and before the policy, which takes the number", () => {
    expect(sqlOf(planHypertable(undefined, ticks(), bigint))).toEqual([
      `SELECT create_hypertable(${REL}, by_range('at', 86400000::bigint), migrate_data => false)`,
      `SELECT set_integer_now_func(${REL}, '"metrics"."ticks_now"'::regproc, replace_if_exists => true)`,
      `ALTER TABLE "metrics"."readings" SET (timescaledb.enable_columnstore = true)`,
      `SELECT add_compression_policy(${REL}, compress_after => 604800000)`,
    ]);
  });

  test("an integer-now function already live (set by a RetentionPolicy or by hand) is enough", () => {
    const steps = planHypertable(undefined, ticks({ integerNow: undefined }), facts({ timeColumnType: "bigint", integerNow: "metrics.other_now" }));
    expect(sqlOf(steps)).toContain(`SELECT add_compression_policy(${REL}, compress_after => 604800000)`);
  });

  test.each([
    ["an interval on an integer column", ticks({ columnstorePolicy: { after: "7 days" } }), bigint, /Hypertable metrics\.readings: columnstorePolicy\.after "7 days" is an interval, but the time column "at" of metrics\.readings is of type bigint.*give a number of the column's units/],
    ["a number on a time column", spec({ compression: {}, columnstorePolicy: { after: 1000 } }), facts({ timeColumnType: "timestamp(3) with time zone" }), /Hypertable metrics\.readings: columnstorePolicy\.after 1000 is a number, but the time column "at" of metrics\.readings is of type timestamp\(3\) with time zone: give an interval/],
    ["no integer-now function, declared or live", ticks({ integerNow: undefined }), bigint, /Hypertable metrics\.readings: columnstorePolicy on the integer time column "at" \(bigint\) needs the hypertable's integer-now function.*"integer_now function not set".*set integerNow/],
  ])("refused before any SQL: %s", (_what, desired, f, error) => {
    expect(() => planHypertable(undefined, desired, f)).toThrow(error);
  });

  test("at check, when the Table is declared: the mismatch on columnstorePolicy.after", () => {
    const declaredTable = { columns: [{ name: "at", nullable: false, type: "bigint" }], keys: [] };
    const parsed = hypertableSpec().safeParse({ schema: "metrics", table: "readings", timeColumn: "at", chunkInterval: 1000, compression: {}, columnstorePolicy: { after: "7 days" }, declaredTable });
    expect(parsed.success ? [] : parsed.error.issues.map((i) => [i.path.join("."), i.message])).toEqual([
      ["columnstorePolicy.after", expect.stringMatching(/^columnstorePolicy\.after "7 days" is an interval, but the time column "at" of metrics\.readings is of type bigint/)],
    ]);
  });

  test("update: a changed integer-now function is set again; the policy's number through alter_job", () => {
    const live = ticks();
    const job = { jobId: 1000, proc: "policy_compression", scheduleInterval: "1 day", scheduled: true, config: { hypertable_id: 1, compress_after: 604_800_000 }, lastRunStatus: null, lastRunStartedAt: null, totalFailures: 0 };
    const steps = planHypertable(live, ticks({ integerNow: "metrics.other_now", columnstorePolicy: { after: 3_600_000 } }), facts({ timeColumnType: "bigint", integerNow: "metrics.ticks_now", policyJob: job as HypertableFacts["policyJob"] }));
    expect(sqlOf(steps)).toEqual([
      `SELECT set_integer_now_func(${REL}, '"metrics"."other_now"'::regproc, replace_if_exists => true)`,
      `SELECT alter_job(1000, config => '{"hypertable_id":1,"compress_after":3600000}'::jsonb)`,
    ]);
  });
});
