/**
 * The Pulumi program: this stack's config → the application database.
 * `pulumi up -s dev` / `-s prod` converge the database to this model.
 */
import { loadStackConfig } from "./config";
import { stackDatabase } from "./database";
import { applicationDatabase } from "./model";

const cfg = loadStackConfig();
const db = applicationDatabase(cfg, stackDatabase(cfg).connection);

export const tables = [db.eventStore, db.memoryTierMetrics, db.biometricEvents, db.keyMappings].map((t) => t.id);
export const hypertables = [db.eventStoreHypertable, db.memoryTierHypertable, db.biometricHypertable].map((h) => h.id);
