/**
 * A session killed mid-apply (pg_terminate_backend here; a failover or a
 * network cut look the same to the client): the error names the resource, the
 * step and its SQL, the server's message, and what stayed applied.
 */
import { Client } from "pg";
import { connectionSchema, withClient, type Connection } from "../../resources/core/connection";
import { providerFor } from "../../resources/core/provider";
import { applySteps } from "../../resources/core/session";
import { tableKind } from "../../resources/table/kind";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("session_lost");
  await db.sql.query("CREATE SCHEMA app; CREATE TABLE app.busy (id bigint NOT NULL)");
});
afterAll(() => db.close());

/** A long lock_timeout, so that the step waits on the test's lock until it is terminated. */
const connection = () => ({ url: db.url, lockTimeout: "60s" });

/**
 * Runs `work` while the test holds an ACCESS SHARE lock on app.busy, and
 * terminates pgstrata's backend as soon as it waits for that lock (reads still pass: only DDL waits).
 */
async function terminatedWhileWaiting<T>(work: () => Promise<T>): Promise<Error> {
  const holder = new Client({ connectionString: db.url });
  await holder.connect();
  try {
    await holder.query("BEGIN; LOCK TABLE app.busy IN ACCESS SHARE MODE");
    const outcome = work().then(
      () => new Error("the work succeeded although its session was terminated"),
      (e: Error) => e,
    );
    for (let terminated = false; !terminated; ) {
      const { rows } = await db.sql.query(
        `SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'pgstrata' AND wait_event_type = 'Lock'`,
      );
      terminated = rows.length > 0;
      if (!terminated) await new Promise((r) => setTimeout(r, 20));
    }
    return await outcome;
  } finally {
    await holder.query("ROLLBACK");
    await holder.end();
  }
}

const columns = async (table: string) =>
  (await db.sql.query("SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [table])).rows.map((r) => r.attname);

test("a transactional apply: the error names the resource, step n of m with its SQL, the server's message, and says it was rolled back", async () => {
  const provider = providerFor(tableKind);
  const { inputs } = await provider.check!({}, {
    connection: connection(),
    schema: "app",
    name: "busy",
    columns: [{ name: "id", type: "bigint", nullable: false }, { name: "added", type: "text" }, { name: "also", type: "int" }],
  });
  const error = await terminatedWhileWaiting(() => provider.create(inputs));
  expect(error.message).toMatch(
    /^Table app\.busy: step 1 of 2 failed: terminating connection due to administrator command\n {2}SQL: ALTER TABLE "app"\."busy" ADD COLUMN "added" text\n {2}\(the session was lost before the transaction committed: the server rolled it back; nothing was changed\)$/,
  );
  expect(await columns("app.busy")).toEqual(["id"]);
  // The pool does not hand out the dead session again: the next apply works.
  await provider.create(inputs);
  expect(await columns("app.busy")).toEqual(["id", "added", "also"]);
});

test("steps that run outside a transaction: the error lists the steps that stayed applied and the ones that did not run", async () => {
  await db.sql.query("CREATE TABLE app.busy2 (id bigint)");
  const parsed = connectionSchema().parse(connection()) as Connection;
  const steps = [
    { sql: "CREATE TABLE app.first (id bigint)", hazards: [], transactional: false },
    { sql: "ALTER TABLE app.busy ADD COLUMN waits int", hazards: [], transactional: false },
    { sql: "CREATE TABLE app.third (id bigint)", hazards: [], transactional: false },
  ];
  const error = await terminatedWhileWaiting(() => withClient("Test app.x", parsed, (client) => applySteps(client, "Test app.x", steps)));
  expect(error.message).toBe(
    "Test app.x: step 2 of 3 failed: terminating connection due to administrator command\n" +
      "  SQL: ALTER TABLE app.busy ADD COLUMN waits int\n" +
      "  (step 1 was applied and stays applied: CREATE TABLE app.first (id bigint); step 2 did not complete, the session was lost while it ran; step 3 did not run)",
  );
  const { rows } = await db.sql.query("SELECT to_regclass('app.first') IS NOT NULL AS first, to_regclass('app.third') IS NOT NULL AS third");
  expect(rows[0]).toEqual({ first: true, third: false });
});
