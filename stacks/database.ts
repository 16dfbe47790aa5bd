import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Connection } from "pgstrata";
import { StackConfig } from "./config";

/** The image of the dev database: PostgreSQL 17 with TimescaleDB (community license) and pgvector. */
export const DEV_IMAGE = "timescale/timescaledb-ha:pg17";

/** Where the schema lives, and what must exist before anything connects to it. */
export interface StackDatabase {
  /** The connection every pgstrata resource of the stack uses (a Pulumi secret). */
  connection: pulumi.Output<Connection>;
  /** With `database: docker`: the container; resources that connect depend on it through `connection`. */
  container?: docker.Container;
}

/**
 * The stack's database. `database: url` (prod): the secret `databaseUrl` (or
 * `$DATABASE_URL`). `database: docker` (dev): a `timescale/timescaledb-ha:pg17`
 * container with a named volume (`pgstrata-<stack>-data`, kept across
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
  const image = new docker.RemoteImage(`${stack}-db-image`, { name: DEV_IMAGE, keepLocally: true });
  const volume = new docker.Volume(`${stack}-db-data`, { name: `pgstrata-${stack}-data` });
  const container = new docker.Container(
    `${stack}-db`,
    {
      name: `pgstrata-${stack}-db`,
      image: image.imageId,
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
