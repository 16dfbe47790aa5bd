/**
 * The scale figures of issue 5: a generated program of `--tables` tables
 * (`--hypertables` of them hypertables) in `--schemas` schemas
 * (bench/fixtures/scale-program.ts) is captured under Pulumi mocks, driven
 * through the SDK's real provider host against the test server, and every
 * figure is printed next to its goal. Asserts nothing.
 *
 *   npx ts-node --transpile-only bench/scale.ts [--tables=1000] [--hypertables=250] [--schemas=10]
 *     [--up-tables=200] [--up-hypertables=50] [--parallel=10] [--growth=50,250,500,750] [--stacks=20]
 *     [--only=full,up,growth,stacks]
 *
 * Statements are counted in the host process (bench/support/count-statements.js):
 * every text a pg client sends, `a; b` counting two.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Client, Pool } from "pg";
import { readDimensions } from "../resources/core/dimensions";
import { CapturedResource, captureProgram, engineOrder, PropertyMap, REPO_ROOT } from "../test/support/capture-client";
import { createRoles } from "../test/support/roles";
import * as testDatabase from "../test/support/database";
import { createScratchDatabase } from "../test/support/database";
import { ProviderHost } from "../test/support/provider-host";

const flags = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, "").split("=") as [string, string]));
const num = (k: string, d: number) => Number(flags[k] ?? d);
const opts = {
  tables: num("tables", 1000),
  hypertables: num("hypertables", 250),
  schemas: num("schemas", 10),
  upTables: num("up-tables", 200),
  upHypertables: num("up-hypertables", 50),
  parallel: num("parallel", 10),
  growth: (flags.growth ?? "50,250,500,750").split(",").map(Number),
  stacks: num("stacks", 20),
  only: (flags.only ?? "full,up,growth,stacks").split(","),
};

const countsFile = path.join(os.tmpdir(), `pgstrata-bench-counts-${process.pid}.json`);
const kindOf = (r: CapturedResource) => r.type.split(":").pop()!;
type TestServer = { adminUrl: string; stop(): Promise<void> };

/** The test server (TimescaleDB community license); checkouts before the two-server test bed, which this bench also measures, export `startTestServer`. */
async function startServer(): Promise<TestServer> {
  const t = testDatabase as unknown as { startTestServers?: () => Promise<Record<"timescale" | "apache", TestServer>>; startTestServer?: () => Promise<TestServer> };
  if (!t.startTestServers) return t.startTestServer!();
  const servers = await t.startTestServers();
  return { adminUrl: servers.timescale.adminUrl, stop: async () => void (await Promise.all([servers.timescale.stop(), servers.apache.stop()])) };
}

type State = { id: string; inputs: PropertyMap; outputs: PropertyMap };
const ms = (t0: number) => performance.now() - t0;
const rows: [string, string, string][] = [];
const row = (measure: string, value: string, goal: string) => {
  rows.push([measure, value, goal]);
  console.log(`  ${measure}: ${value}   (goal ${goal})`);
};

/** What the host's pg clients sent so far (bench/support/count-statements.js writes it when signalled). */
async function counts(host: ProviderHost): Promise<{ roundTrips: number; statements: number }> {
  fs.rmSync(countsFile, { force: true });
  process.kill(hostPid(host), "SIGUSR2");
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 20));
    try {
      return JSON.parse(fs.readFileSync(countsFile, "utf8"));
    } catch {
      // not (completely) written yet
    }
  }
  throw new Error("the provider host did not write its statement counts");
}

async function capture(program: string, config: Record<string, string>): Promise<CapturedResource[]> {
  return captureProgram({ program, project: "pgstrata", stack: "bench", config, secretKeys: [] });
}

const scaleProgram = (url: string, tables: number, hypertables: number, schemas: number) =>
  capture(path.join(REPO_ROOT, "bench", "fixtures", "scale-program.ts"), {
    "scale:url": url, "scale:tables": String(tables), "scale:hypertables": String(hypertables), "scale:schemas": String(schemas),
  });

/** What a resource waits for, as the engine's dependency graph would order it: table → its schema, hypertable → its table. */
function dependencies(resources: CapturedResource[]): Map<string, string[]> {
  const byKey = new Map(resources.map((r) => [`${kindOf(r)}:${r.name}`, r.urn]));
  return new Map(
    resources.map((r) => {
      const i = r.inputs as Record<string, string>;
      const dep = kindOf(r) === "Table" ? byKey.get(`Schema:${i.schema}`) : kindOf(r) === "Hypertable" ? byKey.get(`Table:${i.schema}.${i.table}`) : undefined;
      return [r.urn, dep ? [dep] : []];
    }),
  );
}

