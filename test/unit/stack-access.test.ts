/**
 * The roles, grants, extensions and tenant policies of the stacks/ program
 * under pulumi.runtime.setMocks: what is declared with `@pulumi/postgresql`,
 * with which inputs, through which provider, and what depends on what (the
 * mock monitor's requests carry the dependencies the engine would see). The
 * `@pulumi/postgresql` plugin cannot run here; the e2e tests create the same
 * roles with SQL.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { Hypertable, Policy, requireRowLevelSecurity, Table } from "pgstrata";
import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { loadStackConfig } from "../../stacks/config";
import { stackDatabase } from "../../stacks/database";
import { applicationDatabase, TENANT_SCHEMAS } from "../../stacks/model";
import { TENANT_EXPRESSION } from "../../stacks/tenancy";

type Registered = { type: string; name: string; urn: string; inputs: Record<string, unknown>; provider: string; dependencies: string[] };
let registered: Registered[] = [];

/** The monitor's request, as the engine would get it: the dependencies and provider reference of each registration. */
const requests = new Map<string, { dependencies: string[]; provider: string }>();
const original = MockMonitor.prototype.registerResource;
MockMonitor.prototype.registerResource = function (this: MockMonitor, req: { getType(): string; getName(): string; getDependenciesList(): string[]; getProvider(): string }, callback: unknown) {
  requests.set(`${req.getType()}::${req.getName()}`, { dependencies: req.getDependenciesList(), provider: req.getProvider() });
  return original.call(this, req as never, callback as never);
};

beforeAll(() =>
  pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({ type: args.type, name: args.name, urn: `urn:pulumi:dev::pgstrata::${args.type}::${args.name}`, inputs: args.inputs, provider: args.provider ?? "", dependencies: [] });
        const generated = args.type === "random:index/randomPassword:RandomPassword" ? { result: "generated-password" } : {};
        return { id: `${args.name}_id`, state: { ...args.inputs, ...generated } };
      },
      call: () => ({}),
    },
    "pgstrata",
    "dev",
  ),
);

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));
async function program(url = "postgres://deployer:s3cret@db.internal:6432/appdb?sslmode=require") {
  pulumi.runtime.setAllConfig({ "pgstrata:databaseUrl": url }, ["pgstrata:databaseUrl"]);
  registered = [];
  requests.clear();
  const cfg = loadStackConfig("prod");
  const db = applicationDatabase(cfg, stackDatabase(cfg, "prod").connection);
  await settle();
  for (const r of registered) Object.assign(r, requests.get(`${r.type}::${r.name}`));
  return db;
}
const byType = (type: string) => registered.filter((r) => r.type === type);
const one = (type: string, name: string) => registered.find((r) => r.type === type && r.name === name)!;
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const isSecret = (v: unknown) => typeof v === "object" && v !== null && SECRET_SIG in v;
const plain = (v: unknown) => (isSecret(v) ? (v as unknown as { value: unknown }).value : v);

test("one postgresql.Provider, configured from the stack's connection (the password a secret)", async () => {
  await program();
  const providers = byType("pulumi:providers:postgresql");
  expect(providers).toHaveLength(1);
  const p = providers[0].inputs;
  expect(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, plain(v)]))).toMatchObject({
    host: "db.internal",
    port: "6432",
    database: "appdb",
    username: "deployer",
    password: "s3cret",
    sslmode: "require",
    superuser: "false",
  });
  expect(isSecret(p.password)).toBe(true);
  // every @pulumi/postgresql resource goes through it
  for (const r of registered.filter((r) => r.type.startsWith("postgresql:"))) expect(r.provider).toMatch(/^urn:pulumi:.*::pulumi:providers:postgresql::postgresql::/);
});

