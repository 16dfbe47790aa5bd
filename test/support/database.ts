/**
 * Test database lifecycle: two PostgreSQL 17 servers (TimescaleDB, pgvector,
 * pg_partman, pg_cron) per jest run, one per TimescaleDB license, and one
 * scratch database per test file.
 *
 * TimescaleDB's license (`timescaledb.license`, `timescale` = community/TSL or
 * `apache`) is a per-server setting: it is read only from postgresql.conf or the
 * server command line, never per database or session (see
 * shared/timescaledb/README.md). So the tests that need the community features
 * (compression, retention and refresh policies, continuous aggregates) run on
 * the `timescale` server, which is also every test's default, and the tests of
 * the Apache license's refusals run on the `apache` server.
 *
 * Sources, tried in order by {@link startTestServers}:
 *  1. Environment: `PGSTRATA_TEST_DATABASE_URL` (or `DATABASE_URL`) for the
 *     `timescale` server, `PGSTRATA_TEST_APACHE_DATABASE_URL` for the `apache` one.
 *  2. A Docker engine: `timescale/timescaledb-ha:pg17` containers.
 *  3. Root on Debian: a cached Debian trixie root (debootstrap) under
 *     `/var/cache/pgstrata/<key>` with the community-license TimescaleDB tarball
 *     (shared/timescaledb/) unpacked over it, a fresh data directory per server
 *     and run, started via `chroot`.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, promises as fs, readdirSync } from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { Client } from "pg";

const execFileP = promisify(execFile);

/** TimescaleDB's license, a per-server setting (`timescaledb.license`). */
export type License = "timescale" | "apache";
export const LICENSES: readonly License[] = ["timescale", "apache"];

/** A running PostgreSQL server for the test run. */
export interface TestServer {
  /** Its `timescaledb.license`. */
  license: License;
  /** Superuser URL, e.g. `postgresql://postgres@127.0.0.1:54321/postgres`. */
  adminUrl: string;
  /** Which of the sources provided the server. */
  source: "environment" | "docker" | "debian-root";
  /** Stops the server and removes what was created for it (no-op for "environment"). */
  stop(): Promise<void>;
}

const DOCKER_IMAGE = "timescale/timescaledb-ha:pg17";
const DEBIAN_SUITE = "trixie";
const DEBIAN_PACKAGES = [
  "postgresql-17",
  "postgresql-17-pgvector",
  "postgresql-17-timescaledb",
  "postgresql-17-partman",
  "postgresql-17-cron",
];
/** The community-license TimescaleDB tarball, as shared/timescaledb/README.md describes it. */
const TSL_TARBALL = /^timescaledb-tsl-(\d+\.\d+\.\d+)-pg17-trixie-amd64\.tar\.gz$/;
const TSL_TARBALL_DIR = path.join("shared", "timescaledb");
const CACHE_DIR = "/var/cache/pgstrata";
const PG_BIN = "/usr/lib/postgresql/17/bin";
/** Directory (inside the root) holding one sub-directory per test run. */
const RUNS_DIR = "/var/lib/pgstrata-test";
const SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Environment variable holding the URL of an existing server, per license. */
const ENV_URL: Record<License, string> = {
  timescale: "PGSTRATA_TEST_DATABASE_URL",
  apache: "PGSTRATA_TEST_APACHE_DATABASE_URL",
};
/** Environment variable through which global setup publishes each server's admin URL. */
const ADMIN_URL_ENV: Record<License, string> = {
  timescale: "PGSTRATA_TEST_ADMIN_URL",
  apache: "PGSTRATA_TEST_APACHE_ADMIN_URL",
};

/**
 * Starts (or locates) one PostgreSQL server per TimescaleDB license for this
 * test run, from the first source that works.
 *
 * @returns the two {@link TestServer}s; each `adminUrl` is a superuser URL that
 *   can `CREATE DATABASE`, with timescaledb, vector, pg_partman and pg_cron
 *   installable, and each server's `timescaledb.license` is checked.
 * @throws Error listing every source tried and why it failed, and what to
 *   provide instead, when no source works; with an environment URL, when the
 *   other license's URL is missing or a server reports another license.
 */