/** Each resource after the one before it. */
const inSequence = (resources: CapturedResource[]) => new Map(resources.map((r, i) => [r.urn, i > 0 ? [resources[i - 1].urn] : []]));

/** Check → Create every resource, at most `parallel` at a time, each after what it depends on (as `pulumi up` does). */
async function up(host: ProviderHost, resources: CapturedResource[], parallel: number, deps = dependencies(resources)): Promise<Map<string, State>> {
  const state = new Map<string, State>();
  const done = new Map<string, Promise<void>>();
  let running = 0;
  const waiting: (() => void)[] = [];
  const slot = async () => {
    if (running >= parallel) await new Promise<void>((r) => waiting.push(r));
    running++;
  };
  const release = () => {
    running--;
    waiting.shift()?.();
  };
  for (const r of resources) {
    done.set(
      r.urn,
      (async () => {
        await Promise.all(deps.get(r.urn)!.map((d) => done.get(d)));
        await slot();
        try {
          const checked = await host.check(r.urn, {}, r.inputs);
          if (checked.failures.length > 0) throw new Error(`${r.name}: ${JSON.stringify(checked.failures)}`);
          const created = await host.create(r.urn, checked.inputs);
          state.set(r.urn, { id: created.id, inputs: checked.inputs, outputs: created.properties });
        } finally {
          release();
        }
      })(),
    );
  }
  await Promise.all(done.values());
  return state;
}

const hostPid = (host: ProviderHost) => (host as unknown as { child: { pid: number } }).child.pid;

/** CPU time (user + system, ms) process `pid` has used so far, from /proc: a figure the machine's load does not inflate; 0 once it has exited. */
function cpuMs(pid: number): number {
  if (!fs.existsSync(`/proc/${pid}/stat`)) return 0;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** The server processes of the host's sessions (application_name pgstrata; the test server runs on this machine). */
async function serverSessions(url: string): Promise<number[]> {
  return withSql(url, async (sql) => (await sql.query("SELECT pid FROM pg_stat_activity WHERE application_name = 'pgstrata'")).rows.map((r) => r.pid));
}

/**
 * `f` per resource: wall ms, and beside it the CPU ms of the provider host, of
 * the server sessions it uses (on `url`), and of this process (which plays the
 * engine's part of each RPC): on a machine others load, wall time is about
 * their sum times the wait for a core.
 */
async function perResource(host: ProviderHost, url: string, count: number, f: () => Promise<unknown>): Promise<string> {
  const sessions = await serverSessions(url);
  const server0 = new Map(sessions.map((pid) => [pid, cpuMs(pid)]));
  const host0 = cpuMs(hostPid(host));
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wall = ms(t0);
  const self = process.cpuUsage(self0);
  const server = (await serverSessions(url)).reduce((sum, pid) => sum + cpuMs(pid) - (server0.get(pid) ?? 0), 0);
  const per = (x: number) => (x / count).toFixed(2);
  return `${per(wall)} ms (CPU: host ${per(cpuMs(hostPid(host)) - host0)} ms, server ${per(server)} ms, engine stand-in ${per((self.user + self.system) / 1000)} ms)`;
}

/** Mean wall time per resource of a no-op preview (Check(oldInputs, news) → Diff(outputs, checked)), one at a time; throws if any shows a change. */
async function noopPreview(host: ProviderHost, resources: CapturedResource[], state: Map<string, State>, rounds = 1): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) {
    for (const r of resources) {
      const s = state.get(r.urn)!;
      const checked = await host.check(r.urn, s.inputs, r.inputs);
      const diff = await host.diff(s.id, r.urn, s.outputs, checked.inputs);
      if (diff.changes !== false) throw new Error(`no-op preview of ${r.name} shows a change`);
    }
  }
  return ms(t0) / (resources.length * rounds);
}

/** Mean wall time per resource of Read (refresh), one at a time. */
async function refresh(host: ProviderHost, resources: CapturedResource[], state: Map<string, State>): Promise<number> {
  const t0 = performance.now();
  for (const r of resources) {
    const s = state.get(r.urn)!;
    await host.read(s.id, r.urn, s.outputs, s.inputs);
  }
  return ms(t0) / resources.length;
}