test("roles: app_owner and app_readonly NOLOGIN, app_user LOGIN with a generated secret password; none bypasses RLS", async () => {
  await program();
  const roles = Object.fromEntries(byType("postgresql:index/role:Role").map((r) => [r.name, r.inputs]));
  expect(Object.keys(roles).sort()).toEqual(["app_owner", "app_readonly", "app_user"]);
  expect(roles.app_owner).toMatchObject({ name: "app_owner", login: false, bypassRowLevelSecurity: false });
  expect(roles.app_readonly).toMatchObject({ name: "app_readonly", login: false, bypassRowLevelSecurity: false });
  expect(roles.app_user).toMatchObject({ name: "app_user", login: true, bypassRowLevelSecurity: false });
  expect(isSecret(roles.app_user.password)).toBe(true);
  expect(plain(roles.app_user.password)).toBe("generated-password");
});

test("extensions: timescaledb, vector, pg_partman in schema partman, pg_cron in pg_cron's database; hypertables wait for timescaledb", async () => {
  await program();
  const ext = Object.fromEntries(byType("postgresql:index/extension:Extension").map((r) => [r.name, r.inputs]));
  expect(ext).toEqual({
    timescaledb: { name: "timescaledb", database: "appdb" },
    vector: { name: "vector", database: "appdb" },
    pg_partman: { name: "pg_partman", database: "appdb", schema: "partman" },
    pg_cron: { name: "pg_cron", database: "postgres" },
  });
  expect(one("postgresql:index/extension:Extension", "pg_partman").dependencies).toContain(one("postgresql:index/schema:Schema", "partman").urn);
  const timescaledb = one("postgresql:index/extension:Extension", "timescaledb").urn;
  for (const h of byType("pulumi-nodejs:dynamic/pgstrata:Hypertable")) expect({ [h.name]: h.dependencies }).toEqual({ [h.name]: expect.arrayContaining([timescaledb]) });
});

test("grants: per role and schema, USAGE (app_owner: CREATE too) and table privileges on the named tables, after the tables", async () => {
  await program();
  const grants = byType("postgresql:index/grant:Grant").map((g) => ({ name: g.name, ...g.inputs }));
  expect(grants.map((g) => g.name).sort()).toEqual(
    ["app", "ops", "events"].flatMap((s) => ["app", "owner", "readonly"].flatMap((r) => [`${s}.${r}.tables`, `${s}.${r}.usage`])).sort(),
  );
  expect(grants.find((g) => g.name === "app.app.tables")).toMatchObject({ database: "appdb", role: "app_user", schema: "app", objectType: "table", objects: ["accounts", "documents"], privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] });
  expect(grants.find((g) => g.name === "events.readonly.tables")).toMatchObject({ role: "app_readonly", schema: "events", objects: ["event_store"], privileges: ["SELECT"] });
  expect(grants.find((g) => g.name === "app.owner.usage")).toMatchObject({ role: "app_owner", objectType: "schema", privileges: ["CREATE", "USAGE"] });
  expect(grants.find((g) => g.name === "app.app.usage")).toMatchObject({ role: "app_user", objectType: "schema", privileges: ["USAGE"] });
  const tables = one("postgresql:index/grant:Grant", "app.app.tables").dependencies;
  expect(tables).toEqual(expect.arrayContaining([one("pulumi-nodejs:dynamic/pgstrata:Table", "app.accounts").urn, one("pulumi-nodejs:dynamic/pgstrata:Table", "app.documents").urn]));
});

