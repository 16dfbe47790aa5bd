import * as pulumi from "@pulumi/pulumi";
import { Connection, ContinuousAggregate, Hypertable, Index, IndexArgs, Partition, PartitionSet, RetentionPolicy, requireRowLevelSecurity, Schema, Table, TableArgs } from "pgstrata";
import { databaseAccess } from "./access";
import { StackConfig } from "./config";
import { TENANT_COLUMN, TENANT_ROW_SECURITY, tenantPolicy } from "./tenancy";

/** Schemas whose every table must be a tenant table: row security enabled and forced, and a policy (`requireRowLevelSecurity`). */
export const TENANT_SCHEMAS = ["app", "ops"];

/**
 * The application database: eight schemas, an event store, two time-series
 * hypertables with compression and retention, two continuous aggregates of
 * the biometric readings (5 minutes, and hourly built on it), a key-mapping
 * table, three tables partitioned by month whose partitions pg_partman keeps
 * six months ahead, tasks with their embeddings (joined by a foreign key),
 * and the tenant tables of `app`; the roles, grants and extensions
 * (stacks/access.ts, `@pulumi/postgresql`); a tenant policy on every tenant
 * table (`app`, `ops`, `events.event_store`), and the rule that no table of
 * `app` or `ops` goes without one. Shared by every stack; stacks differ only
 * by config (chunk intervals, partitions, when to compress, how long to keep,
 * the database).
 */
