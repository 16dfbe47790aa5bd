/**
 * The `dev` stack end to end: the stacks/ program is captured under mocks in a
 * plain Node process, and its resources are driven through the Pulumi SDK's
 * real dynamic-provider host in the engine's call order, against a real
 * database. Every step is asserted against the catalogs.
 */
import * as path from "path";
import { CapturedResource, captureProgram, engineOrder, PropertyMap, REPO_ROOT } from "../support/capture-client";
import { FakeEngine } from "../support/fake-engine";
import { ProviderHost } from "../support/provider-host";
import { Client } from "pg";
import { testAdminUrl } from "../support/database";
import { createRoles } from "../support/roles";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let host: ProviderHost;
/** The engine the host is told about (its first argument), recording the Log calls the provider makes. */
let engine: FakeEngine;
/** pg_cron's database on the test server, where the partition sets' jobs live. */
let cron: Client;
let resources: CapturedResource[];
const state = new Map<string, { id: string; inputs: PropertyMap; outputs: PropertyMap }>();
const started = Date.now();

const config = (url: string) => ({
  "pgstrata:databaseUrl": url,
  "pgstrata:eventsChunkInterval": "1 day",
  "pgstrata:metricsChunkInterval": "1 day",
  "pgstrata:metricsHashPartitions": "2",
  "pgstrata:biometricChunkInterval": "1 day",
  "pgstrata:biometricCompressAfter": "1 day",
  "pgstrata:biometricRetention": "14 days",
  "pgstrata:metricsCompressAfter": "1 day",
  "pgstrata:metricsRetention": "7 days",
});

beforeAll(async () => {
  db = await scratchDatabase("e2e_dev");
  // The roles stacks/access.ts declares with @pulumi/postgresql (its plugin cannot run here), which the policies name.
  await createRoles(db.sql);
  const cfg = config(db.url);
  const captured = await captureProgram({ program: path.join(REPO_ROOT, "stacks", "index.ts"), project: "pgstrata", stack: "dev", config: cfg, secretKeys: ["pgstrata:databaseUrl"] });
  resources = engineOrder(captured);
  cron = new Client({ connectionString: testAdminUrl() });
  await cron.connect();
  engine = await FakeEngine.start();
  host = await ProviderHost.start({ cwd: REPO_ROOT, project: "pgstrata", config: cfg, secretKeys: ["pgstrata:databaseUrl"], engineAddress: engine.address });
});

afterAll(async () => {
  if (host) {
    const reads = host.timings.filter((t) => t.method === "read").map((t) => t.ms).sort((a, b) => a - b);
    process.stderr.write(
      `\n[e2e dev stack] ${resources.length} resources, ${((Date.now() - started) / 1000).toFixed(1)} s in all; host cold start ${host.startupMs.toFixed(0)} ms; ` +
        `read p50 ${reads[Math.floor(reads.length / 2)]?.toFixed(1)} ms over ${reads.length} reads\n`,
    );
    await host.stop();
  }
  await cron?.end();
  await db?.close();
  await engine?.stop();
});

const q = async (sql: string, params: unknown[] = []) => (await db.sql.query(sql, params)).rows;
const dynamic = (type: string) => resources.filter((r) => r.type === `pulumi-nodejs:dynamic/pgstrata:${type}`);

