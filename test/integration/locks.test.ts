/**
 * The apply locks (core/locks.ts): two applies of the same object serialize,
 * applies of independent objects overlap, and an apply whose steps cannot run
 * in a transaction keeps its locks until they ran. Made deterministic by
 * holding a table lock in another session, so that an apply stops mid-way.
 */
import { Client } from "pg";
import { continuousAggregateKind } from "../../resources/continuous-aggregate/kind";
import { Kind } from "../../resources/core/kind";
import { providerFor } from "../../resources/core/provider";
import { Step } from "../../resources/core/step";
import { partitionKind } from "../../resources/partition/kind";
import { policyKind } from "../../resources/policy/kind";
import { schemaKind } from "../../resources/schema/kind";
import { indexKind } from "../../resources/table-index/kind";
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

/** Tracks whether a promise settled, to assert which applies are still waiting. */
function tracked<T>(p: Promise<T>) {
  const t = { settled: false, promise: p.finally(() => (t.settled = true)) };
  return t;
}

/**
 * Resolves once a pgstrata session of this database waits on `waitEvent`
 * (`relation`, `advisory`) in a statement like `query`; polls the catalogs, no
 * timing. Throws when `apply` settles first (it failed instead of waiting).
 */
async function sessionWaitingOn(waitEvent: string, query = "%", apply?: ReturnType<typeof tracked>): Promise<void> {
  await sessionFound("wait_event_type = 'Lock' AND wait_event = $1 AND query LIKE $2", [waitEvent, query], `waiting on ${waitEvent} in ${query}`, apply);
}

/** Resolves once a pgstrata session of this database waits for another apply's locks (core/locks.ts marks its tries); as {@link sessionWaitingOn}. */
async function applyWaiting(apply?: ReturnType<typeof tracked>): Promise<void> {
  await sessionFound("query LIKE $1", ["%waiting for another apply's locks%"], "waiting for another apply's locks", apply);
}

