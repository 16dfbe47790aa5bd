import { PartitionSetFacts, SetContext } from "../../resources/partition-set/observe";
import { planPartitionSet } from "../../resources/partition-set/plan";
import { partitionSetSpec } from "../../resources/partition-set/spec";

const context: SetContext = { partman: "partman", database: "app", cronDatabase: "postgres", parentExists: true, strategy: "r", defaultPartition: "ops.m_default", controlType: "timestamp with time zone" };
const facts = (c: Partial<SetContext> = {}): PartitionSetFacts => ({ context: { ...context, ...c }, template: null, defaultRows: 0, expiring: [] });
const spec = (more: object = {}) => partitionSetSpec().parse({ schema: "ops", parent: "m", control: "at", interval: "1 mon", maintenance: { schedule: "@hourly" }, ...more });

test("creating runs create_parent, the configuration and one maintenance pass here, and schedules the job in pg_cron's database", () => {
  const steps = planPartitionSet(undefined, spec({ premake: 6, startPartition: "2026-01-01" }), facts());
  expect(steps.map((s) => [s.database ?? "app", s.sql])).toEqual([
    ["app", `SELECT "partman".create_parent(p_parent_table => 'ops.m', p_control => 'at', p_interval => '1 mon', p_premake => 6, p_start_partition => '2026-01-01', p_default_table => true)`],
    ["app", `UPDATE "partman".part_config SET premake = 6, retention = NULL, retention_keep_table = false, infinite_time_partitions = true WHERE parent_table = 'ops.m'`],
    ["app", `SELECT "partman".run_maintenance('ops.m')`],
    ["postgres", `SELECT cron.alter_job(cron.schedule_in_database('pgstrata partman app.ops.m', '@hourly', 'SELECT "partman".run_maintenance(''ops.m'')', 'app'), active => true)`],
  ]);
});

test("maintenance without pg_cron is refused before any SQL, naming pg_partman's background worker", () => {
  expect(() => planPartitionSet(undefined, spec(), facts({ cronDatabase: null }))).toThrow(
    /PartitionSet ops\.m: maintenance: pg_cron is not loaded on this server .* or remove maintenance and run pg_partman's background worker \(shared_preload_libraries = 'pg_partman_bgw', pg_partman_bgw\.dbname = 'app'/,
  );
});

test("a parent that is missing, or partitioned by list, is refused before any SQL", () => {
  expect(() => planPartitionSet(undefined, spec(), facts({ parentExists: false, strategy: null }))).toThrow(/parent: ops\.m does not exist; pg_partman sets need a range-partitioned parent/);
  expect(() => planPartitionSet(undefined, spec(), facts({ strategy: "l" }))).toThrow(/parent: ops\.m is not range-partitioned/);
});

test("an unknown cron schedule fails validation", () => {
  expect(partitionSetSpec().safeParse({ schema: "ops", parent: "m", control: "at", interval: "1 month", maintenance: { schedule: "hourly" } }).success).toBe(false);
});
