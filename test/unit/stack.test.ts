/**
 * The stacks/ program under pulumi.runtime.setMocks: what each stack declares,
 * and how bad stack config fails. No database, no provider host.
 */
import { readFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../../resources/core/provider";
import { ContinuousAggregate, Hypertable, Table } from "pgstrata";
import { continuousAggregateKind } from "../../resources/continuous-aggregate/kind";
import { hypertableKind } from "../../resources/hypertable/kind";
import { tableKind } from "../../resources/table/kind";
import { loadStackConfig, StackConfig } from "../../stacks/config";
import { DEV_BASE_IMAGE, DEV_IMAGE, stackDatabase } from "../../stacks/database";
import { applicationDatabase } from "../../stacks/model";

/** The engine sends dynamic providers plain values (Configure answers acceptSecrets=false): unwrap the mocks' secret envelopes. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
function unwrapSecrets(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v && typeof v === "object" && SECRET_SIG in v ? (v as unknown as { value: unknown }).value : v]));
}

type Registered = { type: string; name: string; inputs: Record<string, unknown> };
let registered: Registered[] = [];

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, inputs: unwrapSecrets(args.inputs) });
        const generated =
          args.type === "random:index/randomPassword:RandomPassword" ? { result: "generated-password" } : args.type === "docker:index/image:Image" ? { repoDigest: "sha256:built-dev-image" } : {};
        return { id: `${args.name}_id`, state: { ...args.inputs, ...generated } };
      },
      call: () => ({}),
    },
    "pgstrata",
    "dev",
  ),
);

function withConfig(config: Record<string, string>) {
  pulumi.runtime.setAllConfig(config, ["pgstrata:databaseUrl"]);
  registered = [];
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
/** The program as stacks/index.ts runs it: config → database → model. */
const program = (stack: string) => {
  const cfg: StackConfig = loadStackConfig(stack);
  return applicationDatabase(cfg, stackDatabase(cfg, stack).connection);
};
const inputsOf = (type: string, name: string) => registered.find((r) => r.type === `pulumi-nodejs:dynamic/pgstrata:${type}` && r.name === name)!.inputs;

test("dev and prod stacks differ only by config: chunk intervals, partitions and vector index parameters come from it", async () => {
  for (const [stack, config] of [
    ["dev", { "pgstrata:eventsChunkInterval": "1 day", "pgstrata:metricsHashPartitions": "2", "pgstrata:systemMetricsRetention": "3 months", "pgstrata:auditLogRetention": "6 months", "pgstrata:embeddingsHnswM": "8", "pgstrata:embeddingsHnswEfConstruction": "32", "pgstrata:embeddingsIvfflatLists": "10" }],
    ["prod", { "pgstrata:eventsChunkInterval": "7 days", "pgstrata:metricsHashPartitions": "8", "pgstrata:systemMetricsRetention": "13 months", "pgstrata:auditLogRetention": "84 months", "pgstrata:embeddingsHnswM": "24", "pgstrata:embeddingsHnswEfConstruction": "128", "pgstrata:embeddingsIvfflatLists": "1000" }],
  ] as const) {
    withConfig({ "pgstrata:databaseUrl": "postgres://app@db:5432/app", ...config });
    program(stack);
    await settle();
    expect(registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/pgstrata:"))).toHaveLength(38);
    expect(inputsOf("Index", "ml.task_embeddings_hnsw_idx")).toMatchObject({
      schema: "ml", table: "task_embeddings", method: "hnsw", keys: [{ column: "embedding", opclass: "vector_cosine_ops" }],
      with: { m: Number(config["pgstrata:embeddingsHnswM"]), ef_construction: Number(config["pgstrata:embeddingsHnswEfConstruction"]) },
      declaredTable: { columns: expect.arrayContaining([{ name: "embedding", type: "vector(256)" }]) },
    });
    expect(inputsOf("Index", "ml.task_embeddings_ivfflat_idx")).toMatchObject({ method: "ivfflat", with: { lists: Number(config["pgstrata:embeddingsIvfflatLists"]) } });
    expect(inputsOf("Hypertable", "events.event_store")).toMatchObject({ schema: "events", table: "event_store", timeColumn: "occurred_at", chunkInterval: config["pgstrata:eventsChunkInterval"] });
    expect(inputsOf("Hypertable", "analytics.memory_tier_metrics")).toMatchObject({ hashDimension: { column: "host", partitions: Number(config["pgstrata:metricsHashPartitions"]) } });
    expect(inputsOf("Table", "encrypted.key_mappings")).toMatchObject({ schema: "encrypted", name: "key_mappings" });
    expect(inputsOf("PartitionSet", "ops.system_metrics")).toMatchObject({ parent: "system_metrics", control: "recorded_at", premake: 6, retention: config["pgstrata:systemMetricsRetention"], declaredParent: { strategy: "range", keys: ["recorded_at"] } });
    expect(inputsOf("PartitionSet", "ops.audit_logs")).toMatchObject({ parent: "audit_logs", control: "occurred_at", premake: 6, retention: config["pgstrata:auditLogRetention"] });
    expect(inputsOf("PartitionSet", "ml.task_executions")).toMatchObject({ parent: "task_executions", control: "started_at", premake: 6 });
  }
});

test("a hypertable over a Table of the program carries the table's declared keys, so check can judge them", async () => {
  withConfig({ "pgstrata:databaseUrl": "postgres://app@db:5432/app" });
  program("dev");
  await settle();
  expect(inputsOf("Hypertable", "biometric.biometric_events").declaredTable).toEqual({
    columns: [
      { name: "id", nullable: false, type: "bigint" },
      { name: "subject_id", nullable: false, type: "uuid" },
      { name: "sensor", nullable: false, type: "text" },
      { name: "reading", nullable: false, type: "double precision" },
      { name: "recorded_at", nullable: false, type: "timestamp with time zone" },
    ],
    keys: [{ name: "biometric_events_pkey", columns: ["id", "recorded_at"] }],
    rowLevelSecurity: false,
  });
  expect(inputsOf("Hypertable", "events.event_store").declaredTable).toMatchObject({ rowLevelSecurity: true });
  expect(inputsOf("ContinuousAggregate", "biometric.user_metrics_5min").declaredSource).toEqual({ schema: "biometric", table: "biometric_events", rowLevelSecurity: false });
});

test("a foreign key to a Table of the program carries the referenced table's declared keys, and check judges them", async () => {
  withConfig({ "pgstrata:databaseUrl": "postgres://app@db:5432/app" });
  program("dev");
  await settle();
  const [fk] = inputsOf("Table", "ml.task_embeddings").foreignKeys as Record<string, unknown>[];
  expect(fk).toEqual({
    name: "task_embeddings_task_fk",
    columns: ["task_id"],
    references: {
      table: { schema: "ml", name: "tasks" },
      columns: ["id"],
      declaredTable: {
        columns: [{ name: "id", nullable: false, type: "bigint" }, { name: "title", nullable: false, type: "text" }, { name: "created_at", nullable: false, type: "timestamp with time zone" }],
        keys: [{ name: "tasks_pkey", columns: ["id"] }],
        rowLevelSecurity: false,
      },
    },
    onDelete: "cascade",
  });
  const provider = providerFor(tableKind);
  const inputs = inputsOf("Table", "ml.task_embeddings");
  expect((await provider.check!({}, inputs)).failures).toBeUndefined();
  const notAKey = { ...inputs, foreignKeys: [{ ...fk, references: { ...(fk.references as object), columns: ["created_at"] } }] };
  expect((await provider.check!({}, notAKey)).failures).toEqual([
    { property: "foreignKeys[0].references.columns", reason: expect.stringMatching(/^\(created_at\) is not a PRIMARY KEY or UNIQUE constraint of ml\.tasks \(its keys are \(id\)\)/) },
  ]);
});

test("a Table whose primary key lacks the time column is rejected at check of its Hypertable, naming the constraint and the fix", async () => {
  withConfig({});
  const connection = { url: "postgres://app@db:5432/app" };
  const table = new Table("bad", { connection, schema: "app", name: "bad", columns: [{ name: "id", type: "bigint" }, { name: "at", type: "timestamptz", nullable: false }], primaryKey: { columns: ["id"] } });
  new Hypertable("bad", { connection, table, timeColumn: "at" });
  await settle();
  const inputs = inputsOf("Hypertable", "bad");
  const { failures } = await providerFor(hypertableKind).check!({}, inputs);
  expect(failures).toEqual([
    { property: "timeColumn", reason: expect.stringMatching(/constraint bad_pkey \(id\) of app\.bad does not include partitioning column "at".*Add "at" to the constraint's columns/) },
  ]);
});

test("a Table whose time column is a date is rejected at check of its Hypertable when the chunk interval is part of a day", async () => {
  withConfig({});
  const connection = { url: "postgres://app@db:5432/app" };
  const table = new Table("daily", { connection, schema: "app", name: "daily", columns: [{ name: "day", type: "DATE", nullable: false }, { name: "total", type: "bigint" }] });
  new Hypertable("daily", { connection, table, timeColumn: "day", chunkInterval: "12 hours" });
  await settle();
  const { failures } = await providerFor(hypertableKind).check!({}, inputsOf("Hypertable", "daily"));
  expect(failures).toEqual([{ property: "chunkInterval", reason: expect.stringMatching(/^chunkInterval "12 hours" is not a whole number of days, and the time column "day" of app\.daily is of type date.*use whole days, e\.g\. '1 day'/) }]);
});

test("a continuous aggregate whose source Hypertable is over a Table with row-level security is rejected at check, naming both", async () => {
  withConfig({});
  const connection = { url: "postgres://app@db:5432/app" };
  const columns = [{ name: "tenant_id", type: "uuid", nullable: false }, { name: "at", type: "timestamptz", nullable: false }, { name: "v", type: "double precision" }];
  const query = "SELECT time_bucket('1 hour', at) AS bucket, avg(v) FROM app.readings GROUP BY 1";
  const secured = new Table("readings", { connection, schema: "app", name: "readings", columns, rowLevelSecurity: { enabled: true } });
  new ContinuousAggregate("hourly", { connection, source: new Hypertable("readings", { connection, table: secured, timeColumn: "at" }), schema: "app", name: "hourly", query });
  const open = new Table("open", { connection, schema: "app", name: "open", columns });
  new ContinuousAggregate("open_hourly", { connection, source: new Hypertable("open", { connection, table: open, timeColumn: "at" }), schema: "app", name: "open_hourly", query: query.replace("app.readings", "app.open") });
  await settle();
  const provider = providerFor(continuousAggregateKind);
  expect(inputsOf("ContinuousAggregate", "hourly").declaredSource).toEqual({ schema: "app", table: "readings", rowLevelSecurity: true });
  expect((await provider.check!({}, inputsOf("ContinuousAggregate", "hourly"))).failures).toEqual([
    { property: "source", reason: expect.stringMatching(/^continuous aggregate app\.hourly and rowLevelSecurity of Table app\.readings cannot both be declared on app\.readings: TimescaleDB refuses .*Choose one/) },
  ]);
  const checked = await provider.check!({}, inputsOf("ContinuousAggregate", "open_hourly"));
  expect(checked.failures).toBeUndefined();
  expect(checked.inputs).not.toHaveProperty("declaredSource");
});

test("bad stack config fails with one error naming every bad key", () => {
  withConfig({ "pgstrata:eventsChunkInterval": "7 dayz", "pgstrata:metricsHashPartitions": "0", "pgstrata:chunkIntervall": "1 day" });
  const env = process.env.DATABASE_URL;
  delete process.env.DATABASE_URL;
  try {
    const message = (() => {
      try {
        loadStackConfig("dev");
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error("loadStackConfig accepted bad config");
    })();
    expect(message.split("\n")[0]).toBe("stack dev: invalid config:");
    expect(message).toContain("pgstrata:chunkIntervall: unknown key; known keys are pgstrata:database, pgstrata:dockerPort, pgstrata:databaseUrl, pgstrata:eventsChunkInterval,");
    expect(message).toContain(`pgstrata:eventsChunkInterval: "7 dayz" is not an interval (unknown unit 'dayz'): write e.g. '7 days'`);
    expect(message).toMatch(/pgstrata:metricsHashPartitions: .*>=1/);
    expect(message).toContain("pgstrata:databaseUrl: no database: run `pulumi config set --secret databaseUrl <url> -s dev`, set DATABASE_URL, or set pgstrata:database to docker");
  } finally {
    if (env !== undefined) process.env.DATABASE_URL = env;
  }
});

test("dev starts its own TimescaleDB container: image with pg_partman, pg_cron preloaded, named volume, health check, bound to 127.0.0.1, generated secret password", async () => {
  withConfig({ "pgstrata:database": "docker", "pgstrata:dockerPort": "55433" });
  program("dev");
  await settle();
  const container = registered.find((r) => r.type === "docker:index/container:Container")!;
  expect(container.name).toBe("dev-db");
  expect(container.inputs).toMatchObject({
    name: "pgstrata-dev-db",
    image: "sha256:built-dev-image",
    command: ["postgres", "-c", "shared_preload_libraries=timescaledb,pg_cron", "-c", "cron.database_name=postgres"],
    envs: ["POSTGRES_PASSWORD=generated-password"],
    ports: [{ internal: 5432, external: 55433, ip: "127.0.0.1" }],
    volumes: [{ volumeName: "pgstrata-dev-data", containerPath: "/home/postgres/pgdata" }],
    healthcheck: { tests: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U postgres"] },
    wait: true,
  });
  // The base image ships pg_cron and pgvector but not pg_partman, which the partition sets need: the stack builds it in, never pushes.
  expect(registered.find((r) => r.type === "docker:index/image:Image")!.inputs).toMatchObject({
    imageName: DEV_IMAGE,
    build: { context: "stacks/dev-database", args: { BASE_IMAGE: DEV_BASE_IMAGE } },
    skipPush: true,
  });
  const dockerfile = readFileSync("stacks/dev-database/Dockerfile", "utf8");
  expect(dockerfile).toMatch(/^FROM \$\{BASE_IMAGE\}$/m);
  expect(dockerfile).toMatch(/apt-get install .*postgresql-17-partman/);
  expect(registered.find((r) => r.type === "random:index/randomPassword:RandomPassword")!.inputs).toMatchObject({ length: 32 });
  const dynamic = registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/pgstrata:"));
  expect(dynamic).toHaveLength(38);
  for (const r of dynamic) {
    expect(r.inputs.connection).toEqual({ host: "127.0.0.1", port: 55433, database: "postgres", user: "postgres", password: "generated-password", sslmode: "disable" });
  }
});

test("prod has no container: every resource connects to the secret databaseUrl", async () => {
  withConfig({ "pgstrata:database": "url", "pgstrata:databaseUrl": "postgres://app@prod-db:5432/app", "pgstrata:lockTimeout": "3s" });
  program("prod");
  await settle();
  // no container, image, volume or database password; roles, grants and extensions come from @pulumi/postgresql (stacks/access.ts)
  expect(registered.filter((r) => r.type.startsWith("docker:") || r.name === "prod-db-password")).toEqual([]);
  const dynamic = registered.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
  expect(dynamic).toHaveLength(38);
  for (const r of dynamic) expect(r.inputs.connection).toEqual({ url: "postgres://app@prod-db:5432/app", lockTimeout: "3s" });
});

test("the database config is validated, naming the key", () => {
  withConfig({ "pgstrata:database": "podman" });
  expect(() => loadStackConfig("dev")).toThrow(/pgstrata:database: use url \(the database at databaseUrl\) or docker/);
});