export async function startTestServers(): Promise<Record<License, TestServer>> {
  const envUrl = process.env[ENV_URL.timescale] || process.env.DATABASE_URL;
  const apacheUrl = process.env[ENV_URL.apache];
  if (envUrl || apacheUrl) {
    if (!envUrl || !apacheUrl) {
      throw new Error(
        `Set both ${ENV_URL.timescale} (a server with timescaledb.license = 'timescale') and ` +
          `${ENV_URL.apache} (one with 'apache'): the license is per server, and the tests need both.`,
      );
    }
    const servers = {
      timescale: { license: "timescale", adminUrl: envUrl, source: "environment", stop: async () => {} },
      apache: { license: "apache", adminUrl: apacheUrl, source: "environment", stop: async () => {} },
    } as const;
    for (const license of LICENSES) await assertLicense(servers[license].adminUrl, license);
    return servers;
  }
  const reasons: string[] = [];
  if (await dockerAvailable()) {
    try {
      return await startBoth(startDocker);
    } catch (e) {
      reasons.push(`docker: ${message(e)}`);
    }
  } else {
    reasons.push("docker: no Docker engine answered `docker info`");
  }
  if (process.getuid?.() === 0 && existsSync("/etc/debian_version")) {
    try {
      const root = await ensureDebianRoot();
      const ids = await postgresIds(root);
      await reapStaleRuns(root, ids);
      return await startBoth((license) => startDebianRoot(root, ids, license));
    } catch (e) {
      reasons.push(`debian-root: ${message(e)}`);
    }
  } else {
    reasons.push("debian-root: needs to run as root on Debian");
  }
  throw new Error(
    "No PostgreSQL servers for the tests. Provide one of:\n" +
      `  - ${ENV_URL.timescale} (or DATABASE_URL) and ${ENV_URL.apache} = superuser URLs of two PostgreSQL 17 ` +
      "servers with the timescaledb (community build), vector, pg_partman and pg_cron extensions available, " +
      "started with timescaledb.license = 'timescale' and 'apache';\n" +
      "  - a running Docker engine (image " + DOCKER_IMAGE + ");\n" +
      "  - run the tests as root on Debian (a Debian trixie root is built with debootstrap, and the " +
      `community-license TimescaleDB tarball of ${TSL_TARBALL_DIR}/ beside the repository is unpacked over it).\n` +
      "Attempts:\n  " + reasons.join("\n  "),
  );
}

/** Starts a server per license in parallel; if one fails, stops the other. */
async function startBoth(start: (license: License) => Promise<TestServer>): Promise<Record<License, TestServer>> {
  const [timescale, apache] = await Promise.allSettled(LICENSES.map(start));
  if (timescale.status === "fulfilled" && apache.status === "fulfilled") {
    for (const s of [timescale.value, apache.value]) await assertLicense(s.adminUrl, s.license);
    return { timescale: timescale.value, apache: apache.value };
  }
  for (const r of [timescale, apache]) if (r.status === "fulfilled") await r.value.stop();
  throw (timescale.status === "rejected" ? timescale.reason : (apache as PromiseRejectedResult).reason);
}

