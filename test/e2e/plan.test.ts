/**
 * `npm run plan`: the stacks program's SQL plan against a real database, run
 * as users run it (a plain Node process, config from Pulumi.dev.yaml), for an
 * empty database, after `up`, and with a pending change; and proof that
 * planning changes nothing in the database.
 */
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { providers } from "pgstrata/dist/providers";
import { CapturedResource, captureProgram, REPO_ROOT } from "../support/capture-client";
import { nodeBinary } from "../support/provider-host";
import { createRoles } from "../support/roles";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let resources: CapturedResource[];

beforeAll(async () => {
  db = await scratchDatabase("plan");
  // The roles @pulumi/postgresql creates in the same `up` (stacks/access.ts), which the policies name.
  await createRoles(db.sql);
  // `pulumi up -s dev` with dev's own config, its database being the test database.
  const dev = parse(readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8")).config as Record<string, string>;
  const config = { ...dev, "pgstrata:database": "url", "pgstrata:databaseUrl": db.url };
  resources = await captureProgram({ program: path.join(REPO_ROOT, "stacks", "index.ts"), project: "pgstrata", stack: "dev", config });
});
afterAll(() => db?.close());

/** Runs `npm run plan -- --stack dev --format <format>` as CI does: dev's database is its own container, so the plan is pointed at the test database. */
function plan(format: string): { code: number | null; stdout: string; stderr: string } {
  const script = path.join(REPO_ROOT, "plan", "index.ts");
  const run = spawnSync(nodeBinary(REPO_ROOT), ["-r", "ts-node/register/transpile-only", script, "--stack", "dev", "--format", format], {
    cwd: REPO_ROOT,
    env: { ...process.env, PGSTRATA_PLAN_DATABASE_URL: db.url, PULUMI_NODEJS_PROJECT: "pgstrata", PULUMI_NODEJS_STACK: "dev" },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Everything a plan could leave behind: relations, namespaces, constraints, sequences' positions, hypertables, locks held. */
async function catalogSnapshot(): Promise<unknown> {
  const { rows } = await db.sql.query(`
    SELECT (SELECT json_agg(x ORDER BY x) FROM (SELECT c.relnamespace::regnamespace::text || '.' || c.relname || ':' || c.relkind::text AS x FROM pg_class c
              WHERE c.relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND c.relpersistence <> 't') s) AS relations,
           (SELECT json_agg(nspname ORDER BY nspname) FROM pg_namespace WHERE nspname NOT LIKE 'pg_temp%' AND nspname NOT LIKE 'pg_toast_temp%') AS namespaces,
           (SELECT json_agg(conname ORDER BY conname) FROM pg_constraint) AS constraints,
           (SELECT json_agg(last_value ORDER BY schemaname, sequencename) FROM pg_sequences) AS sequences,
           (SELECT count(*) FROM timescaledb_information.hypertables) AS hypertables`);
  return rows[0];
}

test("an empty database: the full plan, exit 2, and nothing changed", async () => {
  const before = await catalogSnapshot();
  const { code, stdout, stderr } = plan("text");
  expect({ code, stderr: stderr.replace(/^.*warning.*$/gm, "").trim() }).toEqual({ code: 2, stderr: "" });
  expect(stdout.split("\n")[0]).toBe("SQL plan of stack dev: 38 to create, 0 to update, 0 to replace, 0 unchanged");
  expect(stdout).toMatch(/\+ create PartitionSet ops\.system_metrics\n {4}-- planned as a create: objects it needs are created earlier in this plan\n {4}SELECT "partman"\.create_parent\(p_parent_table => 'ops\.system_metrics'/);
  expect(stdout).toContain('+ create Schema events\n    CREATE SCHEMA "events";\n    COMMENT ON SCHEMA "events" IS \'Event sourcing: append-only event streams\';');
  expect(stdout).toContain('+ create Table events.event_store\n    CREATE TABLE "events"."event_store" (');
  expect(stdout).toMatch(/\+ create Hypertable events\.event_store\n {4}-- planned as a create: objects it needs are created earlier in this plan\n {4}SELECT create_hypertable\('"events"\."event_store"'::regclass, by_range\('occurred_at', '1 day'::interval\), migrate_data => false\);/);
  expect(stdout).toContain(
    '+ create Index ml.task_embeddings_hnsw_idx\n    -- planned as a create: objects it needs are created earlier in this plan\n    CREATE INDEX "task_embeddings_hnsw_idx" ON "ml"."task_embeddings" USING hnsw ("embedding" "vector_cosine_ops") WITH ("ef_construction" = 64, "m" = 16);',
  );
  // The IVFFlat index would be built on the table the plan creates, empty: the plan says what `up` will warn of.
  expect(stdout).toMatch(
    /\+ create Index ml\.task_embeddings_ivfflat_idx\n {4}-- planned as a create: objects it needs are created earlier in this plan\n {4}-- \[note\] IVFFlat index ml\.task_embeddings_ivfflat_idx is built on an empty table: .*\n {4}CREATE INDEX "task_embeddings_ivfflat_idx"/,
  );
  expect(await catalogSnapshot()).toEqual(before);
});

test("after up: no changes, exit 0", async () => {
  for (const r of resources) {
    const provider = providers[r.type.split(":").pop()!];
    const checked = await provider.check!({}, r.inputs);
    await provider.create(checked.inputs);
  }
  const { code, stdout } = plan("markdown");
  expect({ code, stdout }).toEqual({ code: 0, stdout: "### pgstrata SQL plan: `dev`\n\n**0 to create, 0 to update, 0 to replace, 38 unchanged**\n\n" });
});

test("a pending change: the exact SQL, exit 2; a hazard the resource does not allow: exit 1", async () => {
  await db.sql.query("ALTER TABLE encrypted.key_mappings DROP CONSTRAINT rotated_after_created");
  const pending = plan("markdown");
  expect(pending.code).toBe(2);
  expect(pending.stdout).toContain(
    '#### `~ update Table encrypted.key_mappings`\n\n```sql\nALTER TABLE "encrypted"."key_mappings" ADD CONSTRAINT "rotated_after_created" CHECK (((rotated_at IS NULL) OR (rotated_at >= created_at)));\n```',
  );
  await db.sql.query("ALTER TABLE biometric.biometric_events ADD COLUMN note text; INSERT INTO biometric.biometric_events (subject_id, sensor, reading, recorded_at) VALUES (gen_random_uuid(), 'hr', 61, now())");
  const refused = plan("json");
  expect(refused.code).toBe(1);
  const report = JSON.parse(refused.stdout) as { exitCode: number; resources: { name: string; plan?: { action: string; steps: { sql: string }[]; refused: { kind: string; message: string }[] } }[] };
  expect(report.exitCode).toBe(1);
  const biometric = report.resources.find((r) => r.name === "biometric.biometric_events" && r.plan?.action === "update")!;
  expect(biometric.plan!.steps.map((s) => s.sql)).toEqual(['ALTER TABLE "biometric"."biometric_events" DROP COLUMN "note"']);
  expect(biometric.plan!.refused).toEqual([{ kind: "data-loss", message: 'dropping column "note" of biometric.biometric_events discards its values in 1 row' }]);
});
