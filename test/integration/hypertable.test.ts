import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { tableKind } from "../../resources/table/kind";
import { conformanceCycle } from "../support/conformance";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("hypertable");
  await db.sql.query(`
    CREATE SCHEMA metrics;
    CREATE TABLE metrics.readings (id bigint GENERATED ALWAYS AS IDENTITY, device text NOT NULL, at timestamptz NOT NULL, other_at timestamptz NOT NULL DEFAULT now(), value double precision,
                                   CONSTRAINT readings_pkey PRIMARY KEY (id, at, device));
    CREATE TABLE metrics.bad_key (id bigint PRIMARY KEY, at timestamptz NOT NULL);
    CREATE TABLE metrics.full (at timestamptz NOT NULL, v int);
    CREATE TABLE metrics.ticks (at bigint NOT NULL, at2 bigint NOT NULL DEFAULT 0, v int);
    CREATE TABLE metrics.small_ticks (at smallint NOT NULL);
    INSERT INTO metrics.full SELECT t, 1 FROM generate_series(now() - interval '20 days', now(), interval '1 hour') t;`);
});
afterAll(() => db.close());

const dimensions = async (sql: Client, table: string) =>
  (
    await sql.query(
      `SELECT column_name, dimension_type, time_interval::text AS interval, num_partitions FROM timescaledb_information.dimensions
        WHERE hypertable_schema = 'metrics' AND hypertable_name = $1 ORDER BY dimension_number`,
      [table],
    )
  ).rows;

const provider = providerFor(hypertableKind);
const connection = () => ({ url: db.url });

describe("Hypertable conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = { connection: connection(), schema: "metrics", table: "readings", timeColumn: "at", chunkInterval: "1 day" };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) =>
        expect(await dimensions(sql, "readings")).toEqual([{ column_name: "at", dimension_type: "Time", interval: "1 day", num_partitions: null }]),
      drift: { sql: "SELECT set_chunk_time_interval('metrics.readings', interval '6 hours')", property: "chunkInterval" },
      update: {
        inputs: { ...base, chunkInterval: "1 week", hashDimension: { column: "device", partitions: 4 } },
        verify: async (sql) =>
          expect(await dimensions(sql, "readings")).toEqual([
            { column_name: "at", dimension_type: "Time", interval: "7 days", num_partitions: null },
            { column_name: "device", dimension_type: "Space", interval: null, num_partitions: 4 },
          ]),
      },
      replace: { inputs: { ...base, timeColumn: "other_at", migrateData: true }, property: "timeColumn" },
      refuseDelete: {
        prepare: async (sql) => void (await sql.query("INSERT INTO metrics.readings (device, at, value) VALUES ('a', now(), 1), ('b', now() - interval '3 days', 2)")),
        error: /Hypertable metrics\.readings: refusing.*\[data-loss\] turning metrics\.readings back into a plain table copies its 2 rows/s,
        allow: { allowHazards: ["data-loss"] },
      },
      verifyDeleted: async (sql) => {
        expect(await dimensions(sql, "readings")).toEqual([]);
        const kept = await sql.query("SELECT count(*)::int AS n, (SELECT conname FROM pg_constraint WHERE conrelid = 'metrics.readings'::regclass AND contype = 'p') AS pk FROM metrics.readings");
        expect(kept.rows[0]).toEqual({ n: 2, pk: "readings_pkey" });
        expect((await sql.query("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'readings_pkey'")).rows[0].def).toBe("PRIMARY KEY (id, at, device)");
        await sql.query("INSERT INTO metrics.readings (device, at) VALUES ('c', now())");
      },
    };
  });
});

const integerInterval = async (sql: Client, table: string) =>
  (await sql.query("SELECT column_name, integer_interval::text AS units FROM timescaledb_information.dimensions WHERE hypertable_schema = 'metrics' AND hypertable_name = $1", [table])).rows;

describe("Hypertable conformance cycle on an integer time column (chunkInterval a number of its units)", () => {
  conformanceCycle(() => db.sql, () => {
    const base = { connection: connection(), schema: "metrics", table: "ticks", timeColumn: "at", chunkInterval: 86_400_000 };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) => expect(await integerInterval(sql, "ticks")).toEqual([{ column_name: "at", units: "86400000" }]),
      drift: { sql: "SELECT set_chunk_time_interval('metrics.ticks', 1000)", property: "chunkInterval" },
      update: {
        inputs: { ...base, chunkInterval: 3_600_000 },
        verify: async (sql) => expect(await integerInterval(sql, "ticks")).toEqual([{ column_name: "at", units: "3600000" }]),
      },
      replace: { inputs: { ...base, timeColumn: "at2", migrateData: true }, property: "timeColumn" },
      verifyDeleted: async (sql) => expect(await integerInterval(sql, "ticks")).toEqual([]),
    };
  });
});

