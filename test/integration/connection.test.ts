/**
 * Connection settings have one source of truth, and `sslmode` means what libpq
 * documents (PostgreSQL docs §32.19.1 "Protection Provided in Different Modes"),
 * proven against the test server with TLS on and a self-signed certificate
 * made here.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { Connection, connectionSchema, withClient } from "../../resources/core/connection";
import { providerFor } from "../../resources/core/provider";
import { schemaKind } from "../../resources/schema/kind";
import { testAdminUrl } from "../support/database";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let certDir: string;
/** The self-signed certificate the server presents (CN and SAN `pgstrata-test.invalid`, not 127.0.0.1). */
let certFile: string;

const schemas = providerFor(schemaKind);
const UNREACHABLE = "postgres://nobody@127.0.0.1:9/nowhere";

/** The server's own files for TLS, written through SQL so this works for any test server source. */
async function enableServerTls(admin: Client, cert: string, key: string): Promise<void> {
  const dir = (await admin.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0].d;
  for (const [name, text] of [["pgstrata-test.crt", cert], ["pgstrata-test.key", key]]) {
    const { rows } = await admin.query<{ o: number }>("SELECT lo_from_bytea(0, $1) AS o", [Buffer.from(text)]);
    await admin.query("SELECT lo_export($1, $2), lo_unlink($1)", [rows[0].o, `${dir}/${name}`]);
  }
  // lo_export creates files 0644; the server refuses a key file with group or world access.
  // No rows go to chmod, which reads none: a row written after it exited failed the COPY with
  // "could not close pipe to external command: Broken pipe" (seen once on a loaded machine).
  await admin.query(`DO $$ BEGIN EXECUTE format('COPY (SELECT WHERE false) TO PROGRAM %L', 'chmod 600 ' || quote_ident(current_setting('data_directory')) || '/pgstrata-test.key'); END $$`);
  await admin.query("ALTER SYSTEM SET ssl_cert_file = 'pgstrata-test.crt'");
  await admin.query("ALTER SYSTEM SET ssl_key_file = 'pgstrata-test.key'");
  await admin.query("ALTER SYSTEM SET ssl = on");
  await admin.query("SELECT pg_reload_conf()");
}

async function disableServerTls(admin: Client): Promise<void> {
  await admin.query("ALTER SYSTEM RESET ssl");
  await admin.query("ALTER SYSTEM RESET ssl_cert_file");
  await admin.query("ALTER SYSTEM RESET ssl_key_file");
  await admin.query("SELECT pg_reload_conf()");
}

async function withAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: testAdminUrl() });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

beforeAll(async () => {
  db = await scratchDatabase("connection");
  certDir = mkdtempSync(path.join(tmpdir(), "pgstrata-tls-"));
  certFile = path.join(certDir, "server.crt");
  const keyFile = path.join(certDir, "server.key");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=pgstrata-test.invalid",
    "-addext", "subjectAltName=DNS:pgstrata-test.invalid", "-addext", "basicConstraints=critical,CA:TRUE",
    "-keyout", keyFile, "-out", certFile,
  ], { stdio: "pipe" });
  await withAdmin((admin) => enableServerTls(admin, readFileSync(certFile, "utf8"), readFileSync(keyFile, "utf8")));
});

afterAll(async () => {
  await withAdmin(disableServerTls);
  rmSync(certDir, { recursive: true, force: true });
  await db.close();
});

/** The connection as `check` leaves it (defaults filled), or the check failures. */
async function checked(connection: Record<string, unknown>) {
  return schemas.check!({}, { connection, name: "tls_probe" });
}

/** What the provider's own session reports about itself. */
async function session(connection: Record<string, unknown>) {
  const parsed = connectionSchema().parse(connection) as Connection;
  return withClient("test", parsed, async (c) =>
    (
      await c.query(`SELECT s.ssl, current_setting('search_path') AS search_path, current_setting('lock_timeout') AS lock_timeout,
                            current_setting('statement_timeout') AS statement_timeout, current_setting('TimeZone') AS timezone,
                            current_setting('work_mem') AS work_mem
                       FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()`)
    ).rows[0],
  );
}

const withParams = (params: string) => `${db.url}${db.url.includes("?") ? "&" : "?"}${params}`;

