/**
 * Tenant isolation, proven on the real server with real roles: the stacks/
 * program is created through the Pulumi SDK's dynamic-provider host; the
 * roles and grants that `@pulumi/postgresql` declares (stacks/access.ts) are
 * created here with SQL (its plugin cannot run in this environment). Then, as
 * `app_user` with `SET app.tenant_id`, every tenant × command × tenant table
 * of the model, plus direct queries on every partition and chunk under row
 * security: no row of another tenant is seen, written, changed or deleted.
 */
import * as path from "path";
import { Client } from "pg";
import { CapturedResource, captureProgram, PropertyMap, REPO_ROOT } from "../support/capture-client";
import { ProviderHost } from "../support/provider-host";
import { createRoles, urlAs } from "../support/roles";
import { testAdminUrl } from "../support/database";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let host: ProviderHost;
let resources: CapturedResource[];
let app: Client;
const state = new Map<string, { id: string; inputs: PropertyMap; outputs: PropertyMap }>();
const TENANTS = ["11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", "33333333-3333-3333-3333-333333333333"];
const COMMANDS = ["select", "insert", "update", "delete"] as const;

/** A row of `table` for `tenant`, by table of the model; a tenant table without an entry fails the test (it must be covered). */
const ROW: Record<string, (tenant: string, n: number) => string> = {
  "app.accounts": (t, n) => `INSERT INTO app.accounts (tenant_id, email) VALUES ('${t}', 'user${n}@${t.slice(0, 4)}.example')`,
  "app.documents": (t, n) => `INSERT INTO app.documents (tenant_id, title) VALUES ('${t}', 'doc ${n}')`,
  "ops.system_metrics": (t, n) => `INSERT INTO ops.system_metrics (tenant_id, host, metric, value) VALUES ('${t}', 'host${n}', 'cpu', ${n})`,
  "ops.audit_logs": (t, n) => `INSERT INTO ops.audit_logs (tenant_id, actor, action) VALUES ('${t}', 'user${n}', 'login')`,
  "events.event_store": (t, n) =>
    `INSERT INTO events.event_store (tenant_id, stream_id, stream_version, event_type, occurred_at) VALUES ('${t}', gen_random_uuid(), 1, 'created', '2024-01-0${n + 1}T00:00:00Z'::timestamptz + interval '${TENANTS.indexOf(t)} days')`,
};

const q = async (sql: string, params: unknown[] = []) => (await db.sql.query(sql, params)).rows;
const config = (url: string) => ({ "pgstrata:databaseUrl": url, "pgstrata:eventsChunkInterval": "1 day" });

beforeAll(async () => {
  db = await scratchDatabase("e2e_isolation");
  await createRoles(db.sql);
  const cfg = config(db.url);
  const captured = await captureProgram({ program: path.join(REPO_ROOT, "stacks", "index.ts"), project: "pgstrata", stack: "dev", config: cfg, secretKeys: ["pgstrata:databaseUrl"] });
  const rank = (r: CapturedResource) => ["Schema", "Table", "Hypertable", "Partition", "PartitionSet", "Policy"].indexOf(r.type.split(":").pop()!);
  resources = captured.filter((r) => rank(r) >= 0).sort((a, b) => rank(a) - rank(b));
  host = await ProviderHost.start({ cwd: REPO_ROOT, project: "pgstrata", config: cfg, secretKeys: ["pgstrata:databaseUrl"] });
  for (const r of resources) {
    const checked = await host.check(r.urn, {}, r.inputs);
    expect(checked.failures).toEqual([]);
    const created = await host.create(r.urn, checked.inputs);
    state.set(r.urn, { id: created.id, inputs: checked.inputs, outputs: created.properties });
  }
  // The grants stacks/access.ts declares with @pulumi/postgresql, made with SQL.
  const tenantTables = "app.accounts, app.documents, ops.system_metrics, ops.audit_logs, events.event_store";
  await q(`GRANT CREATE, USAGE ON SCHEMA app, ops, events TO app_owner; GRANT USAGE ON SCHEMA app, ops, events TO app_user, app_readonly;
           GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ${tenantTables} TO app_owner;
           GRANT SELECT, INSERT, UPDATE, DELETE ON ${tenantTables} TO app_user;
           GRANT SELECT ON ${tenantTables} TO app_readonly`);
  // Seeded by the superuser (bypasses RLS): two rows per tenant and table; the event store's make chunks.
  for (const table of Object.keys(ROW)) for (const t of TENANTS) for (const n of [0, 1]) await q(ROW[table](t, n));
  app = new Client({ connectionString: urlAs(db.url, "app_user") });
  await app.connect();
});

afterAll(async () => {
  // the partition sets' pg_cron jobs live in pg_cron's database, not in this one
  const admin = new Client({ connectionString: testAdminUrl() });
  await admin.connect();
  await admin.query("SELECT cron.unschedule(jobid) FROM cron.job WHERE database = $1", [new URL(db.url).pathname.slice(1)]).finally(() => admin.end());
  await app?.end();
  await host?.stop();
  await db?.close();
});