test("the program declares the model's resources, with the connection secret and the provider serialized", () => {
  const names = (type: string) => dynamic(type).map((r) => r.name).sort();
  expect(names("Schema")).toEqual(["analytics", "app", "biometric", "encrypted", "events", "ml", "ops"]);
  expect(names("Table")).toEqual([
    "analytics.memory_tier_metrics", "app.accounts", "app.documents", "biometric.biometric_events", "encrypted.key_mappings", "events.event_store", "ml.task_embeddings", "ml.task_executions", "ml.tasks",
    "ops.audit_logs", "ops.system_metrics",
  ]);
  expect(names("Hypertable")).toEqual(["analytics.memory_tier_metrics", "biometric.biometric_events", "events.event_store"]);
  expect(names("Partition")).toEqual(["ml.task_executions_2025"]);
  expect(names("PartitionSet")).toEqual(["ml.task_executions", "ops.audit_logs", "ops.system_metrics"]);
  expect(names("RetentionPolicy")).toEqual(["analytics.memory_tier_metrics", "biometric.biometric_events"]);
  expect(names("ContinuousAggregate")).toEqual(["biometric.user_metrics_5min", "biometric.user_metrics_hourly"]);
  expect(names("Policy")).toEqual(["app.accounts.tenant_isolation", "app.documents.tenant_isolation", "events.event_store.tenant_isolation", "ops.audit_logs.tenant_isolation", "ops.system_metrics.tenant_isolation"]);
  expect(resources).toHaveLength(38);
  expect(names("Index")).toEqual(["events.event_store_payload_idx", "events.event_store_stream_idx", "ml.task_embeddings_hnsw_idx", "ml.task_embeddings_ivfflat_idx"]);
  for (const r of resources) {
    expect(r.secretInputs).toContain("connection");
    expect(typeof r.inputs.__provider).toBe("string");
    expect(r.inputs.__provider).not.toContain(db.url);
  }
});