describe("chunkInterval must suit the time column's type: refused before any SQL, naming the property and the fix", () => {
  test.each([
    ["an integer column left at the default '7 days'", { table: "small_ticks" }, /chunkInterval "7 days" is an interval, but the time column "at" of metrics\.small_ticks is of type smallint.*give a number of the column's units/],
    ["a number above the integer type's maximum", { table: "small_ticks", chunkInterval: 40_000 }, /chunkInterval 40000 exceeds the largest smallint \(32767\)/],
    ["a number for a timestamptz column", { table: "full", chunkInterval: 1000, migrateData: true }, /chunkInterval 1000 is a number, but the time column "at" of metrics\.full is of type timestamp with time zone: give an interval/],
  ])("%s", async (_what, inputs, error) => {
    await expect(create({ timeColumn: "at", ...inputs })).rejects.toThrow(error);
    expect(await dimensions(db.sql, (inputs as { table: string }).table)).toEqual([]);
  });

  test("a fractional number fails check", async () => {
    const { failures } = await provider.check!({}, { connection: connection(), schema: "metrics", table: "ticks", timeColumn: "at", chunkInterval: 1.5 });
    expect(failures).toEqual([{ property: "chunkInterval", reason: "an integer time column's chunkInterval is a whole number of its units" }]);
  });
});

const create = async (inputs: object) => provider.create((await provider.check!({}, { connection: connection(), schema: "metrics", ...inputs })).inputs);

test("a live primary key without the time column is rejected before any SQL, naming the constraint and the fix", async () => {
  await expect(create({ table: "bad_key", timeColumn: "at" })).rejects.toThrow(
    /constraint bad_key_pkey \(id\) of metrics\.bad_key does not include partitioning column "at".*Add "at" to the constraint's columns/,
  );
  expect(await dimensions(db.sql, "bad_key")).toEqual([]);
});

test("adding a hash dimension whose column the primary key lacks is rejected before any SQL", async () => {
  await db.sql.query("CREATE TABLE metrics.by_time (at timestamptz NOT NULL, device text NOT NULL, PRIMARY KEY (at))");
  const { outs } = await create({ table: "by_time", timeColumn: "at" });
  const news = (await provider.check!(outs, { ...outs, hashDimension: { column: "device", partitions: 2 } })).inputs;
  await expect(provider.update!("metrics.by_time", outs, news)).rejects.toThrow(/constraint by_time_pkey \(at\) of metrics\.by_time does not include partitioning column "device"/);
  expect((await dimensions(db.sql, "by_time")).length).toBe(1);
});

test("a table with rows needs migrateData; with it, the rows move into chunks", async () => {
  await expect(create({ table: "full", timeColumn: "at" })).rejects.toThrow(/the table holds 481 rows: set migrateData: true/);
  await create({ table: "full", timeColumn: "at", chunkInterval: "5 days", migrateData: true });
  const chunks = await db.sql.query("SELECT count(*)::int AS n FROM timescaledb_information.chunks WHERE hypertable_name = 'full'");
  expect(chunks.rows[0].n).toBeGreaterThanOrEqual(4);
  expect((await db.sql.query("SELECT count(*)::int AS n FROM metrics.full")).rows[0].n).toBe(481);
});

test("a missing table is a clear error", async () => {
  await expect(create({ table: "nope", timeColumn: "at" })).rejects.toThrow(/table metrics\.nope does not exist: declare it with a Table resource/);
});

test.each([
  ["a view", "CREATE VIEW metrics.a_view AS SELECT now() AS at FROM generate_series(1, 3)", "a_view", /^Hypertable metrics\.a_view: table: metrics\.a_view is a view, not a table: TimescaleDB makes hypertables of tables only\. Name a table/],
  ["a materialized view", "CREATE MATERIALIZED VIEW metrics.a_matview AS SELECT now() AS at", "a_matview", /^Hypertable metrics\.a_matview: table: metrics\.a_matview is a materialized view, not a table/],
  ["a partitioned table", "CREATE TABLE metrics.a_parted (at timestamptz NOT NULL) PARTITION BY RANGE (at)", "a_parted", /^Hypertable metrics\.a_parted: table: metrics\.a_parted is a partitioned table, not a table: TimescaleDB cannot partition a natively partitioned table/],
])("a relation that is %s is refused naming the table property, not with a row count", async (_label, ddl, table, error) => {
  await db.sql.query(ddl);
  const failure = await create({ table, timeColumn: "at" }).then(() => undefined, (e: Error) => e);
  expect(failure?.message).toMatch(error);
  expect(failure?.message).not.toMatch(/holds \d+ row/);
});

test("a database without TimescaleDB gets a named error, not a catalog error", async () => {
  const name = `${db.url.split("/").pop()}_plain`;
  await db.sql.query(`CREATE DATABASE "${name}"`);
  try {
    const url = new URL(db.url);
    url.pathname = `/${name}`;
    const inputs = (await provider.check!({}, { connection: { url: url.toString() }, schema: "public", table: "t", timeColumn: "at" })).inputs;
    await expect(provider.create(inputs)).rejects.toThrow(/Hypertable public\.t: the TimescaleDB extension is not installed in this database: run CREATE EXTENSION timescaledb/);
  } finally {
    await db.sql.query(`DROP DATABASE "${name}" WITH (FORCE)`);
  }
});

test.each([
  ["1 month", "30 days"],
  ["1 year", "360 days"],
  ["36 hours", "1 day 12:00:00"],
  ["1 week", "7 days"],
])("chunkInterval %j is compared as TimescaleDB stores it (%s): a second apply runs nothing", async (declared, stored) => {
  const table = `iv_${stored.replace(/\W+/g, "_")}`;
  await db.sql.query(`CREATE TABLE metrics.${table} (at timestamptz NOT NULL)`);
  const { id, outs } = await create({ table, timeColumn: "at", chunkInterval: declared });
  expect(outs.observed.chunkInterval).toBe(stored);
  expect((await dimensions(db.sql, table))[0].interval).toBe(stored);
  const again = await provider.update!(id, outs, (await provider.check!(outs, outs)).inputs);
  expect(again.outs.appliedSql).toEqual([]);
  expect((await provider.read!(id, outs)).props).toEqual(outs);
});

test("replacing the time column of a hypertable with rows, as the engine does it (delete, then create), keeps every row", async () => {
  await db.sql.query(`CREATE TABLE metrics.swap (at timestamptz NOT NULL, at2 timestamptz NOT NULL, v int);
                      INSERT INTO metrics.swap SELECT t, t + interval '1 hour', 1 FROM generate_series(now() - interval '3 days', now(), interval '1 day') t`);
  const { id, outs } = await create({ table: "swap", timeColumn: "at", migrateData: true });
  const news = (await provider.check!(outs, { ...outs, timeColumn: "at2", allowHazards: ["data-loss"] })).inputs;
  expect(await provider.diff!(id, outs, news)).toMatchObject({ replaces: ["timeColumn"], deleteBeforeReplace: true });
  await provider.delete!(id, { ...outs, allowHazards: ["data-loss"] });
  await provider.create(news);
  expect(await dimensions(db.sql, "swap")).toEqual([{ column_name: "at2", dimension_type: "Time", interval: "7 days", num_partitions: null }]);
  expect((await db.sql.query("SELECT count(*)::int AS n FROM metrics.swap")).rows[0].n).toBe(4);
});

test("turning a hypertable back into a plain table carries over comment, grants, row security, policies, indexes and triggers", async () => {
  await db.sql.query(`
    CREATE ROLE carried_reader;
    CREATE TABLE metrics.carried (at timestamptz NOT NULL, device text NOT NULL, v int);
    COMMENT ON TABLE metrics.carried IS 'kept';
    GRANT SELECT, INSERT ON metrics.carried TO carried_reader;
    CREATE INDEX carried_device_idx ON metrics.carried (device, at DESC);
    ALTER TABLE metrics.carried ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_device ON metrics.carried FOR SELECT TO carried_reader USING (device = current_user);
    CREATE FUNCTION metrics.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER carried_touch BEFORE INSERT ON metrics.carried FOR EACH ROW EXECUTE FUNCTION metrics.touch();`);
  const describe = async () =>
    (
      await db.sql.query(`
        SELECT obj_description(c.oid, 'pg_class') AS comment, c.relacl::text AS acl, c.relrowsecurity AS rls,
               (SELECT array_agg(polname || ':' || pg_get_expr(polqual, polrelid) ORDER BY polname) FROM pg_policy WHERE polrelid = c.oid) AS policies,
               (SELECT array_agg(pg_get_indexdef(indexrelid) ORDER BY 1) FROM pg_index WHERE indrelid = c.oid) AS indexes,
               (SELECT array_agg(tgname::text ORDER BY tgname) FROM pg_trigger WHERE tgrelid = c.oid AND NOT tgisinternal) AS triggers
          FROM pg_class c WHERE c.oid = 'metrics.carried'::regclass`)
    ).rows[0];
  const before = await describe();
  const { id, outs } = await create({ table: "carried", timeColumn: "at" });
  await provider.delete!(id, outs);
  expect(await dimensions(db.sql, "carried")).toEqual([]);
  const after = await describe();
  expect(after).toEqual({ ...before, indexes: [...before.indexes, "CREATE INDEX carried_at_idx ON metrics.carried USING btree (at DESC)"].sort() });
  expect(after.triggers).toEqual(["carried_touch"]);
});

test("turning an empty hypertable back into a plain table (no hazard) keeps column grants, storage parameters, statistics targets, column storage and compression, column options and extended statistics", async () => {
  await db.sql.query(`
    CREATE ROLE column_reader;
    CREATE TABLE metrics.tuned (at timestamptz NOT NULL, device text NOT NULL, note text, v int);
    GRANT SELECT (device, v), UPDATE (note) ON metrics.tuned TO column_reader;
    ALTER TABLE metrics.tuned SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.05, toast.autovacuum_enabled = false);
    ALTER TABLE metrics.tuned ALTER COLUMN device SET STATISTICS 500, ALTER COLUMN v SET (n_distinct = -0.5),
                              ALTER COLUMN note SET STORAGE EXTERNAL, ALTER COLUMN note SET COMPRESSION pglz;
    CREATE STATISTICS metrics.tuned_device_v (ndistinct, dependencies) ON device, v FROM metrics.tuned;
    ALTER STATISTICS metrics.tuned_device_v SET STATISTICS 300;`);
  const settings = async () =>
    (
      await db.sql.query(`
        SELECT c.reloptions, t.reloptions AS toast_options,
               (SELECT json_agg(json_build_object('name', attname, 'acl', attacl::text, 'statistics', attstattarget, 'options', attoptions,
                                                  'storage', attstorage, 'compression', attcompression) ORDER BY attnum)
                  FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns,
               (SELECT json_agg(json_build_object('name', stxname, 'def', pg_get_statisticsobjdef(oid), 'target', stxstattarget) ORDER BY stxname)
                  FROM pg_statistic_ext WHERE stxrelid = c.oid) AS statistics
          FROM pg_class c LEFT JOIN pg_class t ON t.oid = c.reltoastrelid WHERE c.oid = 'metrics.tuned'::regclass`)
    ).rows[0];
  const before = await settings();
  const { id, outs } = await create({ table: "tuned", timeColumn: "at" });
  await provider.delete!(id, outs);
  expect(await dimensions(db.sql, "tuned")).toEqual([]);
  expect(await settings()).toEqual(before);
});

test("the Table of a hypertable refuses, before any SQL, a key without the time column, a partitioning column's type change and NOT NULL over NULLs", async () => {
  const tables = providerFor(tableKind);
  const base = {
    connection: connection(), schema: "metrics", name: "guarded",
    columns: [{ name: "at", type: "timestamptz", nullable: false }, { name: "device", type: "text", nullable: false }, { name: "v", type: "int" }],
  };
  const { id, outs } = await tables.create((await tables.check!({}, base)).inputs);
  await create({ table: "guarded", timeColumn: "at", hashDimension: { column: "device", partitions: 2 } });
  await db.sql.query("INSERT INTO metrics.guarded VALUES (now(), 'a', NULL)");
  const update = async (s: object) => tables.update!(id, outs, (await tables.check!(outs, { ...base, ...s })).inputs);
  await expect(update({ uniqueConstraints: [{ name: "guarded_v_key", columns: ["v", "at"] }] })).rejects.toThrow(/constraint guarded_v_key \(v, at\) of metrics\.guarded does not include partitioning column "device"/);
  await expect(update({ columns: [base.columns[0], { name: "device", type: "varchar(20)", nullable: false }, base.columns[2]] })).rejects.toThrow(/"device" partitions hypertable metrics\.guarded/);
  await expect(update({ columns: [...base.columns.slice(0, 2), { name: "v", type: "int", nullable: false }] })).rejects.toThrow(/some rows hold NULL in "v"/);
  expect((await db.sql.query("SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'metrics.guarded'::regclass")).rows[0].n).toBe(0);
});

test("a change of the hypertable's Table (a column added) is no change of the hypertable: check → diff reports none", async () => {
  await db.sql.query("CREATE TABLE metrics.grows (at timestamptz NOT NULL, v int)");
  const declaredTable = (columns: string[]) => ({ columns: columns.map((name) => ({ name, nullable: name !== "v" && name !== "w" ? false : true })), keys: [] });
  const base = { table: "grows", timeColumn: "at", declaredTable: declaredTable(["at", "v"]) };
  const { id, outs } = await create(base);
  const news = (await provider.check!(outs, { connection: connection(), schema: "metrics", ...base, declaredTable: declaredTable(["at", "v", "w"]) })).inputs;
  expect(await provider.diff!(id, outs, news)).toMatchObject({ changes: false, replaces: [] });
  // The declared table is still checked: a time column it does not declare fails at check.
  const bad = await provider.check!(outs, { connection: connection(), schema: "metrics", ...base, declaredTable: declaredTable(["v"]) });
  expect(bad.failures).toEqual([{ property: "timeColumn", reason: expect.stringMatching(/declares no column "at"/) }]);
});
