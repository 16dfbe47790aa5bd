import * as pulumi from "@pulumi/pulumi";
import { Connection, ContinuousAggregate, Hypertable, Partition, PartitionSet, RetentionPolicy, Schema, Table, TableArgs } from "pgstrata";
import { StackConfig } from "./config";

/**
 * The application database: six schemas, an event store, two time-series
 * hypertables with compression and retention, two continuous aggregates of
 * the biometric readings (5 minutes, and hourly built on it), a key-mapping
 * table, and three tables partitioned by month whose partitions pg_partman
 * keeps six months ahead. Shared by every stack; stacks differ only by config
 * (chunk intervals, partitions, when to compress, how long to keep, the
 * database).
 */
export function applicationDatabase(cfg: StackConfig, connection: pulumi.Output<Connection>) {
  const schema = (name: string, comment: string) => new Schema(name, { connection, name, comment });
  const schemas = {
    events: schema("events", "Event sourcing: append-only event streams"),
    analytics: schema("analytics", "Operational metrics"),
    encrypted: schema("encrypted", "Key material for envelope encryption"),
    biometric: schema("biometric", "Sensor readings per subject"),
    ops: schema("ops", "Operations: system metrics and the audit trail"),
    ml: schema("ml", "Machine-learning pipeline runs"),
  };
  /** A table in one of the schemas above, named `<schema>.<name>` in the stack. */
  const table = (schema: keyof typeof schemas, name: string, args: Omit<TableArgs, "connection" | "schema" | "name">) =>
    new Table(`${schema}.${name}`, { connection, schema, name, ...args }, { dependsOn: [schemas[schema]] });

  const eventStore = table("events", "event_store", {
    columns: [
      { name: "event_id", type: "uuid", nullable: false, default: "gen_random_uuid()" },
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
  });
  const eventStoreHypertable = new Hypertable("events.event_store", { connection, table: eventStore, timeColumn: "occurred_at", chunkInterval: cfg.eventsChunkInterval });

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
  });
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
  });
  const biometricRetention = new RetentionPolicy("biometric.biometric_events", { connection, hypertable: biometricHypertable, dropAfter: cfg.biometricRetention });
  // Per subject and sensor: 5-minute statistics, and hourly ones rolled up from them (a continuous aggregate on a continuous aggregate).
  const userMetrics5min = new ContinuousAggregate("biometric.user_metrics_5min", {
    connection,
    schema: "biometric",
    name: "user_metrics_5min",
    query: `SELECT time_bucket('5 minutes', recorded_at) AS bucket, subject_id, sensor,
                   count(*) AS samples, sum(reading) AS reading_sum, min(reading) AS reading_min, max(reading) AS reading_max
              FROM biometric.biometric_events GROUP BY 1, 2, 3`,
    refreshPolicy: { startOffset: "1 day", endOffset: "5 minutes", scheduleInterval: "5 minutes" },
  }, { dependsOn: [biometricHypertable] });
  const userMetricsHourly = new ContinuousAggregate("biometric.user_metrics_hourly", {
    connection,
    schema: "biometric",
    name: "user_metrics_hourly",
    query: `SELECT time_bucket('1 hour', bucket) AS bucket, subject_id, sensor,
                   sum(samples) AS samples, sum(reading_sum) / sum(samples) AS reading_avg, min(reading_min) AS reading_min, max(reading_max) AS reading_max
              FROM biometric.user_metrics_5min GROUP BY 1, 2, 3`,
    refreshPolicy: { startOffset: "3 days", endOffset: "1 hour", scheduleInterval: "1 hour" },
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

import { Connection, ContinuousAggregate, Hypertable, Partition, PartitionSet, RetentionPolicy, Schema, Table, TableArgs } from "pgstrata";
import { StackConfig } from "./config";

/**
 * The application database: six schemas, an event store, two time-series
 * hypertables with compression and retention, two continuous aggregates of
 * the biometric readings (5 minutes, and hourly built on it), a key-mapping
 * table, and three tables partitioned by month whose partitions pg_partman
 * keeps six months ahead. Shared by every stack; stacks differ only by config
 * (chunk intervals, partitions, when to compress, how long to keep, the
 * database).
}