async function startHost(): Promise<ProviderHost> {
  const preload = path.join(REPO_ROOT, "bench", "support", "count-statements.js");
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --require ${preload}`.trim();
  process.env.PGSTRATA_BENCH_COUNTS = countsFile;
  try {
    return await ProviderHost.start({ cwd: REPO_ROOT, project: "pgstrata" });
  } finally {
    delete process.env.NODE_OPTIONS;
  }
}

async function withDatabase<T>(server: TestServer, name: string, fn: (url: string) => Promise<T>): Promise<T> {
  const db = await createScratchDatabase(server.adminUrl, name);
  try {
    return await fn(db.url);
  } finally {
    await db.drop();
  }
}

async function withSql<T>(url: string, fn: (sql: Client) => Promise<T>): Promise<T> {
  const sql = new Client({ connectionString: url });
  await sql.connect();
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

/** Rows 1–4: provider size, state size, no-op preview and refresh of the full program. */
async function fullProgram(server: TestServer, host: ProviderHost): Promise<void> {
  await withDatabase(server, "bench_scale", async (url) => {
    const resources = await scaleProgram(url, opts.tables, opts.hypertables, opts.schemas);
    console.log(`\n${opts.tables} tables (${opts.hypertables} hypertables) in ${opts.schemas} schemas: ${resources.length} resources`);
    for (const kind of ["Table", "Hypertable", "Schema"]) {
      const r = resources.find((x) => kindOf(x) === kind);
      if (r) row(`__provider per ${kind}`, `${(Buffer.byteLength(String(r.inputs.__provider)) / 1024).toFixed(2)} KB`, "≤ 1 KB");
    }
    const t0 = performance.now();
    const state = await up(host, resources, opts.parallel);
    console.log(`  (up of the whole program: ${(ms(t0) / 1000).toFixed(1)} s, parallel ${opts.parallel})`);
    let bytes = 0;
    let providerBytes = 0;
    for (const s of state.values()) {
      bytes += Buffer.byteLength(JSON.stringify(s.inputs)) + Buffer.byteLength(JSON.stringify(s.outputs));
      providerBytes += Buffer.byteLength(String(s.inputs.__provider ?? "")) + Buffer.byteLength(String(s.outputs.__provider ?? ""));
    }
    row("Pulumi state (inputs + outputs)", `${(bytes / 1024 / 1024).toFixed(2)} MiB, ${((100 * providerBytes) / bytes).toFixed(1)} % __provider`, "≤ 5 MB");
    await noopPreview(host, resources.slice(0, 50), state); // warm the host's pools and module cache
    row("no-op preview (Check + Diff) per resource", await perResource(host, url, resources.length, () => noopPreview(host, resources, state)), "≤ 3 ms");
    row("refresh (Read) per object", await perResource(host, url, resources.length, () => refresh(host, resources, state)), "≤ 4 ms");
  });
}

/** Row 5: `up` of the smaller program through the host vs one pg client running the same DDL; statements besides the DDL. */
async function upVsPsql(server: TestServer, host: ProviderHost): Promise<void> {
  const applied: string[] = [];
  let upMs = 0;
  let resourceCount = 0;
  let before = await counts(host);
  let after = before;
  await withDatabase(server, "bench_up", async (url) => {
    const resources = await scaleProgram(url, opts.upTables, opts.upHypertables, opts.schemas);
    resourceCount = resources.length;
    before = await counts(host);
    const t0 = performance.now();
    const state = await up(host, resources, opts.parallel);
    upMs = ms(t0);
    after = await counts(host);
    // The DDL in the order the engine applied it (dependency order within the run).
    for (const r of resources) applied.push(...((state.get(r.urn)!.outputs.appliedSql as string[] | undefined) ?? []));
  });
  const psqlMs = await withDatabase(server, "bench_psql", (url) =>
    withSql(url, async (sql) => {
      const t0 = performance.now();
      for (const s of applied) await sql.query(s);
      return ms(t0);
    }),
  );
  const statements = after.statements - before.statements;
  console.log(`\nup of ${opts.upTables} tables + ${opts.upHypertables} hypertables (${resourceCount} resources, parallel ${opts.parallel}): ${(upMs / 1000).toFixed(2)} s; one pg client running the same ${applied.length} DDL statements: ${(psqlMs / 1000).toFixed(2)} s`);
  row(`up of ${opts.upTables} tables + ${opts.upHypertables} hypertables vs psql`, `${(upMs / psqlMs).toFixed(2)}×`, "≤ 1.5×");
  row(
    "statements per resource besides the DDL",
    `${((statements - applied.length) / resourceCount).toFixed(1)} (${(statements / resourceCount).toFixed(1)} in all, ${(applied.length / resourceCount).toFixed(1)} DDL; ${((after.roundTrips - before.roundTrips) / resourceCount).toFixed(1)} round trips)`,
    "≤ 5",
  );
}

/** Row 6: Read per hypertable while the database holds more and more hypertables. */
async function growth(server: TestServer, host: ProviderHost): Promise<void> {
  await withDatabase(server, "bench_growth", async (url) => {
    const probe = Math.min(50, opts.growth[0]);
    const resources = await scaleProgram(url, probe, probe, 1);
    const state = await up(host, resources, opts.parallel);
    const hypertables = resources.filter((r) => kindOf(r) === "Hypertable");
    const figures: string[] = [];
    await withSql(url, async (sql) => {
      let n = probe;
      for (const target of opts.growth) {
        for (; n < target; n += 50) {
          const batch = Array.from({ length: Math.min(50, target - n) }, (_, i) => `g_${n + i}`);
          await sql.query(
            "BEGIN; " +
              batch.map((t) => `CREATE TABLE app_0.${t} (id bigint, at timestamptz NOT NULL); SELECT create_hypertable('app_0.${t}', by_range('at', interval '1 day'));`).join(" ") +
              " COMMIT",
          );
        }
        await refresh(host, hypertables.slice(0, 5), state);
        const read = await refresh(host, hypertables, state);
        const query = await dimensionsQuery(url, hypertables.map((h) => h.inputs as { schema: string; table: string }));
        figures.push(`${target}: ${read.toFixed(2)} ms (dimensions query ${query.toFixed(2)} ms)`);
        console.log(`  refresh per hypertable with ${target} hypertables in the database: ${figures[figures.length - 1]}`);
      }
    });
    row("refresh per hypertable as hypertables grow", figures.join(", "), "flat");
  });
}

/** Mean time of the hypertable kind's dimensions read (readDimensions, in this process), over 10 rounds of `hypertables`. */
async function dimensionsQuery(url: string, hypertables: { schema: string; table: string }[]): Promise<number> {
  const pool = new Pool({ connectionString: url, max: 1 });
  const client = await pool.connect();
  try {
    for (const h of hypertables.slice(0, 5)) await readDimensions(client, h.schema, h.table);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) for (const h of hypertables) await readDimensions(client, h.schema, h.table);
    return ms(t0) / (10 * hypertables.length);
  } finally {
    client.release();
    await pool.end();
  }
}

/** Issue 10's figure: no-op preview per resource of the stacks/ model (dev config), averaged over `--stacks` rounds. */
async function stacksModel(server: TestServer, host: ProviderHost): Promise<void> {
  await withDatabase(server, "bench_stacks", async (url) => {
    // The roles the model's policies name (stacks/access.ts declares them with another provider).
    await withSql(url, createRoles);
    const resources = engineOrder(await capture(path.join(REPO_ROOT, "stacks", "index.ts"), { "pgstrata:databaseUrl": url, "pgstrata:metricsHashPartitions": "2" }));
    const state = await up(host, resources, 1, inSequence(resources));
    await noopPreview(host, resources, state);
    row(`no-op preview per resource of the stacks model (${resources.length} resources)`, await perResource(host, url, resources.length * opts.stacks, () => noopPreview(host, resources, state, opts.stacks)), "≤ 3 ms");
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  console.log(`pgstrata scale bench at ${process.env.BENCH_LABEL ?? "this checkout"}; ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}; flags ${JSON.stringify(opts)}`);
  const server = await startServer();
  let host: ProviderHost | undefined;
  try {
    host = await startHost();
    if (opts.only.includes("full")) await fullProgram(server, host);
    if (opts.only.includes("up")) await upVsPsql(server, host);
    if (opts.only.includes("growth")) await growth(server, host);
    if (opts.only.includes("stacks")) await stacksModel(server, host);
  } finally {
    await host?.stop();
    await server.stop();
    fs.rmSync(countsFile, { force: true });
  }
  console.log(`\n| measure | ${process.env.BENCH_LABEL ?? "now"} | goal |\n|---|---|---|`);
  for (const [m, v, g] of rows) console.log(`| ${m} | ${v} | ${g} |`);
  console.log(`\n(bench ran ${(ms(started) / 1000).toFixed(0)} s; load average now ${os.loadavg()[0].toFixed(1)}: wall times on a shared machine include waiting for a CPU, host CPU times do not)`);
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
