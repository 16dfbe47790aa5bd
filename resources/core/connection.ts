import { Pool, PoolClient } from "pg";
import { z } from "zod";
import { canonicalJson } from "./compare";
import { once } from "./once";
import { schemaName } from "./spec";
import { DEFAULT_LOCK_TIMEOUT, DEFAULT_STATEMENT_TIMEOUT, sessionOptions } from "./session";

/**
 * How a resource reaches its database. Pass it as a Pulumi secret: the whole
 * object (password included) then stays encrypted in the stack's state.
 *
 * Either `url` (`postgres://user:password@host:5432/db?sslmode=require`) or the
 * discrete fields. `lockTimeout` (default `5s`) bounds how long DDL waits for a
 * lock — a short value makes a busy table fail the step instead of queueing all
 * traffic behind an ACCESS EXCLUSIVE request; `statementTimeout` (default
 * `15min`) bounds each statement. Both are PostgreSQL intervals (docs §20.11.1
 * "Statement Behavior").
 */
export interface Connection {
  url?: string;
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** TLS as libpq's sslmode (`prefer` and `allow` are not supported: choose). Default: as the URL says, else `disable`. */
  sslmode?: "disable" | "require" | "verify-ca" | "verify-full";
  lockTimeout?: string;
  statementTimeout?: string;
  /** Schemas holding extensions outside `public` (e.g. `["extensions"]` where pgvector lives there), added to every session's search_path. Default none. */
  extensionSchemas?: string[];
}


/** The zod schema of {@link Connection}, built once per process. */
export const connectionSchema = once(() => {
  const timeout = z.string().regex(/^\d+\s*(ms|s|min|h|d)?$/, "write a PostgreSQL duration such as '5s', '500ms' or '15min'");
  return z
    .strictObject({
      url: z.string().regex(/^postgres(ql)?:\/\//, "must start with postgres:// or postgresql://").optional(),
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65535).optional(),
      database: z.string().min(1).optional(),
      user: z.string().min(1).optional(),
      password: z.string().optional(),
      sslmode: z.enum(["disable", "require", "verify-ca", "verify-full"], { error: "use disable, require, verify-ca or verify-full (prefer and allow, which fall back silently, are not supported)" }).optional(),
      lockTimeout: timeout.default(DEFAULT_LOCK_TIMEOUT),
      statementTimeout: timeout.default(DEFAULT_STATEMENT_TIMEOUT),
      extensionSchemas: z.array(schemaName()).optional(),
    })
    .refine((c) => c.url !== undefined || c.host !== undefined, {
      message: "give either url or host (with port, database, user, password)",
    });
});

/** Pools by connection (canonical JSON): its timeouts are session settings of the pool. */
const pools = new Map<string, Pool>();

/** The pool for a connection, created on first use, so every provider call in one provider process reuses it. */
function poolFor(connection: Connection): Pool {
  const key = canonicalJson(connection);
  let pool = pools.get(key);
  if (!pool) {
    // libpq's meanings (docs §32.19.1): require encrypts without verifying,
    // verify-ca checks the chain but not the host name, verify-full both.
    const ssl = {
      disable: undefined,
      require: { rejectUnauthorized: false },
      "verify-ca": { rejectUnauthorized: true, checkServerIdentity: () => undefined },
      "verify-full": { rejectUnauthorized: true },
    }[connection.sslmode ?? "disable"];
    pool = new Pool({
      connectionString: connection.url,
      host: connection.host,
      port: connection.port,
      database: connection.database,
      user: connection.user,
      password: connection.password,
      ssl,
      max: 4,
      idleTimeoutMillis: 10_000,
      allowExitOnIdle: true,
      application_name: "pgstrata",
      options: sessionOptions(connection),
    });
    // An idle client whose server went away (restart, terminated backend) is
    // discarded by the pool; the next query reconnects. Nothing to report.
    pool.on("error", () => undefined);
    pools.set(key, pool);
  }
  return pool;
}

/** Borrows a client for `fn` and always gives it back. */
export async function withClient<T>(connection: Connection, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await poolFor(connection).connect();
  try {
    return await fn(client);
  } finally {
    client.release();
  }
}
