import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import { Pool, PoolClient } from "pg";
import { z } from "zod";
import { canonicalJson } from "./compare";
import { ConnectionSettings, connectionSettings, SSL_MODE_ADVICE, SSL_MODES, SslMode } from "./connection-settings";
import { once } from "./once";
import { schemaName } from "./spec";
import { DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, sessionOptions } from "./session";

/**
 * How a resource reaches its database. Pass it as a Pulumi secret: the whole
 * object (password included) then stays encrypted in the stack's state.
 *
 * Either `url` (`postgres://user:password@host:5432/db?sslmode=require`) or the
 * discrete fields, or both: every setting has one source of truth, so a
 * setting given in the URL and in a field with different values is an error
 * at `check` naming both, as is a URL parameter pgstrata does not use and a
 * URL `options` that sets a session setting pgstrata owns (search_path,
 * TimeZone, DateStyle, IntervalStyle, standard_conforming_strings and the two
 * timeouts; see core/connection-settings.ts). `lockTimeout` (default `5s`)
 * bounds how long DDL waits for a lock — a short value makes a busy table fail
 * the step instead of queueing all traffic behind an ACCESS EXCLUSIVE request;
 * `statementTimeout` (default `15min`) bounds each statement. Both are
 * PostgreSQL intervals (docs §20.11.1 "Statement Behavior").
 */
export interface Connection {
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /**
   * TLS, as libpq's sslmode (docs §32.19.1): `disable` (default) plaintext;
   * `require` encrypts without verifying the certificate; `verify-ca` also
   * checks that a trusted CA signed it; `verify-full` also checks that it
   * names the host connected to. `prefer` and `allow`, which fall back to
   * plaintext silently, are not supported. Also `?sslmode=` in the URL.
   */
  sslmode?: SslMode;
  /**
   * For verify-ca and verify-full: path of the file (PEM) of the CA
   * certificate(s) to trust, on the machine running Pulumi (libpq's
   * sslrootcert). Default: the system's trusted CAs. Also `?sslrootcert=` in the URL.
   */
  sslrootcert?: string;
  lockTimeout?: string;
  statementTimeout?: string;
  /** Schemas holding extensions outside `public` (e.g. `["extensions"]` where pgvector lives there), added to every session's search_path. Default none. */
  extensionSchemas?: string[];
}


/** The largest lock_timeout / statement_timeout PostgreSQL accepts: INT_MAX milliseconds (docs §20.11.1). */
const MAX_TIMEOUT_MS = 2_147_483_647;
const MS_PER_UNIT: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
/** A PostgreSQL duration as `lockTimeout` / `statementTimeout` take it: a whole number and an optional unit of {@link MS_PER_UNIT}. */
const DURATION = /^(\d+)\s*(ms|s|min|h|d)?$/;

/** `'15min'` → 900000; a bare number is milliseconds, as in PostgreSQL. */
function durationMilliseconds(text: string): number {
  const [, n, unit = "ms"] = DURATION.exec(text) ?? [];
  return Number(n) * MS_PER_UNIT[unit];
}

/** The zod schema of {@link Connection}, built once per process. */
export const connectionSchema = once(() => {
  const timeout = z
    .string()
    .regex(DURATION, "write a PostgreSQL duration such as '5s', '500ms' or '15min'")
    .refine((t) => durationMilliseconds(t) <= MAX_TIMEOUT_MS, {
      error: (i) => `${JSON.stringify(i.input)} is out of range: PostgreSQL accepts at most ${MAX_TIMEOUT_MS} ms (about 24.8 days) for a timeout; use e.g. '15min', or 0 for none`,
    });
  return z
    .strictObject({
      url: z.string().regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://").optional(),
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65535).optional(),
      database: z.string().min(1).optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
      sslmode: z.enum(SSL_MODES, { error: SSL_MODE_ADVICE }).optional(),
      sslrootcert: z.string().min(1).optional(),
      lockTimeout: timeout.default(DEFAULT_LOCK_TIMEOUT),
      statementTimeout: timeout.default(DEFAULT_STATEMENT_TIMEOUT),
      extensionSchemas: z.array(schemaName()).optional(),
    })
    .refine((c) => c.url !== undefined || c.host !== undefined, {
      message: "give either url or host (with port, database, user, password)",
    })
    .superRefine((c, ctx) => {
      for (const p of connectionSettings(c).problems) ctx.addIssue({ code: "custom", path: [p.property], message: p.message });
    });
});

