import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { Connection, Table } from "pgstrata";

/**
 * Roles, grants and extensions, declared with `@pulumi/postgresql` (the
 * Terraform-bridged provider: cluster-level objects and privileges, which
 * pgstrata does not model), through one `postgresql.Provider` configured
 * from the same stack connection as the pgstrata resources.
 */

/** The `postgresql.Provider` arguments for a pgstrata connection (a URL, as libpq reads it, or its discrete fields). */
export function providerArgs(c: Connection) {
  const u = c.url === undefined ? undefined : new URL(c.url);
  const part = (v: string | undefined) => (v === undefined || v === "" ? undefined : decodeURIComponent(v));
  return {
    host: part(u?.hostname) ?? c.host ?? "localhost",
    port: Number(u?.port || c.port || 5432),
    database: part(u?.pathname.replace(/^\//, "")) ?? c.database ?? "postgres",
    username: part(u?.username) ?? c.user ?? "postgres",
    password: part(u?.password) ?? c.password ?? "",
    sslmode: u?.searchParams.get("sslmode") ?? c.sslmode ?? "disable",
  };
}

/**
 * The extensions the model needs. pg_partman lives in its own schema
 * `partman`; pg_cron only in the database named by `cron.database_name`
 * (default `postgres`), from where `cron.schedule_in_database` runs jobs in
 * this one.
 */
function extensions(database: pulumi.Output<string>, opts: pulumi.CustomResourceOptions) {
  const partmanSchema = new postgresql.Schema("partman", { name: "partman", database }, opts);
  return {
    timescaledb: new postgresql.Extension("timescaledb", { name: "timescaledb", database }, opts),
    vector: new postgresql.Extension("vector", { name: "vector", database }, opts),
    pgPartman: new postgresql.Extension("pg_partman", { name: "pg_partman", database, schema: partmanSchema.name }, opts),
    pgCron: new postgresql.Extension("pg_cron", { name: "pg_cron", database: "postgres" }, opts),
  };
}

/**
 * The roles: `app_owner` (what migrations run as, `SET ROLE app_owner`; the
 * tables' owner is the connection's user, which is why every tenant table is
 * `forced`), `app_user` (the application: LOGIN, a generated password kept as
 * a Pulumi secret, no BYPASSRLS, subject to every tenant policy),
 * `app_readonly` (reporting, NOLOGIN: grant it to login roles).
 */
function roles(opts: pulumi.CustomResourceOptions) {
  const password = new random.RandomPassword("app_user-password", { length: 32, special: false });
  return {
    owner: new postgresql.Role("app_owner", { name: "app_owner", login: false, bypassRowLevelSecurity: false }, opts),
    app: new postgresql.Role("app_user", { name: "app_user", login: true, password: password.result, bypassRowLevelSecurity: false }, opts),
    readonly: new postgresql.Role("app_readonly", { name: "app_readonly", login: false, bypassRowLevelSecurity: false }, opts),
    appPassword: password.result,
  };
}

/** Privileges on tables, by role. Tables are named (`objects`): `ALL TABLES IN SCHEMA` would also reach partitions, around their parent's policies. */
const TABLE_PRIVILEGES = {
  owner: ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"],
  app: ["SELECT", "INSERT", "UPDATE", "DELETE"],
  readonly: ["SELECT"],
} as const;

/**
 * The provider, extensions and roles, and `grantTables`, which grants each
 * role USAGE on a schema and its privileges on the given tables of it
 * (`app_owner` also CREATE). Grants depend on the tables they name.
 */
export function databaseAccess(connection: pulumi.Output<Connection>) {
  const target = connection.apply(providerArgs);
  // Only the password stays secret: the rest names the database in plain sight (grants, extensions, previews).
  const visible = <T>(value: pulumi.Output<T>) => pulumi.unsecret(value);
  const provider = new postgresql.Provider("postgresql", {
    host: visible(target.host),
    port: visible(target.port),
    database: visible(target.database),
    username: visible(target.username),
    password: pulumi.secret(target.password),
    sslmode: visible(target.sslmode),
    // Not a superuser: managed PostgreSQL (RDS, Azure, Cloud SQL) has none, and the provider then avoids what needs one.
    superuser: false,
  });
  const opts = { provider };
  const database = visible(target.database);
  const declaredRoles = roles(opts);

  function grantTables(schema: string, tables: Table[], who: (keyof typeof TABLE_PRIVILEGES)[] = ["owner", "app", "readonly"]): postgresql.Grant[] {
    return who.flatMap((key) => {
      const role = declaredRoles[key].name;
      const name = `${schema}.${key}`;
      return [
        new postgresql.Grant(`${name}.usage`, { database, role, schema, objectType: "schema", privileges: key === "owner" ? ["CREATE", "USAGE"] : ["USAGE"] }, { ...opts, dependsOn: tables }),
        new postgresql.Grant(
          `${name}.tables`,
          { database, role, schema, objectType: "table", objects: tables.map((t) => t.declared.name), privileges: [...TABLE_PRIVILEGES[key]] },
          { ...opts, dependsOn: tables },
        ),
      ];
    });
  }

  return { provider, extensions: extensions(database, opts), roles: declaredRoles, grantTables };
}