/** Throws unless the server at `url` runs with `timescaledb.license = license`. */
async function assertLicense(url: string, license: License): Promise<void> {
  const actual = await withClient(url, async (c) => {
    await c.query("LOAD 'timescaledb'");
    return (await c.query<{ l: string | null }>("SELECT current_setting('timescaledb.license', true) AS l")).rows[0].l;
  });
  if (actual !== license) {
    throw new Error(
      `The test server at ${redact(url)} runs with timescaledb.license = '${actual}', but it was given as the ` +
        `'${license}' server. The license is set per server (postgresql.conf or -c timescaledb.license=${license}).`,
    );
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

/**
 * Creates a fresh database on the server at `adminUrl`, with the extensions
 * timescaledb (at the server's default version: 2.29.2 with the community
 * tarball, whose TSL module the `timescale` license needs) and vector, and
 * pg_partman in schema `partman`.
 *
 * @param adminUrl superuser URL (see {@link testAdminUrl}).
 * @param name a hint for the database name; it is reduced to `[a-z0-9_]` and
 *   suffixed with random hex, so the result is unique and at most 63 bytes.
 * @returns `url` of the new database and `drop()`, which terminates its
 *   backends and drops it (`WITH (FORCE)`).
 * @throws the `pg` error if the database or an extension cannot be created
 *   (the half-made database is dropped first).
 */
export async function createScratchDatabase(
  adminUrl: string,
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const stem = name.toLowerCase().replace(/[^a-z0-9_]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 40);
  const dbName = `t_${stem || "db"}_${randomBytes(6).toString("hex")}`;
  const url = new URL(adminUrl);
  url.pathname = "/" + dbName;
  const drop = async (): Promise<void> => {
    await withClient(adminUrl, async (c) => {
      await c.query("SELECT cron.unschedule(jobid) FROM cron.job WHERE database = $1", [dbName]);
      await c.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [dbName],
      );
      await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    });
  };
  await withClient(adminUrl, async (c) => {
    await ensureCron(c);
    await c.query(`CREATE DATABASE "${dbName}"`);
  });
  try {
    await withClient(url.toString(), (c) =>
      c.query(
        "CREATE EXTENSION IF NOT EXISTS timescaledb; CREATE EXTENSION IF NOT EXISTS vector; " +
          "CREATE SCHEMA IF NOT EXISTS partman; CREATE EXTENSION IF NOT EXISTS pg_partman SCHEMA partman;",
      ),
    );
  } catch (e) {
    await drop().catch(() => {});
    throw e;
  }
  return { url: url.toString(), drop };
}

/**
 * The admin URL of the server with TimescaleDB license `license` (default
 * `timescale`, the community license every test runs on unless it tests the
 * Apache license's refusals), published by the jest global setup.
 *
 * @throws Error if global setup did not publish it: a test that needs a
 *   license fails loudly, it is never skipped.
 */
export function testAdminUrl(license: License = "timescale"): string {
  const url = process.env[ADMIN_URL_ENV[license]];
  if (!url) {
    throw new Error(
      `${ADMIN_URL_ENV[license]} is not set, so there is no test server with timescaledb.license = '${license}': ` +
        "run the tests through jest with globalSetup test/support/global-setup.ts (see jest.config.js).",
    );
  }
  return url;
}

/** Publishes each server's admin URL for {@link testAdminUrl} (jest copies `process.env` into test environments). */
export function publishAdminUrls(servers: Record<License, TestServer>): void {
  for (const license of LICENSES) process.env[ADMIN_URL_ENV[license]] = servers[license].adminUrl;
}

/**
 * pg_cron's extension in its database (`cron.database_name`, which must be
 * the admin URL's database, `postgres` by default): PartitionSet schedules
 * its maintenance jobs there with `cron.schedule_in_database`. A concurrent
 * first call may lose the race to create it, which is fine.
 */
async function ensureCron(c: Client): Promise<void> {
  try {
    await c.query("CREATE EXTENSION IF NOT EXISTS pg_cron");
  } catch (e) {
    if ((e as { code?: string }).code !== "23505") throw e;
  }
}

// ---------------------------------------------------------------- helpers

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Polls until `SELECT 1` succeeds at `url`; throws the last error after `timeoutMs`. */
async function waitForConnection(url: string, timeoutMs: number, alive?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withClient(url, (c) => c.query("SELECT 1"));
      return;
    } catch (e) {
      if (alive) await alive();
      if (Date.now() > deadline) throw new Error(`server not ready after ${timeoutMs} ms: ${message(e)}`);
      await sleep(250);
    }
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Runs a command; on failure throws with the command and the tail of its output. */
async function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, {
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, PATH: SBIN_PATH, LANG: "C.UTF-8", LC_ALL: "C.UTF-8", DEBIAN_FRONTEND: "noninteractive" },
    });
    return stdout;
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string; code?: number | string; signal?: string };
    const why = err.signal ? `killed by ${err.signal}` : typeof err.code === "number" ? `exit code ${err.code}` : err.message;
    const tail = `${err.stdout ?? ""}${err.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new Error(`\`${cmd} ${args.join(" ")}\` failed (${why})\n${tail}`);
  }
}

