import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { indexKind } from "../../resources/table-index/kind";
import { partitionKind } from "../../resources/partition/kind";
import { policyKind } from "../../resources/policy/kind";
import { tableKind } from "../../resources/table/kind";
import { scratchDatabase } from "../support/scratch";

/**
 * A correct declaration planned while another session holds ACCESS EXCLUSIVE
 * on its table (a migration, a VACUUM FULL): the scratch check or read waits
 * for connection.lockTimeout and is stopped. The error says so and to run
 * again; it never blames the declaration, and nothing is changed.
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("stopped");
  await db.sql.query(`
    CREATE SCHEMA app;
    CREATE TABLE app.accounts (id bigint PRIMARY KEY, tenant_id bigint NOT NULL, balance int DEFAULT 0);
    INSERT INTO app.accounts VALUES (1, 1, 10);
    CREATE TABLE app.events (at timestamptz NOT NULL, kind text) PARTITION BY RANGE (at);`);
});
afterAll(() => db.close());

const connection = () => ({ url: db.url, lockTimeout: "500ms" });
/** Words of the errors that send the user to rewrite the declaration. */
const BLAME = /Fix|does not build|Give values|declare the table|Write one/;
const STOPPED = /stopped: canceling statement due to lock timeout \(another session holds a conflicting lock for longer than connection\.lockTimeout; the declaration is not at fault and nothing was changed: run again once the other session is done\)/;

/** Runs `fn` while another session holds ACCESS EXCLUSIVE on `table` in an open transaction; the lock is released however `fn` ends. */
async function whileLocked<T>(table: string, fn: () => Promise<T>): Promise<T> {
  const migration = new Client({ connectionString: db.url });
  await migration.connect();
  try {
    await migration.query(`BEGIN; LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
    return await fn();
  } finally {
    await migration.query("ROLLBACK");
    await migration.end();
  }
}

const failure = (p: Promise<unknown>) => p.then(() => "succeeded", (e: Error) => e.message);
const exists = async (relation: string) => (await db.sql.query("SELECT to_regclass($1) IS NOT NULL AS e", [relation])).rows[0].e as boolean;

test("Index: planning the create (the table's rows probe, the declared index on a scratch copy) is stopped, not refused", async () => {
  const provider = providerFor(indexKind);
  const inputs = (await provider.check!({}, { connection: connection(), schema: "app", table: "accounts", name: "accounts_tenant_idx", keys: [{ column: "tenant_id" }] })).inputs;
  const error = await whileLocked("app.accounts", () => failure(provider.create(inputs)));
  expect(error).toMatch(/^Index app\.accounts_tenant_idx: /);
  expect(error).toMatch(STOPPED);
  expect(error).not.toMatch(BLAME);
  expect(await exists("app.accounts_tenant_idx")).toBe(false);
  // Once released, the same declaration creates.
  await provider.create(inputs);
  expect(await exists("app.accounts_tenant_idx")).toBe(true);
});

test("Policy: the create's check of the expressions on a scratch copy of the table is stopped, not refused", async () => {
  const provider = providerFor(policyKind);
  const inputs = (await provider.check!({}, { connection: connection(), schema: "app", table: "accounts", name: "tenant_rows", using: "tenant_id = current_setting('app.tenant')::bigint" })).inputs;
  const error = await whileLocked("app.accounts", () => failure(provider.create(inputs)));
  expect(error).toMatch(/^Policy app\.accounts\.tenant_rows: checking the policy on a scratch copy of app\.accounts stopped: /);
  expect(error).toMatch(STOPPED);
  expect(error).not.toMatch(BLAME);
  expect((await db.sql.query("SELECT count(*)::int AS n FROM pg_policy WHERE polname = 'tenant_rows'")).rows[0].n).toBe(0);
});

test("Partition: the check of the bound on a scratch copy of the parent is stopped, not refused", async () => {
  const provider = providerFor(partitionKind);
  const inputs = (await provider.check!({}, { connection: connection(), schema: "app", parent: "events", name: "events_2026_01", bound: { from: "2026-01-01", to: "2026-02-01" } })).inputs;
  const error = await whileLocked("app.events", () => failure(provider.create(inputs)));
  expect(error).toMatch(/^Partition app\.events_2026_01: checking the bound on a scratch copy of app\.events stopped: /);
  expect(error).toMatch(STOPPED);
  expect(error).not.toMatch(BLAME);
  expect(await exists("app.events_2026_01")).toBe(false);
});

test("Table: planning a new CHECK and default (diff, read only) is stopped, not refused", async () => {
  const provider = providerFor(tableKind);
  const declared = (extra: object = {}) => ({
    connection: connection(),
    schema: "app",
    name: "accounts",
    columns: [
      { name: "id", type: "bigint", nullable: false },
      { name: "tenant_id", type: "bigint", nullable: false },
      { name: "balance", type: "int", default: "0" },
    ],
    primaryKey: { columns: ["id"] },
    ...extra,
  });
  const { outs } = await provider.create((await provider.check!({}, declared())).inputs);
  const changed = (await provider.check!(outs, declared({ checkConstraints: [{ name: "balance_positive", expression: "balance >= 0" }] }))).inputs;
  const error = await whileLocked("app.accounts", () => failure(provider.diff!("app.accounts", outs, changed)));
  expect(error).toMatch(/^Table app\.accounts: /);
  expect(error).toMatch(STOPPED);
  expect(error).not.toMatch(BLAME);
  // Once released, the same declaration plans.
  expect((await provider.diff!("app.accounts", outs, changed)).changes).toBe(true);
});

test("Table: the delete's count of the rows it would drop is stopped, not reported as a bare lock timeout; nothing is dropped", async () => {
  const provider = providerFor(tableKind);
  await db.sql.query("CREATE TABLE app.ledger (id bigint PRIMARY KEY); INSERT INTO app.ledger VALUES (1)");
  const inputs = (await provider.check!({}, { connection: connection(), schema: "app", name: "ledger", columns: [{ name: "id", type: "bigint" }], primaryKey: { columns: ["id"] } })).inputs;
  const { outs } = await provider.create(inputs);
  const error = await whileLocked("app.ledger", () => failure(provider.delete!("app.ledger", { ...outs, allowHazards: ["data-loss"] })));
  expect(error).toMatch(/^Table app\.ledger: planning the delete \(reading the object and what dropping it would lose\) stopped: /);
  expect(error).toMatch(STOPPED);
  expect(await exists("app.ledger")).toBe(true);
});
