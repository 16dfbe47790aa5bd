import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { interval } from "pgstrata";

/** Config namespace of this project: keys are written `pgstrata:<key>` in `Pulumi.<stack>.yaml`. */
const NAMESPACE = "pgstrata";

/**
 * The stack config schema. Every key is optional except the database, which
 * comes from the secret `databaseUrl` or, when unset, the `DATABASE_URL`
 * environment variable.
 *
 * | key | meaning | default |
 * |---|---|---|
 * | `database` | `url`: the database at `databaseUrl`; `docker`: the stack starts its own TimescaleDB container (stacks/database.ts) | `url` |
 * | `databaseUrl` (secret) | `postgres://user:password@host:5432/db`, with `database: url` | `$DATABASE_URL` |
 * | `dockerPort` | the port on 127.0.0.1 the container's PostgreSQL is published on, with `database: docker` (1024–65535) | `55432` |
 * | `eventsChunkInterval` | chunk interval of `events.event_store` | `1 day` |
 * | `metricsChunkInterval` | chunk interval of `analytics.memory_tier_metrics` | `7 days` |
 * | `metricsHashPartitions` | hash partitions of `analytics.memory_tier_metrics` by `host` (1–1024) | `4` |
 * | `biometricChunkInterval` | chunk interval of `biometric.biometric_events` | `1 day` |
 * | `systemMetricsRetention` | months of `ops.system_metrics` partitions kept (pg_partman retention) | `13 months` |
 * | `auditLogRetention` | months of `ops.audit_logs` partitions kept | `84 months` |
 * | `biometricCompressAfter` | `biometric.biometric_events` chunks older than this are compressed | `7 days` |
 * | `biometricRetention` | `biometric.biometric_events` chunks older than this are dropped | `180 days` |
 * | `metricsCompressAfter` | `analytics.memory_tier_metrics` chunks older than this are compressed | `7 days` |
 * | `metricsRetention` | `analytics.memory_tier_metrics` chunks older than this are dropped | `90 days` |
 * | `embeddingsHnswM` | HNSW `m` of `ml.task_embeddings`' cosine index (2–100) | `16` |
 * | `embeddingsHnswEfConstruction` | HNSW `ef_construction` of that index (4–1000, ≥ 2·m) | `64` |
 * | `embeddingsIvfflatLists` | IVFFlat `lists` of `ml.task_embeddings`' L2 index (1–32768; about rows/1000) | `100` |
 * | `lockTimeout` | `lock_timeout` of every DDL session, e.g. `5s` | `5s` |
 * | `statementTimeout` | `statement_timeout` of every session, e.g. `15min` | `15min` |
 */
function stackConfigSchema() {
  return z.strictObject({
    database: z.enum(["url", "docker"], { error: "use url (the database at databaseUrl) or docker (a TimescaleDB container this stack starts)" }).default("url"),
    dockerPort: z.coerce.number().int().min(1024).max(65535).default(55432),
    databaseUrl: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL").optional(),
    eventsChunkInterval: interval().default("1 day"),
    metricsChunkInterval: interval().default("7 days"),
    metricsHashPartitions: z.coerce.number().int().min(1).max(1024).default(4),
    biometricChunkInterval: interval().default("1 day"),
    systemMetricsRetention: interval().default("13 months"),
    auditLogRetention: interval().default("84 months"),
    biometricCompressAfter: interval().default("7 days"),
    biometricRetention: interval().default("180 days"),
    metricsCompressAfter: interval().default("7 days"),
    metricsRetention: interval().default("90 days"),
    // Ranges are pgvector's; ef_construction ≥ 2·m is checked by the Index resource at preview.
    embeddingsHnswM: z.coerce.number().int().min(2).max(100).default(16),
    embeddingsHnswEfConstruction: z.coerce.number().int().min(4).max(1000).default(64),
    embeddingsIvfflatLists: z.coerce.number().int().min(1).max(32768).default(100),
    lockTimeout: z.string().regex(/^\d+\s*(ms|s|min|h)?$/, "write a duration such as '5s' or '500ms'").optional(),
    statementTimeout: z.string().regex(/^\d+\s*(ms|s|min|h)?$/, "write a duration such as '15min' or '1h'").optional(),
  });
}

export type StackConfig = z.output<ReturnType<typeof stackConfigSchema>> & {
  /** With `database: url`: the database URL, from `databaseUrl` or `$DATABASE_URL`. */
  url?: string;
};

/**
 * Reads and validates this stack's `pgstrata:*` config. Throws one error that
 * names every bad key, what is wrong and how to fix it: unknown keys (typos),
 * malformed values, no database at all. A `databaseUrl` with `database: docker`
 * is ignored with a warning.
 */
export function loadStackConfig(stack = pulumi.getStack()): StackConfig {
  const raw = Object.fromEntries(
    Object.entries(pulumi.runtime.allConfig())
      .filter(([k]) => k.startsWith(`${NAMESPACE}:`))
      .map(([k, v]) => [k.slice(NAMESPACE.length + 1), v]),
  );
  const parsed = stackConfigSchema().safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((i) =>
        i.code === "unrecognized_keys"
          ? `${i.keys.map((k) => `${NAMESPACE}:${k}`).join(", ")}: unknown key; known keys are ${Object.keys(stackConfigSchema().shape).map((k) => `${NAMESPACE}:${k}`).join(", ")}`
          : `${NAMESPACE}:${i.path.join(".")}: ${i.message}`,
      );
  const key = `${NAMESPACE}:databaseUrl`;
  const docker = parsed.success && parsed.data.database === "docker";
  const url = docker ? undefined : (raw.databaseUrl ?? process.env.DATABASE_URL);
  if (docker && raw.databaseUrl !== undefined) pulumi.log.warn(`${key} is ignored: ${NAMESPACE}:database is docker, so the stack uses its own container`);
  if (!docker && url === undefined) problems.push(`${key}: no database: run \`pulumi config set --secret databaseUrl <url> -s ${stack}\`, set DATABASE_URL, or set ${NAMESPACE}:database to docker`);
  if (problems.length > 0 || !parsed.success) {
    throw new Error(`stack ${stack}: invalid config:\n  ${problems.join("\n  ")}`);
  }
  return { ...parsed.data, url };
}