test("first pass: Check → Create for every resource in dependency order", async () => {
  for (const r of resources) {
    const checked = await host.check(r.urn, {}, r.inputs);
    expect(checked.failures).toEqual([]);
    const created = await host.create(r.urn, checked.inputs);
    state.set(r.urn, { id: created.id, inputs: checked.inputs, outputs: created.properties });
  }
  expect((await q("SELECT nspname FROM pg_namespace WHERE nspname IN ('events', 'analytics', 'encrypted', 'biometric') ORDER BY 1")).map((r) => r.nspname)).toEqual([
    "analytics", "biometric", "encrypted", "events",
  ]);
  expect(await q("SELECT hypertable_schema || '.' || hypertable_name AS h, num_dimensions FROM timescaledb_information.hypertables ORDER BY 1")).toEqual([
    { h: "analytics.memory_tier_metrics", num_dimensions: 2 },
    { h: "biometric.biometric_events", num_dimensions: 1 },
    { h: "events.event_store", num_dimensions: 1 },
  ]);
  expect(await q("SELECT column_name, time_interval::text AS i, num_partitions FROM timescaledb_information.dimensions WHERE hypertable_name = 'memory_tier_metrics' ORDER BY dimension_number")).toEqual([
    { column_name: "time", i: "1 day", num_partitions: null },
    { column_name: "host", i: null, num_partitions: 2 },
  ]);
  expect(await q("SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'events.event_store'::regclass ORDER BY 1")).toEqual([
    { conname: "event_store_pkey", def: "PRIMARY KEY (event_id, occurred_at)" },
    { conname: "event_store_stream_version_key", def: "UNIQUE (stream_id, stream_version, occurred_at)" },
    { conname: "event_type_not_blank", def: "CHECK ((event_type <> ''::text))" },
    { conname: "stream_version_positive", def: "CHECK ((stream_version > 0))" },
  ]);
  expect(await q("SELECT format('%s.%s', relnamespace::regnamespace, relname) AS t, relforcerowsecurity AS forced FROM pg_class WHERE relrowsecurity ORDER BY 1")).toEqual(
    ["app.accounts", "app.documents", "events.event_store", "ops.audit_logs", "ops.system_metrics"].map((t) => ({ t, forced: true })),
  );
  expect(await q("SELECT polrelid::regclass::text AS t, polname, polcmd, ARRAY(SELECT pg_get_userbyid(r)::text FROM unnest(polroles) r ORDER BY 1) AS roles, pg_get_expr(polqual, polrelid) AS using FROM pg_policy ORDER BY 1")).toEqual(
    ["app.accounts", "app.documents", "events.event_store", "ops.audit_logs", "ops.system_metrics"].map((t) => ({
      t, polname: "tenant_isolation", polcmd: "*", roles: ["app_readonly", "app_user"], using: "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)",
    })),
  );
  expect(await q("SELECT conname, pg_get_constraintdef(oid) AS def, convalidated FROM pg_constraint WHERE conrelid = 'ml.task_embeddings'::regclass AND contype = 'f'")).toEqual([
    { conname: "task_embeddings_task_fk", def: "FOREIGN KEY (task_id) REFERENCES ml.tasks(id) ON DELETE CASCADE", convalidated: true },
  ]);
  expect(await q("SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN ('event_store_payload_idx', 'event_store_stream_idx', 'task_embeddings_hnsw_idx', 'task_embeddings_ivfflat_idx') ORDER BY 1")).toEqual([
    { indexname: "event_store_payload_idx", indexdef: "CREATE INDEX event_store_payload_idx ON events.event_store USING gin (payload jsonb_path_ops)" },
    { indexname: "event_store_stream_idx", indexdef: "CREATE INDEX event_store_stream_idx ON events.event_store USING btree (stream_id, stream_version) WITH (fillfactor='90')" },
    { indexname: "task_embeddings_hnsw_idx", indexdef: "CREATE INDEX task_embeddings_hnsw_idx ON ml.task_embeddings USING hnsw (embedding vector_cosine_ops) WITH (ef_construction='64', m='16')" },
    { indexname: "task_embeddings_ivfflat_idx", indexdef: "CREATE INDEX task_embeddings_ivfflat_idx ON ml.task_embeddings USING ivfflat (embedding) WITH (lists='100')" },
  ]);
  // The IVFFlat index was built on the empty table: the engine shows one warning, under the index's own URN (passed as __urn), and nothing else warns.
  const ivfflat = dynamic("Index").find((r) => r.name === "ml.task_embeddings_ivfflat_idx")!;
  expect(ivfflat.inputs.__urn).toBe(ivfflat.urn);
  expect(engine.logs.filter((l) => !l.ephemeral)).toEqual([
    { severity: 2, ephemeral: false, urn: ivfflat.urn, message: expect.stringMatching(/^Index ml\.task_embeddings_ivfflat_idx: IVFFlat index ml\.task_embeddings_ivfflat_idx is built on an empty table/) },
  ]);
  await q("INSERT INTO events.event_store (tenant_id, stream_id, stream_version, event_type) VALUES (gen_random_uuid(), gen_random_uuid(), 1, 'created')");
  await q("INSERT INTO ml.tasks (title) VALUES ('index the docs'); INSERT INTO ml.task_embeddings (task_id, embedding) SELECT id, array_fill(0.5, ARRAY[256])::vector FROM ml.tasks");

  // Partitioned tables, their declared partition and the partition sets kept six months ahead.
  expect(await q("SELECT c.oid::regclass::text AS t, pg_get_partkeydef(c.oid) AS k FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid ORDER BY 1")).toEqual([
    { t: "ml.task_executions", k: "RANGE (started_at)" },
    { t: "ops.audit_logs", k: "RANGE (occurred_at)" },
    { t: "ops.system_metrics", k: "RANGE (recorded_at)" },
  ]);
  expect(await q("SELECT pg_get_expr(relpartbound, oid) AS b FROM pg_class WHERE oid = 'ml.task_executions_2025'::regclass")).toEqual([
    { b: "FOR VALUES FROM ('2025-01-01 00:00:00+00') TO ('2026-01-01 00:00:00+00')" },
  ]);
  expect(await q("SELECT parent_table, partition_interval, premake, retention FROM partman.part_config ORDER BY 1")).toEqual([
    { parent_table: "ml.task_executions", partition_interval: "1 mon", premake: 6, retention: null },
    { parent_table: "ops.audit_logs", partition_interval: "1 mon", premake: 6, retention: "7 years" },
    { parent_table: "ops.system_metrics", partition_interval: "1 mon", premake: 6, retention: "1 year 1 mon" },
  ]);
  const landed = await q(`INSERT INTO ops.system_metrics (tenant_id, host, metric, value, recorded_at) SELECT gen_random_uuid(), 'h', 'cpu', 1, date_trunc('month', now()) + make_interval(months => m) + interval '1 day'
                            FROM generate_series(0, 6) m RETURNING tableoid::regclass::text AS p`);
  expect(new Set(landed.map((r) => r.p)).size).toBe(7);
  expect(landed.map((r) => r.p)).not.toContain("ops.system_metrics_default");
  const jobs = await cron.query("SELECT jobname, schedule FROM cron.job WHERE database = $1 ORDER BY 1", [new URL(db.url).pathname.slice(1)]);
  expect(jobs.rows.map((j) => `${j.jobname.split(".").slice(1).join(".")} ${j.schedule}`)).toEqual(["ml.task_executions @hourly", "ops.audit_logs @hourly", "ops.system_metrics @hourly"]);
  // Compression, retention and both continuous aggregates with their refresh policies, as the dev stack declares them.
  expect(await q(
    `SELECT s.hypertable::text AS h, segmentby, orderby FROM timescaledb_information.hypertable_columnstore_settings s
       JOIN timescaledb_information.hypertables h ON format('%I.%I', h.hypertable_schema, h.hypertable_name)::regclass = s.hypertable
      WHERE h.compression_enabled ORDER BY 1`,
  )).toEqual([
    { h: "analytics.memory_tier_metrics", segmentby: "host,tier", orderby: '"time" DESC' },
    { h: "biometric.biometric_events", segmentby: "subject_id", orderby: "recorded_at DESC" },
  ]);
  expect(await q(
    `SELECT hypertable_schema || '.' || hypertable_name AS on, proc_name AS proc, config - 'hypertable_id' - 'mat_hypertable_id' AS config, scheduled
       FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL ORDER BY 1, 2`,
  )).toEqual([
    { on: "analytics.memory_tier_metrics", proc: "policy_compression", config: { compress_after: "1 day" }, scheduled: true },
    { on: "analytics.memory_tier_metrics", proc: "policy_retention", config: { drop_after: "7 days" }, scheduled: true },
    { on: "biometric.biometric_events", proc: "policy_compression", config: { compress_after: "1 day" }, scheduled: true },
    { on: "biometric.biometric_events", proc: "policy_retention", config: { drop_after: "14 days" }, scheduled: true },
    { on: "biometric.user_metrics_5min", proc: "policy_refresh_continuous_aggregate", config: { start_offset: "1 day", end_offset: "00:05:00" }, scheduled: true },
    { on: "biometric.user_metrics_hourly", proc: "policy_compression", config: { compress_after: "30 days" }, scheduled: true },
    { on: "biometric.user_metrics_hourly", proc: "policy_refresh_continuous_aggregate", config: { start_offset: "3 days", end_offset: "01:00:00" }, scheduled: true },
  ]);
  expect(await q(
    `SELECT ca.view_name, ca.materialization_hypertable_name IS NOT NULL AS materialized, ca.compression_enabled AS compressed, s.segmentby, s.orderby
       FROM timescaledb_information.continuous_aggregates ca
       LEFT JOIN timescaledb_information.hypertable_columnstore_settings s ON s.hypertable = format('%I.%I', ca.materialization_hypertable_schema, ca.materialization_hypertable_name)::regclass
      ORDER BY 1`,
  )).toEqual([
    { view_name: "user_metrics_5min", materialized: true, compressed: false, segmentby: null, orderby: null },
    { view_name: "user_metrics_hourly", materialized: true, compressed: true, segmentby: "subject_id,sensor", orderby: "bucket DESC" },
  ]);
  // Every policy's job is reported with its last run on the resource's `jobs` output.
  const hourly = state.get(dynamic("ContinuousAggregate").find((r) => r.name === "biometric.user_metrics_hourly")!.urn)!;
  expect((hourly.outputs.jobs as { proc: string }[]).map((j) => j.proc).sort()).toEqual(["policy_compression", "policy_refresh_continuous_aggregate"]);
  const retention = state.get(dynamic("RetentionPolicy").find((r) => r.name === "biometric.biometric_events")!.urn)!;
  expect(retention.outputs.jobs).toEqual([expect.objectContaining({ proc: "policy_retention", scheduled: true, lastRunStatus: null, totalFailures: 0 })]);
  // A chunk made after the index was declared carries it (TimescaleDB copies a hypertable's indexes to new chunks).
  expect(await q("SELECT count(*)::int AS n FROM pg_indexes WHERE schemaname = '_timescaledb_internal' AND indexname LIKE '%event_store_payload_idx'")).toEqual([{ n: 1 }]);
});

