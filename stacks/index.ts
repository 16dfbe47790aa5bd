/**
 * The Pulumi program: this stack's config → the application database.
 * `pulumi up -s dev` / `-s prod` converge the database to this model.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config";
import { stackDatabase } from "./database";
import { applicationDatabase } from "./model";

const cfg = loadStackConfig();
const database = stackDatabase(cfg);
const db = applicationDatabase(cfg, database.connection);

/** The database's URL (a secret): `npm run plan` reads dev's container through it (`PGSTRATA_PLAN_DATABASE_URL`). */
export const databaseUrl = pulumi.secret(database.connection.apply((c) => c.url ?? `postgres://${c.user}:${c.password}@${c.host}:${c.port}/${c.database}`));

export const tables = [db.eventStore, db.memoryTierMetrics, db.biometricEvents, db.keyMappings, db.systemMetrics, db.auditLogs, db.taskExecutions, db.tasks, db.taskEmbeddings, db.accounts, db.documents].map((t) => t.id);
export const hypertables = [db.eventStoreHypertable, db.memoryTierHypertable, db.biometricHypertable].map((h) => h.id);
export const partitionSets = [db.systemMetricsPartitions, db.auditLogPartitions, db.taskExecutionPartitions].map((s) => s.id);
export const continuousAggregates = [db.userMetrics5min, db.userMetricsHourly].map((c) => c.id);
/** The tenant tables of `app` and `ops`; the program fails (and so does preview) when one lacks row security or a policy. */
export const rowLevelSecurity = db.rowLevelSecurity;
/** The application role's generated password (a secret): `pulumi stack output --show-secrets appUserPassword`. */
export const appUserPassword = db.access.roles.appPassword;
export const indexes = [...db.eventStoreIndexes, ...db.taskEmbeddingIndexes].map((i) => i.id);
