import * as pulumi from "@pulumi/pulumi";
import { Connection, Hypertable, Schema, Table, TableArgs } from "pgstrata";
import { StackConfig } from "./config";

/**
 * The application database: four schemas, an event store, two time-series
 * hypertables and a key-mapping table. Shared by every stack; stacks differ
 * only by config (chunk intervals, partitions, the database).
 */
export function applicationDatabase(cfg: StackConfig, connection: pulumi.Output<Connection>) {
  const schema = (name: string, comment: string) => new Schema(name, { connection, name, comment });
  const schemas = {
    events: schema("events", "Event sourcing: append-only event streams"),
    analytics: schema("analytics", "Operational metrics"),
    encrypted: schema("encrypted", "Key material for envelope encryption"),
    biometric: schema("biometric", "Sensor readings per subject"),
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
  });

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
  const biometricHypertable = new Hypertable("biometric.biometric_events", { connection, table: biometricEvents, timeColumn: "recorded_at", chunkInterval: cfg.biometricChunkInterval });

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

  return { schemas, eventStore, eventStoreHypertable, memoryTierMetrics, memoryTierHypertable, biometricEvents, biometricHypertable, keyMappings };
}