/** The model's tables with row security enabled, `schema.name`, as the catalogs say. */
const rlsTables = async () => (await q("SELECT format('%s.%s', relnamespace::regnamespace, relname) AS t FROM pg_class WHERE relrowsecurity AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY 1")).map((r) => r.t as string);
const chunksOf = async (table: string) =>
  (await q("SELECT format('%I.%I', chunk_schema, chunk_name) AS c FROM timescaledb_information.chunks WHERE format('%s.%s', hypertable_schema, hypertable_name) = $1 ORDER BY 1", [table])).map((r) => r.c as string);
const partitionsOf = async (table: string) => (await q("SELECT relid::regclass::text AS p FROM pg_partition_tree($1::regclass) WHERE level > 0 ORDER BY 1", [table])).map((r) => r.p as string);

/** Runs `sql` as app_user for `tenant` in a transaction that is rolled back: rows returned, rows affected, or the error. */
async function asTenant(tenant: string, sql: string): Promise<{ rows: Record<string, unknown>[]; count: number } | { error: string }> {
  await app.query("BEGIN");
  try {
    await app.query("SELECT set_config('app.tenant_id', $1, true)", [tenant]);
    const r = await app.query(sql);
    return { rows: r.rows, count: r.rowCount ?? 0 };
  } catch (error) {
    return { error: (error as Error).message };
  } finally {
    await app.query("ROLLBACK");
  }
}

test("every tenant table of the model has row security enabled and forced, and a policy for app_user", async () => {
  expect(await rlsTables()).toEqual(Object.keys(ROW).sort());
  expect(await q("SELECT format('%s.%s', relnamespace::regnamespace, relname) AS t FROM pg_class WHERE relrowsecurity AND NOT relforcerowsecurity AND relkind IN ('r', 'p') AND NOT relispartition")).toEqual([]);
  expect(await q("SELECT polrelid::regclass::text AS t, polname, ARRAY(SELECT pg_get_userbyid(r)::text FROM unnest(polroles) r ORDER BY 1) AS roles FROM pg_policy ORDER BY 1")).toEqual(
    Object.keys(ROW).sort().map((t) => ({ t, polname: "tenant_isolation", roles: ["app_readonly", "app_user"] })),
  );
});

test("chunks made, and partitions granted, after the last up are readable around the policies until the next up closes them", async () => {
  const chunks = await chunksOf("events.event_store");
  expect(chunks.length).toBeGreaterThanOrEqual(3);
  // what @pulumi/postgresql's Grant does without `objects`: every table of the schema, partitions included
  await q("GRANT SELECT ON ALL TABLES IN SCHEMA ops TO app_user");
  const partition = (await q("SELECT tableoid::regclass::text AS p FROM ops.audit_logs LIMIT 1"))[0].p as string;
  // the window: direct reads see every tenant's rows
  expect(await asTenant(TENANTS[0], `SELECT DISTINCT tenant_id FROM ${chunks[chunks.length - 1]}`)).toEqual({ rows: [{ tenant_id: TENANTS[2] }], count: 1 });
  expect(await asTenant(TENANTS[0], `SELECT count(DISTINCT tenant_id)::int AS n FROM ${partition}`)).toEqual({ rows: [{ n: 3 }], count: 1 });

  // the next `pulumi up`: Read shows the drift, Diff → Update closes it
  const healed: Record<string, string[]> = {};
  for (const r of resources.filter((r) => r.type.endsWith(":Table"))) {
    const s = state.get(r.urn)!;
    const read = await host.read(s.id, r.urn, s.outputs, s.inputs);
    if (!(read.properties.rowLevelSecurity as PropertyMap | undefined)?.exposedChildren) continue;
    const checked = await host.check(r.urn, s.inputs, r.inputs);
    expect((await host.diff(s.id, r.urn, read.properties, checked.inputs)).changes).toBe(true);
    s.outputs = (await host.update(s.id, r.urn, read.properties, checked.inputs)).properties;
    healed[r.name] = s.outputs.appliedSql as string[];
  }
  const quoted = (c: string) => c.split(".").map((p) => `"${p}"`).join(".");
  expect(healed["events.event_store"]).toEqual(chunks.map((c) => `REVOKE ALL ON TABLE ${quoted(c)} FROM "app_owner", "app_readonly", "app_user"`));
  expect(Object.keys(healed).sort()).toEqual(["events.event_store", "ops.audit_logs", "ops.system_metrics"]);
  expect(healed["ops.audit_logs"]).toContain(`ALTER TABLE ${quoted(partition)} ENABLE ROW LEVEL SECURITY`);
  expect(await asTenant(TENANTS[0], `SELECT DISTINCT tenant_id FROM ${chunks[chunks.length - 1]}`)).toEqual({ error: expect.stringMatching(/^permission denied for table _hyper_/) });
  expect(await asTenant(TENANTS[0], `SELECT count(DISTINCT tenant_id)::int AS n FROM ${partition}`)).toEqual({ rows: [{ n: 0 }], count: 1 });
});