test("tenant tables carry tenant_id and forced row security; each has a tenant policy naming the roles, created after them and its table", async () => {
  await program();
  const tables = byType("pulumi-nodejs:dynamic/pgstrata:Table").filter((t) => t.inputs.rowLevelSecurity !== undefined);
  expect(tables.map((t) => t.name).sort()).toEqual(["app.accounts", "app.documents", "events.event_store", "ops.audit_logs", "ops.system_metrics"]);
  for (const t of tables) {
    expect(t.inputs.rowLevelSecurity).toEqual({ enabled: true, forced: true });
    expect(t.inputs.columns).toContainEqual({ name: "tenant_id", type: "uuid", nullable: false });
  }
  const roles = Object.fromEntries(byType("postgresql:index/role:Role").map((r) => [r.name, r.urn]));
  for (const t of tables) {
    const policy = one("pulumi-nodejs:dynamic/pgstrata:Policy", `${t.name}.tenant_isolation`);
    expect(policy.inputs).toMatchObject({ schema: t.inputs.schema, table: t.inputs.name, name: "tenant_isolation", roles: ["app_user", "app_readonly"], using: TENANT_EXPRESSION });
    expect(policy.dependencies).toEqual(expect.arrayContaining([t.urn, roles.app_user, roles.app_readonly]));
  }
});

test("requireRowLevelSecurity: the model passes; a tenant table without forced RLS or a policy fails the program naming it", async () => {
  const db = await program();
  expect(TENANT_SCHEMAS).toEqual(["app", "ops"]);
  expect(db.rowLevelSecurity).toEqual(["app.accounts", "app.documents", "ops.audit_logs", "ops.system_metrics"]);

  const connection = { url: "postgres://app@db:5432/app" };
  const bare = new Table("app.bare", { connection, schema: "app", name: "bare", columns: [{ name: "tenant_id", type: "uuid" }], rowLevelSecurity: { enabled: true } });
  const unpoliced = new Table("ops.unpoliced", { connection, schema: "ops", name: "unpoliced", columns: [{ name: "tenant_id", type: "uuid" }], rowLevelSecurity: { enabled: true, forced: true } });
  const elsewhere = new Table("analytics.free", { connection, schema: "analytics", name: "free", columns: [{ name: "x", type: "int" }] });
  const policy = new Policy("app.bare.p", { connection, table: bare, name: "p", using: "true" });
  expect(() => requireRowLevelSecurity({ schemas: TENANT_SCHEMAS }, { tables: [...db.tenantTables, bare, unpoliced, elsewhere], policies: [...db.policies, policy] })).toThrow(
    new Error(
      "requireRowLevelSecurity: every table of schemas app, ops must have rowLevelSecurity: { enabled: true, forced: true } and at least one Policy:\n" +
        "  table app.bare: rowLevelSecurity.forced is not true (its owner bypasses the policies)\n" +
        "  table ops.unpoliced: no Policy is declared for it\n" +
        "Declare them (or move the table out of these schemas).",
    ),
  );
  const computed = new Table("app.computed", { connection, schema: pulumi.output("app"), name: "computed", columns: [{ name: "x", type: "int" }] });
  expect(() => requireRowLevelSecurity({ schemas: TENANT_SCHEMAS }, { tables: [computed], policies: [] })).toThrow(
    "requireRowLevelSecurity: the schema of table resource computed is not a plain value (an output of another resource): declare it literally so the rule can be judged before anything runs",
  );
});

test("compression and row security declared on one hypertable fail its check, naming both resources (TimescaleDB refuses the pair)", async () => {
  registered = [];
  const connection = { url: "postgres://app@db:5432/app" };
  const table = new Table("app.readings", {
    connection,
    schema: "app",
    name: "readings",
    columns: [{ name: "tenant_id", type: "uuid", nullable: false }, { name: "at", type: "timestamptz", nullable: false }],
    rowLevelSecurity: { enabled: true, forced: true },
  });
  new Hypertable("app.readings", { connection, table, timeColumn: "at", compression: { segmentBy: ["tenant_id"] } });
  await settle();
  const inputs = one("pulumi-nodejs:dynamic/pgstrata:Hypertable", "app.readings").inputs;
  const { failures } = await providerFor(hypertableKind).check!({}, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, plain(v)])));
  expect(failures).toEqual([
    {
      property: "compression",
      reason: expect.stringMatching(/^compression of Hypertable app\.readings and rowLevelSecurity of Table app\.readings cannot both be declared on app\.readings: TimescaleDB refuses/),
    },
  ]);
});
