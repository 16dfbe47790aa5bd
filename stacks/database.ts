import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Connection } from "pgstrata";
import { StackConfig } from "./config";

/**
 * The image the dev database is built from: PostgreSQL 17 with TimescaleDB
 * (community license), pgvector and pg_cron, but not pg_partman, and with only
 * TimescaleDB (and pg_textsearch) in `shared_preload_libraries`
 * (timescale/timescaledb-docker-ha, Dockerfile).
 */
export const DEV_BASE_IMAGE = "timescale/timescaledb-ha:pg17";

/** The dev database's image: {@link DEV_BASE_IMAGE} plus pg_partman (stacks/dev-database/Dockerfile), built on the Docker engine, never pushed. */
export const DEV_IMAGE = "pgstrata-dev-db:pg17";

/**
 * What the stacks need of the dev server beyond the image's defaults, as
 * `postgres -c` arguments: pg_cron works only when preloaded (its scheduler
 * is a background worker started at server start), and runs jobs from the
 * database `cron.database_name`, where stacks/access.ts creates the extension
 * (`postgres`, also pg_cron's default, stated so that a changed default
 * cannot move it).
 */
export const DEV_SERVER_SETTINGS: Record<string, string> = {
  shared_preload_libraries: "timescaledb,pg_cron",
  "cron.database_name": "postgres",
};

/** Where the schema lives, and what must exist before anything connects to it. */
export interface StackDatabase {
  /** The connection every pgstrata resource of the stack uses (a Pulumi secret). */
  connection: pulumi.Output<Connection>;
  /** With `database: docker`: the container; resources that connect depend on it through `connection`. */
  container?: docker.Container;
}

/**
 * The stack's database. `database: url` (prod): the secret `databaseUrl` (or
 * `$DATABASE_URL`). `database: docker` (dev): a container of {@link DEV_IMAGE}
 * started with {@link DEV_SERVER_SETTINGS}, with a named volume (`pgstrata-<stack>-data`, kept across
 * `pulumi up`s), a health check (`pg_isready`; `pulumi up` waits until it
 * passes), PostgreSQL published on `127.0.0.1:<dockerPort>` only, and a
 * generated 32-character password kept as a Pulumi secret; the connection is
 * built from the container's outputs, so every resource that uses it waits
 * for the container.
 */
export function stackDatabase(cfg: StackConfig, stack = pulumi.getStack()): StackDatabase {
  const timeouts = { lockTimeout: cfg.lockTimeout, statementTimeout: cfg.statementTimeout };
  if (cfg.database === "url") return { connection: pulumi.secret({ url: cfg.url!, ...timeouts }) };

  const password = new random.RandomPassword(`${stack}-db-password`, { length: 32, special: false });
  const image = new docker.Image(`${stack}-db-image`, {
    imageName: DEV_IMAGE,
    build: { context: "stacks/dev-database", args: { BASE_IMAGE: DEV_BASE_IMAGE } },
    skipPush: true,
  });
  const volume = new docker.Volume(`${stack}-db-data`, { name: `pgstrata-${stack}-data` });
  const container = new docker.Container(
    `${stack}-db`,
    {
      name: `pgstrata-${stack}-db`,
      image: image.repoDigest,
      command: ["postgres", ...Object.entries(DEV_SERVER_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`])],
      envs: [pulumi.interpolate`POSTGRES_PASSWORD=${password.result}`],
      ports: [{ internal: 5432, external: cfg.dockerPort, ip: "127.0.0.1" }],
      volumes: [{ volumeName: volume.name, containerPath: "/home/postgres/pgdata" }],
      healthcheck: { tests: ["CMD-SHELL", "pg_isready -h 127.0.0.1 -U postgres"], interval: "2s", timeout: "5s", retries: 60, startPeriod: "5s" },
      wait: true,
      waitTimeout: 180,
      restart: "unless-stopped",
    },
    { additionalSecretOutputs: ["envs"] },
  );
  const connection = pulumi
    .all([container.ports, password.result])
    .apply(([ports, secret]): Connection => ({ host: ports![0].ip!, port: ports![0].external!, database: "postgres", user: "postgres", password: secret, sslmode: "disable", ...timeouts }));
  return { connection: pulumi.secret(connection), container };
}