async function sessionFound(where: string, values: string[], what: string, apply?: ReturnType<typeof tracked>): Promise<void> {
  for (;;) {
    const { rows } = await db.sql.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'pgstrata' AND ${where}`, values);
    if (rows[0].n > 0) return;
    if (apply?.settled) throw new Error(`the apply settled instead of ${what}: ${await apply.promise.then(() => "it succeeded", (e: Error) => e.message)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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
  await applyWaiting();
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
  await applyWaiting();
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

describe("applies touching one relation take turns instead of waiting for its table locks (lock_timeout 1s)", () => {
  // An index build held mid-way: its key calls gate(), which waits while the test holds advisory lock 4242 (lock_timeout 0 for that wait only).
  const GATE = 4242;
  const short = () => ({ url: db.url, lockTimeout: "1s" });
  const indexes = providerFor(indexKind);
  const tInputs = () => ({ connection: short(), schema: "rel", name: "t", columns: [{ name: "id", type: "bigint" }, { name: "v", type: "integer" }], primaryKey: { columns: ["id"] } });
  const childInputs = (foreignKeys: object[]) => ({
    connection: short(), schema: "rel", name: "child", columns: [{ name: "id", type: "bigint" }, { name: "t_id", type: "bigint" }], foreignKeys,
  });
  const childFk = { name: "child_t_fk", columns: ["t_id"], references: { table: { schema: "rel", name: "t" }, columns: ["id"] } };
  let t: Awaited<ReturnType<typeof create>>;
  beforeAll(async () => {
    await db.sql.query(`CREATE SCHEMA rel;
      CREATE FUNCTION public.gate(v integer) RETURNS integer IMMUTABLE LANGUAGE plpgsql SET lock_timeout = 0
        AS $$ BEGIN PERFORM pg_advisory_lock_shared(${GATE}); PERFORM pg_advisory_unlock_shared(${GATE}); RETURN v; END $$`);
    t = await create(tInputs());
    await db.sql.query("INSERT INTO rel.t SELECT i, i FROM generate_series(1, 1000) i");
  });

  const index = async (name: string, keys: object[], table = "t") => indexes.create((await indexes.check!({}, { connection: short(), schema: "rel", table, name, keys })).inputs);

  /**
   * Starts a build of index `gated` on rel.`table` and holds it in its CREATE
   * INDEX CONCURRENTLY (SHARE UPDATE EXCLUSIVE on the table, or on its first
   * partition when it is partitioned), runs `other` meanwhile,
   * which must wait for the build's apply lock (not for rel.t, where its
   * lock_timeout of 1s would fail it), then lets the build finish: the
   * outputs of both.
   */
  async function duringIndexBuild(gated: string, other: () => Promise<{ outs?: any }>, table = "t") {
    await blocker.query(`SELECT pg_advisory_lock(${GATE})`);
    try {
      const build = tracked(index(gated, [{ expression: "gate(v)" }], table));
      await sessionWaitingOn("advisory", "%CREATE INDEX CONCURRENTLY%", build);
      const waiting = tracked(other());
      await applyWaiting(waiting);
      expect([build.settled, waiting.settled]).toEqual([false, false]);
      await blocker.query(`SELECT pg_advisory_unlock(${GATE})`);
      return [(await build.promise).outs, (await waiting.promise).outs];
    } finally {
      await blocker.query("SELECT pg_advisory_unlock_all()");
    }
  }

  test("two indexes of one table with rows are built one after the other", async () => {
    const [first, second] = await duringIndexBuild("t_gate_1", () => index("t_v", [{ column: "v" }]));
    expect(first.appliedSql).toEqual([`CREATE INDEX CONCURRENTLY "t_gate_1" ON "rel"."t" USING btree ((gate(v))) WITH ("fillfactor" = 90)`]);
    expect(second.appliedSql).toEqual([`CREATE INDEX CONCURRENTLY "t_v" ON "rel"."t" USING btree ("v") WITH ("fillfactor" = 90)`]);
    const { rows } = await db.sql.query("SELECT indexrelid::regclass::text AS name FROM pg_index WHERE indrelid = 'rel.t'::regclass AND indisvalid ORDER BY 1");
    expect(rows.map((r) => r.name)).toEqual(["rel.t_gate_1", "rel.t_pkey", "rel.t_v"]);
  });

  test("an update of the table that adds a column waits for an index build on it", async () => {
    const wider = { ...tInputs(), columns: [...tInputs().columns, { name: "note", type: "text" }] };
    const [, altered] = await duringIndexBuild("t_gate_2", () => update(t.id, t.outs, wider));
    expect(altered.appliedSql).toEqual([`ALTER TABLE "rel"."t" ADD COLUMN "note" text`]);
  });

  test("a table with a foreign key waits for an index build on the table it references, also when the key is dropped", async () => {
    const [, created] = await duringIndexBuild("t_gate_3", () => create(childInputs([childFk])));
    expect(created.appliedSql.join("\n")).toContain(`REFERENCES "rel"."t" ("id")`);
    // Dropping the key locks rel.t too (ACCESS EXCLUSIVE): the update locks what its previous declaration referenced.
    const [, dropped] = await duringIndexBuild("t_gate_4", () => update("rel.child", created, childInputs([])));
    expect(dropped.appliedSql).toEqual([`ALTER TABLE "rel"."child" DROP CONSTRAINT "child_t_fk"`]);
  });

  test("a partition's change of bound (DETACH and ATTACH) waits for an index build on its parent", async () => {
    const partitions = providerFor(partitionKind);
    const partition = async (to: number) => (await partitions.check!({}, { connection: short(), schema: "rel", parent: "p", name: "p1", bound: { from: [0], to: [to] } })).inputs;
    await db.sql.query("CREATE TABLE rel.p (k integer NOT NULL, v integer) PARTITION BY RANGE (k)");
    const p1 = await partitions.create(await partition(1000));
    await db.sql.query("INSERT INTO rel.p SELECT i, i FROM generate_series(0, 999) i");
    const [built, moved] = await duringIndexBuild("p_gate", async () => partitions.update!(p1.id, p1.outs, await partition(2000)), "p");
    expect(built.appliedSql).toContain(`CREATE INDEX CONCURRENTLY "p_gate_p1" ON "rel"."p1" USING btree ((gate(v))) WITH ("fillfactor" = 90)`);
    expect(moved.appliedSql[0]).toBe(`ALTER TABLE "rel"."p" DETACH PARTITION "rel"."p1"`);
  });

  test("a policy on the table waits for an index build on it", async () => {
    const policies = providerFor(policyKind);
    const policy = async () => policies.create((await policies.check!({}, { connection: short(), schema: "rel", table: "t", name: "everyone", using: "true" })).inputs);
    const [, created] = await duringIndexBuild("t_gate_5", policy);
    expect(created.appliedSql).toEqual([`CREATE POLICY "everyone" ON "rel"."t" AS PERMISSIVE FOR ALL TO PUBLIC USING (true)`]);
  });
});

test("a continuous aggregate's create and drop wait for a change of its source hypertable", async () => {
  // Its create reads the source (ACCESS SHARE), its drop takes ACCESS EXCLUSIVE on it: both conflict with the ALTER TABLE of the source's apply.
  const aggregates = providerFor(continuousAggregateKind);
  const columns = [{ name: "at", type: "timestamp with time zone", nullable: false }, { name: "v", type: "integer" }];
  const source = (extra: object[]) => ({ connection: connection(), schema: "ts", name: "m", columns: [...columns, ...extra] });
  await db.sql.query("CREATE SCHEMA ts");
  const m = await create(source([]));
  await db.sql.query("SELECT create_hypertable('ts.m', by_range('at')); INSERT INTO ts.m SELECT now() - i * interval '1 hour', i FROM generate_series(1, 100) i");
  const daily = { connection: { url: db.url, lockTimeout: "1s" }, schema: "ts", name: "daily", query: "SELECT time_bucket('1 day', at) AS day, count(*) FROM ts.m GROUP BY 1", backfill: false };

  /** Runs `other` while an update of ts.m adding text columns `added` (the last one new) stops at its ALTER TABLE, holding ts.m's apply lock: `other` waits for that lock, then both succeed. */
  async function duringSourceChange<T>(added: string[], other: () => Promise<T>): Promise<T> {
    await blocker.query("BEGIN; LOCK TABLE ts.m IN ACCESS SHARE MODE");
    const change = tracked(update(m.id, m.outs, source(added.map((name) => ({ name, type: "text" })))));
    await sessionWaitingOn("relation", "%ALTER TABLE%", change);
    const waiting = tracked(other());
    await applyWaiting(waiting);
    expect([change.settled, waiting.settled]).toEqual([false, false]);
    await blocker.query("COMMIT");
    expect((await change.promise).outs.appliedSql).toEqual([`ALTER TABLE "ts"."m" ADD COLUMN "${added.at(-1)}" text`]);
    return waiting.promise;
  }

  const created = await duringSourceChange(["a"], async () => aggregates.create((await aggregates.check!({}, daily)).inputs));
  await duringSourceChange(["a", "b"], () => aggregates.delete!(created.id, created.outs));
  const { rows } = await db.sql.query("SELECT count(*)::int AS n FROM timescaledb_information.continuous_aggregates WHERE view_name = 'daily'");
  expect(rows[0].n).toBe(0);
});
