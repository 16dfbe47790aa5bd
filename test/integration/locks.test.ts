/**
 * The apply locks (core/locks.ts): two applies of the same object serialize,
 * applies of independent objects overlap, and an apply whose steps cannot run
 * in a transaction keeps its locks until they ran. Made deterministic by
 * holding a table lock in another session, so that an apply stops mid-way.
 */
import { Client } from "pg";
import { Kind } from "../../resources/core/kind";
import { providerFor } from "../../resources/core/provider";
import { Step } from "../../resources/core/step";
import { schemaKind } from "../../resources/schema/kind";
import { tableKind } from "../../resources/table/kind";
import { TableSpec } from "../../resources/table/spec";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let blocker: Client;
beforeAll(async () => {
  db = await scratchDatabase("locks");
  blocker = new Client({ connectionString: db.url });
  await blocker.connect();
});
afterAll(async () => {
  await blocker.end();
  await db.close();
});

const provider = providerFor(tableKind);
const connection = () => ({ url: db.url, lockTimeout: "60s" });
const tableInputs = (name: string, extra: object = {}) => ({ connection: connection(), schema: "app", name, columns: [{ name: "id", type: "bigint" }], ...extra });

async function create(inputs: object) {
  const checked = (await provider.check!({}, inputs)).inputs;
  const { id, outs } = await provider.create(checked);
  return { id, outs };
}

async function update(id: string, outs: object, inputs: object) {
  return provider.update!(id, outs, (await provider.check!(outs, inputs)).inputs);
}

/** Resolves once a pgstrata session of this database waits on `waitEvent` (`relation`, `advisory`); polls the catalogs, no timing. */
async function sessionWaitingOn(waitEvent: string): Promise<void> {
  for (;;) {
    const { rows } = await db.sql.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pgstrata' AND wait_event_type = 'Lock' AND wait_event = $1",
      [waitEvent],
    );
    if (rows[0].n > 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Tracks whether a promise settled, to assert which applies are still waiting. */
function tracked<T>(p: Promise<T>) {
  const t = { settled: false, promise: p.finally(() => (t.settled = true)) };
  return t;
}

test("two applies of one table serialize; an apply of another table in the same schema runs meanwhile", async () => {
  await db.sql.query("CREATE SCHEMA app");
  const t1 = await create(tableInputs("t1"));
  const t2 = await create(tableInputs("t2"));
  // A new CHECK text: A canonicalizes it on a scratch table inside its apply transaction, which must keep A's locks.
  const t1WithColumn = tableInputs("t1", { columns: [{ name: "id", type: "bigint" }, { name: "note", type: "text" }], checkConstraints: [{ name: "id_positive", expression: "id > 0" }] });

  // Apply A of t1 stops at its ALTER TABLE, holding t1's apply lock.
  await blocker.query("BEGIN; LOCK TABLE app.t1 IN ACCESS SHARE MODE");
  const a = tracked(update(t1.id, t1.outs, t1WithColumn));
  await sessionWaitingOn("relation");
  // Apply B of the same table waits for A's lock, not for the table.
  const b = tracked(update(t1.id, t1.outs, { ...t1WithColumn, comment: "after A" }));
  await sessionWaitingOn("advisory");
  // Apply C of an independent table completes while A and B wait.
  const c = await update(t2.id, t2.outs, tableInputs("t2", { comment: "independent" }));
  expect(c.outs.appliedSql).toEqual([`COMMENT ON TABLE "app"."t2" IS 'independent'`]);
  expect([a.settled, b.settled]).toEqual([false, false]);

  await blocker.query("COMMIT");
  expect((await a.promise).outs.appliedSql).toEqual([`ALTER TABLE "app"."t1" ADD COLUMN "note" text`, `ALTER TABLE "app"."t1" ADD CONSTRAINT "id_positive" CHECK ((id > 0))`]);
  // B planned after A committed: it saw A's column and only adds its comment.
  expect((await b.promise).outs.appliedSql).toEqual([`COMMENT ON TABLE "app"."t1" IS 'after A'`]);
});

test("a change of a schema waits for the applies of tables in it", async () => {
  const schemas = providerFor(schemaKind);
  const schema = (await schemas.check!({}, { connection: connection(), name: "app" })).inputs;
  const { id, outs } = await schemas.create(schema);
  const t3 = tableInputs("t3");
  await blocker.query("BEGIN; LOCK TABLE app.t2 IN ACCESS SHARE MODE");
  const t2 = await create(tableInputs("t2"));
  const a = tracked(update(t2.id, t2.outs, tableInputs("t2", { columns: [{ name: "id", type: "bigint" }, { name: "later", type: "text" }] })));
  await sessionWaitingOn("relation");
  // Another table of the schema still goes ahead (both take the schema's lock shared) …
  await create(t3);
  // … but the schema's own apply waits until the table's apply is done.
  const s = tracked(schemas.update!(id, outs, (await schemas.check!(outs, { connection: connection(), name: "app", comment: "app schema" })).inputs));
  await sessionWaitingOn("advisory");
  expect([a.settled, s.settled]).toEqual([false, false]);
  await blocker.query("COMMIT");
  await a.promise;
  expect((await s.promise).outs.appliedSql).toEqual([`COMMENT ON SCHEMA "app" IS 'app schema'`]);
});

test("steps that cannot run in a transaction run after the read transaction commits, under session locks released at the end", async () => {
  // A kind whose plan holds a step outside any transaction (as CREATE INDEX CONCURRENTLY).
  const { type, schema, identity, locks, replaces, observe, drop } = tableKind;
  const concurrentKind: Kind<TableSpec, undefined> = {
    type, schema, identity, locks, replaces, observe,
    drop: (live) => drop(live, undefined),
    plan: (live, desired) => (live ? [] : [{ sql: `CREATE TABLE "app"."${desired.name}" (id bigint)`, hazards: [], transactional: false } satisfies Step]),
  };
  const concurrent = providerFor(concurrentKind);
  const { outs } = await concurrent.create((await concurrent.check!({}, tableInputs("t4"))).inputs);
  expect(outs.appliedSql).toEqual([`CREATE TABLE "app"."t4" (id bigint)`]);
  const { rows } = await db.sql.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory'");
  expect(rows[0].n).toBe(0);
});