test("second pass: Check → Diff reports no changes for any resource", async () => {
  for (const r of resources) {
    const s = state.get(r.urn)!;
    const checked = await host.check(r.urn, s.inputs, r.inputs);
    const diff = await host.diff(s.id, r.urn, s.outputs, checked.inputs);
    expect({ name: r.name, ...diff }).toEqual({ name: r.name, changes: false, replaces: [], deleteBeforeReplace: false });
  }
});

test("refresh: Read reports nothing when nothing changed", async () => {
  for (const r of resources) {
    const s = state.get(r.urn)!;
    const read = await host.read(s.id, r.urn, s.outputs, s.inputs);
    expect(read.id).toBe(s.id);
    expect(read.properties).toEqual(s.outputs);
  }
});

test("out-of-band change: Read shows exactly the drift (a paused job too), Diff → Update converges", async () => {
  await q("SELECT set_chunk_time_interval('events.event_store', interval '6 hours')");
  await q("SELECT alter_job(job_id, scheduled => false) FROM timescaledb_information.jobs WHERE hypertable_name = 'biometric_events' AND proc_name = 'policy_retention'");
  await q("ALTER TABLE encrypted.key_mappings ALTER COLUMN algorithm SET DEFAULT 'rot13'");
  await cron.query("SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE '% ' || $1", [`${new URL(db.url).pathname.slice(1)}.ops.audit_logs`]);
  await q("ALTER TABLE ml.task_embeddings DROP CONSTRAINT task_embeddings_task_fk");
  await q("ALTER POLICY tenant_isolation ON app.accounts TO app_user");
  await q("ALTER INDEX ml.task_embeddings_hnsw_idx SET (m = 32)");
  const drifted = new Map<string, string[]>();
  for (const r of resources) {
    const s = state.get(r.urn)!;
    const read = await host.read(s.id, r.urn, s.outputs, s.inputs);
    const changed = Object.keys({ ...s.outputs, ...read.properties }).filter((k) => !["observed", "__provider", "jobs"].includes(k) && JSON.stringify(read.properties[k]) !== JSON.stringify(s.outputs[k]));
    if (changed.length > 0) drifted.set(`${r.type.split(":").pop()} ${r.name}`, changed);
    s.outputs = read.properties;
  }
  expect(Object.fromEntries(drifted)).toEqual({
    "Hypertable events.event_store": ["chunkInterval"],
    "RetentionPolicy biometric.biometric_events": ["scheduled"],
    "Table encrypted.key_mappings": ["columns"],
    "PartitionSet ops.audit_logs": ["maintenance"],
    "Table ml.task_embeddings": ["foreignKeys"],
    "Policy app.accounts.tenant_isolation": ["roles"],
    "Index ml.task_embeddings_hnsw_idx": ["with"],
  });
  const keyMappings = state.get(dynamic("Table").find((r) => r.name === "encrypted.key_mappings")!.urn)!;
  const algorithm = (keyMappings.outputs.columns as PropertyMap[]).find((c) => c.name === "algorithm");
  expect(algorithm).toMatchObject({ default: "'rot13'::text" });

  for (const r of resources) {
    const s = state.get(r.urn)!;
    const checked = await host.check(r.urn, s.inputs, r.inputs);
    const diff = await host.diff(s.id, r.urn, s.outputs, checked.inputs);
    expect(diff.replaces).toEqual([]);
    if (!diff.changes) continue;
    s.outputs = (await host.update(s.id, r.urn, s.outputs, checked.inputs)).properties;
    // The table holds a row: the foreign key comes back the online way.
    if (r.name === "ml.task_embeddings") {
      expect(s.outputs.appliedSql).toEqual([
        `ALTER TABLE "ml"."task_embeddings" ADD CONSTRAINT "task_embeddings_task_fk" FOREIGN KEY ("task_id") REFERENCES "ml"."tasks" ("id") ON DELETE CASCADE NOT VALID`,
        `ALTER TABLE "ml"."task_embeddings" VALIDATE CONSTRAINT "task_embeddings_task_fk"`,
      ]);
    }
  }
  expect(await q("SELECT time_interval::text AS i FROM timescaledb_information.dimensions WHERE hypertable_name = 'event_store'")).toEqual([{ i: "1 day" }]);
  expect(await q("SELECT scheduled FROM timescaledb_information.jobs WHERE hypertable_name = 'biometric_events' AND proc_name = 'policy_retention'")).toEqual([{ scheduled: true }]);
  expect(await q("SELECT pg_get_expr(adbin, adrelid) AS d FROM pg_attrdef WHERE adrelid = 'encrypted.key_mappings'::regclass AND adnum = 3")).toEqual([{ d: "'aes-256-gcm'::text" }]);
  expect((await cron.query("SELECT schedule, active FROM cron.job WHERE jobname LIKE '% ' || $1", [`${new URL(db.url).pathname.slice(1)}.ops.audit_logs`])).rows).toEqual([{ schedule: "@hourly", active: true }]);
  expect(await q("SELECT reloptions FROM pg_class WHERE oid = 'ml.task_embeddings_hnsw_idx'::regclass")).toEqual([{ reloptions: ["ef_construction=64", "m=16"] }]);
  for (const r of resources) {
    const s = state.get(r.urn)!;
    expect((await host.read(s.id, r.urn, s.outputs, s.inputs)).properties).toEqual(s.outputs);
  }
});