// ---------------------------------------------------------------- docker

async function dockerAvailable(): Promise<boolean> {
  try {
    await execFileP("docker", ["info", "--format", "{{.ServerVersion}}"], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** A container of the community image (TSL build), started with `license`. */
async function startDocker(license: License): Promise<TestServer> {
  const name = `pgstrata-test-${license}-${randomBytes(4).toString("hex")}`;
  await run(
    "docker",
    ["run", "-d", "--rm", "--name", name, "-e", "POSTGRES_PASSWORD=postgres", "-p", "127.0.0.1::5432", DOCKER_IMAGE,
      "postgres", "-c", `timescaledb.license=${license}`, "-c", "timescaledb.telemetry_level=off"],
    15 * 60_000,
  );
  const stop = async (): Promise<void> => {
    await run("docker", ["rm", "-f", "-v", name]).catch(() => {});
  };
  try {
    // "127.0.0.1:49153" (one line per published address)
    const mapping = (await run("docker", ["port", name, "5432/tcp"])).trim().split("\n")[0];
    const port = Number(mapping.slice(mapping.lastIndexOf(":") + 1));
    const adminUrl = `postgresql://postgres:postgres@127.0.0.1:${port}/postgres`;
    await waitForConnection(adminUrl, 180_000, async () => {
      const state = (await run("docker", ["inspect", "-f", "{{.State.Running}}", name]).catch(() => "false")).trim();
      if (state !== "true") throw new Error(`container ${name} exited`);
    });
    return { license, adminUrl, source: "docker", stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------- debian root

/**
 * The community-license TimescaleDB tarball: `PGSTRATA_TIMESCALEDB_TARBALL`, else
 * the one in `shared/timescaledb/` beside the repository or beside any directory
 * above it (a worktree under /work/wt/x finds /work/shared; CI clones the
 * repository with shared/ beside it).
 *
 * @throws Error naming every directory searched when there is none.
 */
function tslTarball(): { file: string; version: string } {
  const fromEnv = process.env.PGSTRATA_TIMESCALEDB_TARBALL;
  if (fromEnv) {
    const m = TSL_TARBALL.exec(path.basename(fromEnv));
    if (!m || !existsSync(fromEnv)) {
      throw new Error(`PGSTRATA_TIMESCALEDB_TARBALL=${fromEnv} is not an existing timescaledb-tsl-X.Y.Z-pg17-trixie-amd64.tar.gz`);
    }
    return { file: path.resolve(fromEnv), version: m[1] };
  }
  const searched: string[] = [];
  for (let dir = path.resolve(__dirname, "..", ".."); ; dir = path.dirname(dir)) {
    const candidate = path.join(path.dirname(dir), TSL_TARBALL_DIR);
    searched.push(candidate);
    const found = readdirOrEmpty(candidate).flatMap((f) => {
      const m = TSL_TARBALL.exec(f);
      return m ? [{ file: path.join(candidate, f), version: m[1] }] : [];
    });
    if (found.length > 0) {
      return found.sort((a, b) => a.version.localeCompare(b.version, "en", { numeric: true })).pop()!;
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(
    "The community-license TimescaleDB tarball (timescaledb-tsl-X.Y.Z-pg17-trixie-amd64.tar.gz) was not found; " +
      `searched ${searched.join(", ")}. Put ${TSL_TARBALL_DIR}/ beside the repository or set PGSTRATA_TIMESCALEDB_TARBALL.`,
  );
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Marker written into the root once the TSL tarball is unpacked over it. */
const TSL_MARKER = "etc/pgstrata-timescaledb-tsl.sha256";

/**
 * `/var/cache/pgstrata/trixie-minbase-<hash of package list and tarball sha256>`:
 * a changed tarball gives a new root.
 */
function debianRootPath(tarballSha256: string): string {
  const key = createHash("sha256")
    .update(JSON.stringify({ suite: DEBIAN_SUITE, variant: "minbase", packages: [...DEBIAN_PACKAGES].sort(), tsl: tarballSha256 }))
    .digest("hex")
    .slice(0, 16);
  return path.join(CACHE_DIR, `${DEBIAN_SUITE}-minbase-${key}`);
}

function rootIsComplete(root: string): boolean {
  return existsSync(path.join(root, PG_BIN, "postgres")) && existsSync(path.join(root, TSL_MARKER));
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Runs `fn` holding a lock directory (`<lockDir>/owner` holds our pid; stale locks are broken). */
async function withLock<T>(lockDir: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    try {
      await fs.mkdir(lockDir);
      await fs.writeFile(path.join(lockDir, "owner"), String(process.pid));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const owner = Number(await fs.readFile(path.join(lockDir, "owner"), "utf8").catch(() => "NaN"));
      const age = Date.now() - (await fs.stat(lockDir).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if ((Number.isInteger(owner) && !pidAlive(owner)) || (!Number.isInteger(owner) && age > 60_000)) {
        await fs.rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${lockDir} (held by pid ${owner})`);
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockDir, { recursive: true, force: true });
  }
}

/**
 * Returns the cached Debian root, building it (once, under a lock) if absent:
 * debootstrap, then the community-license TimescaleDB tarball unpacked over it.
 */
async function ensureDebianRoot(): Promise<string> {
  const tarball = tslTarball();
  const sha256 = createHash("sha256").update(await fs.readFile(tarball.file)).digest("hex");
  const root = debianRootPath(sha256);
  if (rootIsComplete(root)) return root;
  await fs.mkdir(CACHE_DIR, { recursive: true });
  await withLock(`${root}.lock`, async () => {
    if (rootIsComplete(root)) return; // built by a concurrent run while we waited
    if (!existsSync("/usr/sbin/debootstrap")) {
      await run("apt-get", ["update"], 10 * 60_000);
      await run("apt-get", ["install", "-y", "--no-install-recommends", "debootstrap"], 10 * 60_000);
    }
    for (const entry of await fs.readdir(CACHE_DIR)) {
      if (entry.startsWith(`${path.basename(root)}.tmp-`)) await fs.rm(path.join(CACHE_DIR, entry), { recursive: true, force: true });
    }
    const tmp = `${root}.tmp-${process.pid}`;
    process.stderr.write(
      `[test database] building Debian ${DEBIAN_SUITE} root in ${root} with TimescaleDB ${tarball.version} (community license) (one time, about a minute)\n`,
    );
    try {
      await run(
        "debootstrap",
        ["--variant=minbase", `--include=${DEBIAN_PACKAGES.join(",")}`, DEBIAN_SUITE, tmp],
        30 * 60_000,
      );
      if (!existsSync(path.join(tmp, PG_BIN, "postgres"))) throw new Error(`debootstrap finished but ${tmp} has no PostgreSQL 17`);
      await run("tar", ["-xzf", tarball.file, "-C", tmp]);
      const tsl = path.join(tmp, `usr/lib/postgresql/17/lib/timescaledb-tsl-${tarball.version}.so`);
      if (!existsSync(tsl)) throw new Error(`${tarball.file} unpacked, but ${tsl} is missing (not a community-license build?)`);
      await fs.writeFile(path.join(tmp, TSL_MARKER), `${sha256}  ${path.basename(tarball.file)}\n`);
      await fs.rm(root, { recursive: true, force: true }); // an incomplete leftover, if any
      await fs.rename(tmp, root);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  });
  return root;
}

/** `[uid, gid]` of user postgres inside the root (they differ from the host's). */
async function postgresIds(root: string): Promise<[number, number]> {
  const line = (await fs.readFile(path.join(root, "etc/passwd"), "utf8")).split("\n").find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error(`no postgres user in ${root}/etc/passwd`);
  const [, , uid, gid] = line.split(":");
  return [Number(uid), Number(gid)];
}

/**
 * Commands run in the root as postgres. No mounts are needed: the root's /dev
 * has the device nodes debootstrap made, dynamic shared memory uses `mmap`
 * files in the data directory (its /dev/shm is not a tmpfs), and /proc is not read.
 */
function pgCommand(root: string, ids: [number, number], tool: string, args: string[], timeoutMs?: number): Promise<string> {
  return run(
    "chroot",
    [`--userspec=${ids[0]}:${ids[1]}`, root, "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "LANG=C.UTF-8", "HOME=/var/lib/postgresql", path.join(PG_BIN, tool), ...args],
    timeoutMs,
  );
}

/** Stops servers and deletes run directories left by test runs whose process is gone. */
async function reapStaleRuns(root: string, ids: [number, number]): Promise<void> {
  const runs = path.join(root, RUNS_DIR);
  for (const entry of await fs.readdir(runs).catch(() => [] as string[])) {
    const owner = Number(await fs.readFile(path.join(runs, entry, "owner"), "utf8").catch(() => "NaN"));
    const age = Date.now() - (await fs.stat(path.join(runs, entry)).catch(() => ({ mtimeMs: 0 }))).mtimeMs;
    // An owner file not written yet belongs to a run that is starting right now.
    if (Number.isInteger(owner) ? pidAlive(owner) : age < 60_000) continue;
    if (existsSync(path.join(runs, entry, "data", "postmaster.pid"))) {
      await pgCommand(root, ids, "pg_ctl", ["stop", "-D", `${RUNS_DIR}/${entry}/data`, "-m", "immediate", "-w"]).catch(() => {});
    }
    await fs.rm(path.join(runs, entry), { recursive: true, force: true });
  }
}

/** A server on a fresh data directory in `root`, started with `timescaledb.license = license`. */
async function startDebianRoot(root: string, ids: [number, number], license: License): Promise<TestServer> {
  const runId = `run-${process.pid}-${license}-${randomBytes(4).toString("hex")}`;
  const runDir = `${RUNS_DIR}/${runId}`; // path inside the root
  const hostRunDir = path.join(root, runDir);
  await fs.mkdir(path.join(root, RUNS_DIR), { recursive: true });
  await fs.chmod(path.join(root, RUNS_DIR), 0o755); // postgres must traverse it
  await fs.mkdir(hostRunDir, { mode: 0o700 });
  await fs.writeFile(path.join(hostRunDir, "owner"), String(process.pid));
  await fs.chown(hostRunDir, ids[0], ids[1]);
  const dataDir = `${runDir}/data`;

  let started = false;
  const stop = async (): Promise<void> => {
    if (started) await pgCommand(root, ids, "pg_ctl", ["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60"]).catch(() => {});
    await fs.rm(hostRunDir, { recursive: true, force: true });
  };
  try {
    await pgCommand(root, ids, "initdb", [
      "-D", dataDir, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
      "-c", "dynamic_shared_memory_type=mmap",
      "-c", "huge_pages=off",
      "-c", "listen_addresses=127.0.0.1",
      "-c", `unix_socket_directories=${runDir}`,
      "-c", "shared_preload_libraries=timescaledb,pg_cron",
      "-c", `timescaledb.license=${license}`,
      "-c", "timescaledb.telemetry_level=off",
      // No job scheduler: tests run policy jobs themselves (CALL run_job), so nothing changes under them.
      "-c", "timescaledb.max_background_workers=0",
      "-c", "max_worker_processes=32",
      "-c", "cron.use_background_workers=on",
      "-c", "fsync=off",
      "-c", "synchronous_commit=off",
      "-c", "full_page_writes=off",
      "-c", "max_connections=200",
    ]);
    // The port is free when chosen but may be taken before postgres binds it: retry.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      try {
        await pgCommand(root, ids, "pg_ctl", ["start", "-D", dataDir, "-l", `${runDir}/server.log`, "-w", "-t", "60", "-o", `-c port=${port}`]);
        started = true;
      } catch (e) {
        if (attempt >= 3) {
          const log = await fs.readFile(path.join(hostRunDir, "server.log"), "utf8").catch(() => "");
          throw new Error(`${message(e)}\nserver.log:\n${log.split("\n").slice(-15).join("\n")}`);
        }
        continue;
      }
      const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
      await waitForConnection(adminUrl, 30_000);
      return { license, adminUrl, source: "debian-root", stop };
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