/** `connection` pointed at another database of the same server, with the same credentials and settings (e.g. pg_cron's database). */
export function inDatabase(connection: Connection, database: string): Connection {
  const other = { ...connection, ...(connection.database !== undefined || connection.url === undefined ? { database } : {}) };
  if (connection.url === undefined) return other;
  const url = new URL(connection.url);
  url.pathname = `/${encodeURIComponent(database)}`;
  if (url.searchParams.has("dbname")) url.searchParams.set("dbname", database);
  return { ...other, url: url.toString() };
}

/** Pools by connection (canonical JSON): its timeouts are session settings of the pool. */
const pools = new Map<string, Pool>();

/** Node's TLS options for a libpq sslmode (docs §32.19.1). */
function tlsOptions(settings: ConnectionSettings): ConnectionOptions | false {
  if (settings.sslmode === "disable") return false;
  if (settings.sslmode === "require") return { rejectUnauthorized: false };
  let ca: string | undefined;
  if (settings.sslrootcert !== undefined) {
    try {
      ca = readFileSync(settings.sslrootcert, "utf8");
    } catch (error) {
      throw new Error(`connection.sslrootcert ${settings.sslrootcert} cannot be read: ${(error as Error).message}`);
    }
  }
  return { rejectUnauthorized: true, ca, ...(settings.sslmode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}) };
}

/** The settings of a validated connection. */
function settingsOf(connection: Connection): ConnectionSettings {
  const { settings, problems } = connectionSettings(connection);
  if (!settings) throw new Error(`invalid connection: ${problems.map((p) => `connection.${p.property}: ${p.message}`).join("; ")}`);
  return settings;
}

/** The pool for a connection, created on first use, so every provider call in one provider process reuses it. */
function poolFor(connection: Connection, settings: ConnectionSettings): Pool {
  const key = canonicalJson(connection);
  let pool = pools.get(key);
  if (!pool) {
    // No connectionString: `settings` is the one source of every parameter.
    pool = new Pool({
      host: settings.host,
      port: settings.port,
      database: settings.database,
      user: settings.user,
      password: settings.password,
      ssl: tlsOptions(settings),
      max: 4,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: "pgstrata",
      options: sessionOptions(connection, settings.options),
    });
    // An idle client whose server went away (restart, terminated backend) is
    // discarded by the pool; the next query reconnects. Nothing to report.
    pool.on("error", () => undefined);
    pools.set(key, pool);
  }
  return pool;
}

/** Node's TLS error codes of a certificate that no trusted CA signed. */
const UNTRUSTED_CERTIFICATE = ["DEPTH_ZERO_SELF_SIGNED_CERT", "SELF_SIGNED_CERT_IN_CHAIN", "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY"];

/**
 * Borrows a client for `fn` and always gives it back (a client whose work
 * failed is discarded, not reused: its session may be gone or in an unknown
 * state). Every error names `resource`; a failure to connect also says
 * where it connected, with which sslmode, and the fix for an untrusted
 * certificate.
 */
export async function withClient<T>(resource: string, connection: Connection, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const settings = settingsOf(connection);
  let client: PoolClient;
  try {
    client = await poolFor(connection, settings).connect();
  } catch (error) {
    const e = error as Error & { code?: string };
    const where = `${settings.host ?? "localhost"}:${settings.port ?? 5432} (database ${settings.database ?? "(default)"}, user ${settings.user ?? "(default)"}, sslmode ${settings.sslmode})`;
    const fix = UNTRUSTED_CERTIFICATE.includes(e.code ?? "")
      ? ": the server's certificate is not signed by a CA this connection trusts; give connection.sslrootcert (the file of the CA that signed it), or use sslmode require to encrypt without verifying"
      : e.code === "ERR_TLS_CERT_ALTNAME_INVALID"
        ? ": the server's certificate does not name this host; connect by a host name it lists, or use sslmode verify-ca to check the CA only"
        : "";
    throw new Error(`${resource}: cannot connect to ${where}: ${e.message}${fix}`);
  }
  // A checked-out client whose session ends (terminated backend, failover)
  // emits 'error'; the failed query reports it, so the event needs no handling.
  const ignore = () => undefined;
  client.on("error", ignore);
  let failed = true;
  try {
    const result = await fn(client);
    failed = false;
    return result;
  } catch (error) {
    // Every error a user sees names the resource; the kinds' own errors
    // already do, starting with the kind's name (`Policy bad on app.docs: …`).
    const e = error as Error;
    if (!e.message.startsWith(resource.slice(0, resource.indexOf(" ") + 1))) e.message = `${resource}: ${e.message}`;
    throw e;
  } finally {
    client.off("error", ignore);
    client.release(failed);
  }
}