test("isolation matrix: 3 tenants × 4 commands × every tenant table, plus direct partition and chunk queries: 0 leaks", async () => {
  const tables = await rlsTables();
  const leaks: string[] = [];
  let cells = 0;
  for (const table of tables) {
    for (const [i, tenant] of TENANTS.entries()) {
      const other = TENANTS[(i + 1) % TENANTS.length];
      for (const command of COMMANDS) {
        cells++;
        const cell = `${table} ${command} as tenant ${i + 1}`;
        if (command === "select") {
          const r = await asTenant(tenant, `SELECT tenant_id FROM ${table}`);
          if ("error" in r || r.count !== 2 || r.rows.some((x) => x.tenant_id !== tenant)) leaks.push(`${cell}: ${JSON.stringify(r)}`);
        } else if (command === "insert") {
          const own = await asTenant(tenant, ROW[table](tenant, 2));
          const foreign = await asTenant(tenant, ROW[table](other, 3));
          if ("error" in own) leaks.push(`${cell}: own row refused: ${own.error}`);
          if (!("error" in foreign) || !/violates row-level security policy/.test(foreign.error)) leaks.push(`${cell}: row of another tenant: ${JSON.stringify(foreign)}`);
        } else if (command === "update") {
          const invisible = await asTenant(tenant, `UPDATE ${table} SET tenant_id = tenant_id WHERE tenant_id <> '${tenant}'`);
          const moved = await asTenant(tenant, `UPDATE ${table} SET tenant_id = '${other}'`);
          if ("error" in invisible || invisible.count !== 0) leaks.push(`${cell}: others' rows: ${JSON.stringify(invisible)}`);
          if (!("error" in moved) || !/violates row-level security policy/.test(moved.error)) leaks.push(`${cell}: moved to another tenant: ${JSON.stringify(moved)}`);
        } else {
          const r = await asTenant(tenant, `DELETE FROM ${table} WHERE tenant_id <> '${tenant}'`);
          const own = await asTenant(tenant, `DELETE FROM ${table}`);
          if ("error" in r || r.count !== 0) leaks.push(`${cell}: others' rows: ${JSON.stringify(r)}`);
          if ("error" in own || own.count !== 2) leaks.push(`${cell}: own rows: ${JSON.stringify(own)}`);
        }
      }
    }
  }
  let direct = 0;
  const chunks: string[] = [];
  const partitions: string[] = [];
  for (const table of tables) chunks.push(...(await chunksOf(table)));
  for (const table of tables) partitions.push(...(await partitionsOf(table)));
  const children = [...chunks, ...partitions];
  expect(chunks.length).toBeGreaterThan(0);
  for (const child of children) {
    for (const tenant of TENANTS) {
      direct++;
      const r = await asTenant(tenant, `SELECT tenant_id FROM ${child}`);
      if (!("error" in r) && r.rows.some((x) => x.tenant_id !== tenant)) leaks.push(`${child} read directly as ${tenant}: ${JSON.stringify(r.rows)}`);
    }
  }
  process.stderr.write(
    `\n[tenant isolation] ${TENANTS.length} tenants × ${COMMANDS.length} commands × ${tables.length} tables = ${cells} cells, ` +
      `+ ${direct} direct queries on ${chunks.length} chunks and ${partitions.length} partitions; leaks: ${leaks.length}\n`,
  );
  expect(leaks).toEqual([]);
  expect(cells).toBe(TENANTS.length * COMMANDS.length * Object.keys(ROW).length);
});

test("the owner bypasses row security unless forced; with forced, not", async () => {
  await q("ALTER TABLE app.accounts OWNER TO app_owner");
  const asOwner = async () => {
    const results = (await db.sql.query(
      `BEGIN; SET LOCAL ROLE app_owner; SELECT set_config('app.tenant_id', '${TENANTS[0]}', true);
       SELECT count(*)::int AS rows, count(DISTINCT tenant_id)::int AS tenants FROM app.accounts; ROLLBACK`,
    )) as unknown as { rows: { rows: number; tenants: number }[] }[];
    return results[3].rows[0];
  };
  // forced: the policies apply to the owner too, and none admits app_owner
  expect(await asOwner()).toEqual({ rows: 0, tenants: 0 });
  await q("ALTER TABLE app.accounts NO FORCE ROW LEVEL SECURITY");
  // not forced: the owner reads every tenant's rows
  expect(await asOwner()).toEqual({ rows: 6, tenants: 3 });
  await q("ALTER TABLE app.accounts FORCE ROW LEVEL SECURITY");
});
