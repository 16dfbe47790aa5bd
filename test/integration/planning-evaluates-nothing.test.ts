import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { tableKind } from "../../resources/table/kind";
import { scratchDatabase } from "../support/scratch";

/**
 * Planning (check, diff, and the observe → plan part of create/update) reads
 * catalogs and never evaluates the user's SQL expressions: a refused plan
 * leaves sequences where they were and other sessions alive.
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;
/** A second session per test, the target of pg_terminate_backend in the expressions below. */
let bystander: Client;
let bystanderPid: number;

beforeAll(async () => {
  db = await scratchDatabase("planning_evaluates_nothing");
  await db.sql.query("CREATE SCHEMA app; CREATE SEQUENCE app.ticket; SELECT nextval('app.ticket')");
});
afterAll(() => db.close());
beforeEach(async () => {
  bystander = new Client({ connectionString: db.url });
  bystander.on("error", () => undefined);
  await bystander.connect();
  bystanderPid = (await bystander.query("SELECT pg_backend_pid() AS pid")).rows[0].pid;
});
afterEach(() => bystander.end().catch(() => undefined));

const provider = providerFor(tableKind);
const base = { schema: "app", name: "orders", columns: [{ name: "id", type: "bigint" }, { name: "note", type: "text" }] };
const inputs = (spec: object) => ({ connection: { url: db.url }, ...base, ...spec });
let id: string;
let outs: Record<string, unknown>;

beforeAll(async () => {
  ({ id, outs } = await provider.create((await provider.check!({}, inputs({}))).inputs));
  await db.sql.query("INSERT INTO app.orders VALUES (1, 'a'), (2, 'b')");
});

const ticket = async () => (await db.sql.query("SELECT last_value::int AS v, is_called FROM app.ticket")).rows[0];
const bystanderAlive = async () => (await bystander.query("SELECT 1 AS one")).rows[0].one === 1;

/** check, diff, the read-only plan (preview) and update of `spec`, whose plan must be refused (it drops the column "note", which holds rows). */
const refusedPlan = async (spec: object) => {
  const news = (await provider.check!(outs, inputs({ columns: [base.columns[0]], ...spec }))).inputs;
  await expect(provider.diff!(id, outs, news)).rejects.toThrow(/refusing to apply a plan with hazards/);
  expect((await provider.plan(news)).refused.map((h) => h.kind)).toContain("data-loss");
  await expect(provider.update!(id, outs, news)).rejects.toThrow(/refusing to apply a plan with hazards/);
};

test("a default calling nextval: a refused plan leaves the sequence where it was", async () => {
  const before = await ticket();
  await refusedPlan({ columns: [base.columns[0], { name: "n", type: "bigint", default: "nextval('app.ticket')" }] });
  expect(await ticket()).toEqual(before);
});

test("a default calling pg_terminate_backend: a refused plan terminates nobody", async () => {
  await refusedPlan({ columns: [base.columns[0], { name: "k", type: "boolean", default: `pg_terminate_backend(${bystanderPid})` }] });
  expect(await bystanderAlive()).toBe(true);
});

test("a CHECK calling pg_terminate_backend: a refused plan terminates nobody", async () => {
  await refusedPlan({ checkConstraints: [{ name: "kill", expression: `pg_terminate_backend(${bystanderPid}) OR id > 0` }] });
  expect(await bystanderAlive()).toBe(true);
});

test("the volatility of a default is still known without evaluating it: nextval is volatile (table-rewrite), a constant is not", async () => {
  const before = await ticket();
  const withDefault = (d: string) => inputs({ columns: [...base.columns, { name: "n", type: "bigint", default: d }] });
  await expect(provider.update!(id, outs, (await provider.check!(outs, withDefault("nextval('app.ticket')"))).inputs)).rejects.toThrow(
    /\[table-rewrite\] adding column "n" of app\.orders with the volatile default nextval\('app\.ticket'::regclass\) rewrites 2 rows/,
  );
  expect(await ticket()).toEqual(before);
  const constant = await provider.update!(id, outs, (await provider.check!(outs, withDefault("7 * 6"))).inputs);
  expect(constant.outs.appliedSql).toEqual(['ALTER TABLE "app"."orders" ADD COLUMN "n" bigint DEFAULT (7 * 6)']);
});