describe("sslmode means what libpq documents", () => {
  test("the server offers TLS (the setup worked)", async () => {
    const c = new Client({ connectionString: db.url, ssl: { rejectUnauthorized: false } });
    await c.connect();
    try {
      expect((await c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")).rows[0].ssl).toBe(true);
    } finally {
      await c.end();
    }
  });

  test("sslmode: require encrypts without verifying the certificate (self-signed is accepted)", async () => {
    expect(await session({ url: db.url, sslmode: "require" })).toMatchObject({ ssl: true });
  });

  test("?sslmode=require in the URL also encrypts without verifying", async () => {
    expect(await session({ url: withParams("sslmode=require") })).toMatchObject({ ssl: true });
  });

  test("sslmode: disable, and no sslmode at all, are plaintext", async () => {
    expect(await session({ url: db.url, sslmode: "disable" })).toMatchObject({ ssl: false });
    expect(await session({ url: db.url })).toMatchObject({ ssl: false });
  });

  test("sslmode: verify-full refuses the self-signed certificate with a clear error naming the resource and the fix", async () => {
    await expect(schemas.create({ connection: { url: db.url, sslmode: "verify-full" }, name: "tls_full" })).rejects.toThrow(
      /^Schema tls_full: cannot connect to 127\.0\.0\.1:\d+ \(database t_connection_\w+, user postgres, sslmode verify-full\): self[- ]signed certificate.*sslrootcert/s,
    );
  });

  test("verify-full with the certificate as sslrootcert still refuses: the host name 127.0.0.1 is not in it", async () => {
    await expect(session({ url: db.url, sslmode: "verify-full", sslrootcert: certFile })).rejects.toThrow(/sslmode verify-full.*127\.0\.0\.1/s);
  });

  test("verify-ca with the certificate as sslrootcert checks the chain but not the host name: connects encrypted", async () => {
    expect(await session({ url: db.url, sslmode: "verify-ca", sslrootcert: certFile })).toMatchObject({ ssl: true });
    expect(await session({ url: withParams(`sslmode=verify-ca&sslrootcert=${encodeURIComponent(certFile)}`) })).toMatchObject({ ssl: true });
  });

  test("verify-ca without sslrootcert verifies against the system's CAs and refuses the self-signed certificate", async () => {
    await expect(session({ url: db.url, sslmode: "verify-ca" })).rejects.toThrow(/self[- ]signed certificate/);
  });

  test("a sslrootcert that cannot be read is an error naming it", async () => {
    await expect(session({ url: db.url, sslmode: "verify-ca", sslrootcert: path.join(certDir, "missing.crt") })).rejects.toThrow(
      /connection\.sslrootcert .*missing\.crt.*cannot be read/,
    );
  });
});

describe("the provider's session settings survive what the URL says", () => {
  test("a URL with sslmode=require and options setting another parameter keeps every canonical setting", async () => {
    const s = await session({ url: withParams(`sslmode=require&options=${encodeURIComponent("-c work_mem=8MB")}`), lockTimeout: "3s" });
    expect(s).toEqual({ ssl: true, search_path: "pg_catalog,public", lock_timeout: "3s", statement_timeout: "15min", timezone: "UTC", work_mem: "8MB" });
  });
});

describe("conflicting or overriding settings are refused at check, naming both, before connecting", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["?sslmode=disable against sslmode: verify-full", { url: `${UNREACHABLE}?sslmode=disable`, sslmode: "verify-full" }, "connection.sslmode", /sslmode.*"verify-full".*connection\.url.*sslmode=disable/],
    ["?sslmode=require against sslmode: disable", { url: `${UNREACHABLE}?sslmode=require`, sslmode: "disable" }, "connection.sslmode", /connection\.url.*sslmode=require/],
    ["a URL host against host", { url: UNREACHABLE, host: "db.example" }, "connection.host", /"db\.example".*connection\.url.*127\.0\.0\.1/],
    ["a URL port against port", { url: UNREACHABLE, port: 5432 }, "connection.port", /5432.*connection\.url.*9/],
    ["a URL database against database", { url: UNREACHABLE, database: "other" }, "connection.database", /"other".*connection\.url.*nowhere/],
    ["a URL user against user", { url: UNREACHABLE, user: "app" }, "connection.user", /"app".*connection\.url.*nobody/],
    ["options setting search_path", { url: `${UNREACHABLE}?options=${encodeURIComponent("-c search_path=evil")}` }, "connection.url", /options.*search_path.*pgstrata sets it.*extensionSchemas/],
    ["options setting lock_timeout", { url: `${UNREACHABLE}?options=${encodeURIComponent("-c lock_timeout=0")}` }, "connection.url", /options.*lock_timeout.*lockTimeout/],
    ["options setting statement_timeout in long form", { url: `${UNREACHABLE}?options=${encodeURIComponent("--statement-timeout=0")}` }, "connection.url", /options.*statement_timeout.*statementTimeout/],
    ["options setting TimeZone", { url: `${UNREACHABLE}?options=${encodeURIComponent("-cTimeZone=Europe/Paris")}` }, "connection.url", /options.*timezone/i],
    ["a URL parameter pgstrata does not support", { url: `${UNREACHABLE}?sslmode=require&target_session_attrs=any` }, "connection.url", /target_session_attrs.*not supported/],
    ["sslmode prefer in the URL", { url: `${UNREACHABLE}?sslmode=prefer` }, "connection.url", /prefer.*disable, require, verify-ca or verify-full/],
    ["sslrootcert with require", { url: UNREACHABLE, sslmode: "require", sslrootcert: "/tmp/ca.crt" }, "connection.sslrootcert", /require.*verify-ca/],
  ];

  test.each(cases)("%s", async (_label, connection, property, reason) => {
    const { failures } = await checked(connection);
    expect(failures?.filter((f) => f.property === property).map((f) => f.reason)).toEqual([expect.stringMatching(reason)]);
    await expect(schemas.create({ connection, name: "never" })).rejects.toThrow(/^Schema: invalid inputs:/);
  });

  test("the same value given twice is not a conflict", async () => {
    expect((await checked({ url: `${UNREACHABLE}?sslmode=require`, sslmode: "require", host: "127.0.0.1", port: 9 })).failures).toBeUndefined();
  });
});