test("destroy: Delete in reverse order refuses to drop rows, then removes everything once allowed", async () => {
  const eventStore = dynamic("Hypertable").find((r) => r.name === "events.event_store")!;
  const s = state.get(eventStore.urn)!;
  await expect(host.delete(s.id, eventStore.urn, s.outputs)).rejects.toThrow(/\[data-loss\] turning events\.event_store back into a plain table copies its 1 row/);
  await q("DELETE FROM events.event_store; DELETE FROM ops.system_metrics");
  await q("DELETE FROM ml.tasks"); // ON DELETE CASCADE empties ml.task_embeddings
  expect(await q("SELECT count(*)::int AS n FROM ml.task_embeddings")).toEqual([{ n: 0 }]);
  for (const r of [...resources].reverse()) {
    const s = state.get(r.urn)!;
    await host.delete(s.id, r.urn, s.outputs);
  }
  expect(await q("SELECT nspname FROM pg_namespace WHERE nspname IN ('events', 'analytics', 'encrypted', 'biometric', 'app', 'ops', 'ml')")).toEqual([]);
  expect(await q("SELECT count(*)::int AS n FROM pg_policy")).toEqual([{ n: 0 }]);
  expect(await q("SELECT count(*)::int AS n FROM timescaledb_information.hypertables")).toEqual([{ n: 0 }]);
  expect(await q("SELECT count(*)::int AS n FROM partman.part_config")).toEqual([{ n: 0 }]);
  expect((await cron.query("SELECT count(*)::int AS n FROM cron.job WHERE database = $1", [new URL(db.url).pathname.slice(1)])).rows).toEqual([{ n: 0 }]);
  expect(await q("SELECT count(*)::int AS n FROM timescaledb_information.continuous_aggregates")).toEqual([{ n: 0 }]);
  expect(await q("SELECT count(*)::int AS n FROM timescaledb_information.jobs WHERE hypertable_name IS NOT NULL")).toEqual([{ n: 0 }]);
});