export function applicationDatabase(cfg: StackConfig, connection: pulumi.Output<Connection>) {
  const access = databaseAccess(connection);
  const schema = (name: string, comment: string) => new Schema(name, { connection, name, comment });
  const schemas = {
    app: schema("app", "Tenant data: every table carries tenant_id, under row-level security"),
    events: schema("events", "Event sourcing: append-only event streams"),
    analytics: schema("analytics", "Operational metrics"),
    encrypted: schema("encrypted", "Key material for envelope encryption"),
    biometric: schema("biometric", "Sensor readings per subject"),
    ops: schema("ops", "Operations: system metrics and the audit trail"),
    ml: schema("ml", "Machine-learning pipeline runs and embeddings for semantic search"),
  };
  /** A table in one of the schemas above, named `<schema>.<name>` in the stack. */
  const table = (schema: keyof typeof schemas, name: string, args: Omit<TableArgs, "connection" | "schema" | "name">) =>
    new Table(`${schema}.${name}`, { connection, schema, name, ...args }, { dependsOn: [schemas[schema]] });

  const eventStore = table("events", "event_store", {
    columns: [
      { name: "event_id", type: "uuid", nullable: false, default: "gen_random_uuid()" },
      TENANT_COLUMN,
      { name: "stream_id", type: "uuid", nullable: false },
      { name: "stream_version", type: "bigint", nullable: false },
      { name: "event_type", type: "text", nullable: false },
      { name: "payload", type: "jsonb", nullable: false, default: "'{}'::jsonb" },
      { name: "metadata", type: "jsonb" },
      { name: "occurred_at", type: "timestamptz", nullable: false, default: "now()" },
    ],
    // A hypertable's keys must include its time column (TimescaleDB docs, "Hypertables and unique indexes").
    primaryKey: { columns: ["event_id", "occurred_at"] },
    uniqueConstraints: [{ name: "event_store_stream_version_key", columns: ["stream_id", "stream_version", "occurred_at"] }],
    checkConstraints: [
      { name: "event_type_not_blank", expression: "event_type <> ''" },
      { name: "stream_version_positive", expression: "stream_version > 0" },
    ],
    comment: "Append-only event log, one row per event",
    // A hypertable: pgstrata revokes the privileges TimescaleDB copies to its chunks (README, "Row-level security"); no compression (TimescaleDB refuses it with RLS).
    rowLevelSecurity: TENANT_ROW_SECURITY,
  });
  const timescaledb = { dependsOn: [access.extensions.timescaledb] };
  const eventStoreHypertable = new Hypertable("events.event_store", { connection, table: eventStore, timeColumn: "occurred_at", chunkInterval: cfg.eventsChunkInterval }, timescaledb);

  const memoryTierMetrics = table("analytics", "memory_tier_metrics", {
    columns: [
      { name: "time", type: "timestamptz", nullable: false },
      { name: "host", type: "text", nullable: false },
      { name: "tier", type: "text", nullable: false },
      { name: "bytes_used", type: "bigint", nullable: false, default: "0" },
      { name: "hit_ratio", type: "double precision" },
      { name: "evictions", type: "bigint", nullable: false, default: "0" },
    ],
    primaryKey: { columns: ["host", "tier", "time"] },
    checkConstraints: [
      { name: "tier_known", expression: "tier IN ('l1', 'l2', 'l3', 'dram', 'nvme')" },
      { name: "hit_ratio_fraction", expression: "hit_ratio BETWEEN 0 AND 1" },
    ],
  });
  const memoryTierHypertable = new Hypertable("analytics.memory_tier_metrics", {
    connection,
    table: memoryTierMetrics,
    timeColumn: "time",
    chunkInterval: cfg.metricsChunkInterval,
    hashDimension: { column: "host", partitions: cfg.metricsHashPartitions },
    compression: { segmentBy: ["host", "tier"], orderBy: [{ column: "time", order: "DESC" }] },
    columnstorePolicy: { after: cfg.metricsCompressAfter },
  }, timescaledb);
  const memoryTierRetention = new RetentionPolicy("analytics.memory_tier_metrics", { connection, hypertable: memoryTierHypertable, dropAfter: cfg.metricsRetention });

  const biometricEvents = table("biometric", "biometric_events", {
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      { name: "subject_id", type: "uuid", nullable: false },
      { name: "sensor", type: "text", nullable: false },
      { name: "reading", type: "double precision", nullable: false },
      { name: "recorded_at", type: "timestamptz", nullable: false },
    ],
    primaryKey: { columns: ["id", "recorded_at"] },
  });
  const biometricHypertable = new Hypertable("biometric.biometric_events", {
    connection,
    table: biometricEvents,
    timeColumn: "recorded_at",
    chunkInterval: cfg.biometricChunkInterval,
    compression: { segmentBy: ["subject_id"], orderBy: [{ column: "recorded_at", order: "DESC" }] },
    columnstorePolicy: { after: cfg.biometricCompressAfter },
  }, timescaledb);
  const biometricRetention = new RetentionPolicy("biometric.biometric_events", { connection, hypertable: biometricHypertable, dropAfter: cfg.biometricRetention });
  // Per subject and sensor: 5-minute statistics, and hourly ones rolled up from them (a continuous aggregate on a continuous aggregate).
  const userMetrics5min = new ContinuousAggregate("biometric.user_metrics_5min", {
    connection,
    source: biometricHypertable,
    schema: "biometric",
    name: "user_metrics_5min",
    query: `SELECT time_bucket('5 minutes', recorded_at) AS bucket, subject_id, sensor,
                   count(*) AS samples, sum(reading) AS reading_sum, min(reading) AS reading_min, max(reading) AS reading_max
              FROM biometric.biometric_events GROUP BY 1, 2, 3`,
    refreshPolicy: { startOffset: "1 day", endOffset: "5 minutes", scheduleInterval: "5 minutes" },
  });
  const userMetricsHourly = new ContinuousAggregate("biometric.user_metrics_hourly", {
    connection,
    schema: "biometric",
    name: "user_metrics_hourly",
    query: `SELECT time_bucket('1 hour', bucket) AS bucket, subject_id, sensor,
                   sum(samples) AS samples, sum(reading_sum) / sum(samples) AS reading_avg, min(reading_min) AS reading_min, max(reading_max) AS reading_max
              FROM biometric.user_metrics_5min GROUP BY 1, 2, 3`,
    refreshPolicy: { startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour" },
    // The hourly rollup outlives the raw events (retention): kept compressed per subject and sensor once no refresh touches it.
    compression: { segmentBy: ["subject_id", "sensor"], orderBy: [{ column: "bucket", order: "DESC" }] },
    columnstorePolicy: { after: "30 days" },
  }, { dependsOn: [userMetrics5min] });

  const keyMappings = table("encrypted", "key_mappings", {
    columns: [
      { name: "key_id", type: "uuid", default: "gen_random_uuid()" },
      { name: "subject_id", type: "uuid", nullable: false },
      { name: "algorithm", type: "text", nullable: false, default: "'aes-256-gcm'" },
      { name: "wrapped_key", type: "bytea", nullable: false },
      { name: "created_at", type: "timestamptz", nullable: false, default: "now()" },
      { name: "rotated_at", type: "timestamptz" },
    ],
    primaryKey: { columns: ["key_id"] },
    uniqueConstraints: [{ name: "key_mappings_subject_algorithm_key", columns: ["subject_id", "algorithm"] }],
    checkConstraints: [{ name: "rotated_after_created", expression: "rotated_at IS NULL OR rotated_at >= created_at" }],
    comment: "Wrapped data keys per subject",
  });

  /** Monthly partitions kept six months ahead by pg_partman, maintained hourly by pg_cron. */
  const monthly = (table: Table, control: string, retention?: string) =>
    new PartitionSet(`${table.declared.schema}.${table.declared.name}`, { connection, parent: table, control, interval: "1 month", premake: 6, retention, maintenance: { schedule: "@hourly" } });

  // Partitioned tables: every key includes the partition column (PostgreSQL requires it).
  const systemMetrics = table("ops", "system_metrics", {
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      TENANT_COLUMN,
      { name: "host", type: "text", nullable: false },
      { name: "metric", type: "text", nullable: false },
      { name: "value", type: "double precision", nullable: false },
      { name: "recorded_at", type: "timestamptz", nullable: false, default: "now()" },
    ],
    primaryKey: { columns: ["id", "recorded_at"] },
    partitionBy: { strategy: "range", keys: ["recorded_at"] },
    rowLevelSecurity: TENANT_ROW_SECURITY,
  });
  const systemMetricsPartitions = monthly(systemMetrics, "recorded_at", cfg.systemMetricsRetention);

  const auditLogs = table("ops", "audit_logs", {
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      TENANT_COLUMN,
      { name: "actor", type: "text", nullable: false },
      { name: "action", type: "text", nullable: false },
      { name: "target", type: "text" },
      { name: "details", type: "jsonb", nullable: false, default: "'{}'::jsonb" },
      { name: "occurred_at", type: "timestamptz", nullable: false, default: "now()" },
    ],
    primaryKey: { columns: ["id", "occurred_at"] },
    partitionBy: { strategy: "range", keys: ["occurred_at"] },
    comment: "Who did what, when; kept per stack config (auditLogRetention)",
    rowLevelSecurity: TENANT_ROW_SECURITY,
  });
  const auditLogPartitions = monthly(auditLogs, "occurred_at", cfg.auditLogRetention);

  const taskExecutions = table("ml", "task_executions", {
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      { name: "task_name", type: "text", nullable: false },
      { name: "status", type: "text", nullable: false },
      { name: "started_at", type: "timestamptz", nullable: false },
      { name: "finished_at", type: "timestamptz" },
    ],
    primaryKey: { columns: ["id", "started_at"] },
    checkConstraints: [{ name: "status_known", expression: "status IN ('queued', 'running', 'succeeded', 'failed')" }],
    partitionBy: { strategy: "range", keys: ["started_at"] },
  });
  // Runs imported from the previous scheduler: one declared partition for 2025; pg_partman's monthly ones start in 2026.
  const taskExecutionsArchive = new Partition("ml.task_executions_2025", { connection, parent: taskExecutions, name: "task_executions_2025", bound: { from: "2025-01-01", to: "2026-01-01" } });
  const taskExecutionPartitions = new PartitionSet("ml.task_executions", {
    connection, parent: taskExecutions, control: "started_at", interval: "1 month", premake: 6, startPartition: "2026-01-01", maintenance: { schedule: "@hourly" },
  }, { dependsOn: [taskExecutionsArchive] });

  const tasks = table("ml", "tasks", {
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      { name: "title", type: "text", nullable: false },
      { name: "created_at", type: "timestamptz", nullable: false, default: "now()" },
    ],
    primaryKey: { columns: ["id"] },
    checkConstraints: [{ name: "title_not_blank", expression: "title <> ''" }],
    comment: "Tasks to embed",
  });
  const taskEmbeddings = table("ml", "task_embeddings", {
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      { name: "task_id", type: "bigint", nullable: false },
      { name: "embedding", type: "vector(256)", nullable: false },
      { name: "created_at", type: "timestamptz", nullable: false, default: "now()" },
    ],
    primaryKey: { columns: ["id"] },
    // Passing the Table: the embeddings table depends on it, and check verifies that (id) is a key of ml.tasks.
    foreignKeys: [{ name: "task_embeddings_task_fk", columns: ["task_id"], references: { table: tasks, columns: ["id"] }, onDelete: "cascade" }],
    comment: "One embedding per task, for nearest-neighbour search",
  });


  const accounts = table("app", "accounts", {
    columns: [
      { name: "id", type: "uuid", default: "gen_random_uuid()" },
      TENANT_COLUMN,
      { name: "email", type: "text", nullable: false },
      { name: "created_at", type: "timestamptz", nullable: false, default: "now()" },
    ],
    primaryKey: { columns: ["id"] },
    uniqueConstraints: [{ name: "accounts_tenant_email_key", columns: ["tenant_id", "email"] }],
    rowLevelSecurity: TENANT_ROW_SECURITY,
  });
  const documents = table("app", "documents", {
    columns: [
      { name: "id", type: "bigint", identity: "always" },
      TENANT_COLUMN,
      { name: "title", type: "text", nullable: false },
      { name: "body", type: "text", nullable: false, default: "''" },
      { name: "updated_at", type: "timestamptz", nullable: false, default: "now()" },
    ],
    primaryKey: { columns: ["id"] },
    rowLevelSecurity: TENANT_ROW_SECURITY,
  });

  const tenantTables = [accounts, documents, systemMetrics, auditLogs, eventStore];
  const policies = tenantTables.map((t) => tenantPolicy(connection, t, [access.roles.app.name, access.roles.readonly.name]));
  const grants = [...access.grantTables("app", [accounts, documents]), ...access.grantTables("ops", [systemMetrics, auditLogs]), ...access.grantTables("events", [eventStore])];
  const tables = [eventStore, memoryTierMetrics, biometricEvents, keyMappings, systemMetrics, auditLogs, taskExecutions, tasks, taskEmbeddings, accounts, documents];
  const rowLevelSecurity = requireRowLevelSecurity({ schemas: TENANT_SCHEMAS }, { tables, policies });
  /** An index of one of the tables above, named `<schema>.<index>` in the stack, built after the table (and its hypertable, so chunks get it too). */
  const index = (schema: keyof typeof schemas, table: Table, after: pulumi.Resource[], name: string, args: Omit<IndexArgs, "connection" | "table" | "name">) =>
    new Index(`${schema}.${name}`, { connection, table, name, ...args }, { dependsOn: after });

  const eventStoreIndexes = [
    // Containment queries on the payload (payload @> '{"type": …}'): jsonb_path_ops is smaller and faster than the default jsonb_ops for @>.
    index("events", eventStore, [eventStoreHypertable], "event_store_payload_idx", { method: "gin", keys: [{ column: "payload", opclass: "jsonb_path_ops" }] }),
    // Reading one stream in order (WHERE stream_id = $1 ORDER BY stream_version).
    index("events", eventStore, [eventStoreHypertable], "event_store_stream_idx", { keys: [{ column: "stream_id" }, { column: "stream_version" }] }),
  ];
  // Nearest-neighbour search; m, ef_construction and lists differ by stack (config embeddings*).
  const taskEmbeddingIndexes = [
    index("ml", taskEmbeddings, [], "task_embeddings_hnsw_idx", {
      method: "hnsw",
      keys: [{ column: "embedding", opclass: "vector_cosine_ops" }],
      with: { m: cfg.embeddingsHnswM, ef_construction: cfg.embeddingsHnswEfConstruction },
      build: { maintenanceWorkMem: "512MB" },
      comment: "Cosine nearest neighbours (ORDER BY embedding <=> $1)",
    }),
    index("ml", taskEmbeddings, [], "task_embeddings_ivfflat_idx", {
      method: "ivfflat",
      keys: [{ column: "embedding", opclass: "vector_l2_ops" }],
      with: { lists: cfg.embeddingsIvfflatLists },
      comment: "L2 nearest neighbours (ORDER BY embedding <-> $1)",
    }),
  ];

  return {
    schemas, eventStore, eventStoreHypertable, memoryTierMetrics, memoryTierHypertable, memoryTierRetention,
    biometricEvents, biometricHypertable, biometricRetention, userMetrics5min, userMetricsHourly, keyMappings,
    systemMetrics, systemMetricsPartitions, auditLogs, auditLogPartitions, taskExecutions, taskExecutionsArchive, taskExecutionPartitions, tasks, taskEmbeddings,
    accounts, documents, tenantTables, policies, grants, access, rowLevelSecurity,
    eventStoreIndexes, taskEmbeddingIndexes,
  };
}
