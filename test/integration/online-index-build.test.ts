/**
 * Index builds do not block writes: while the provider builds (and rebuilds)
 * an index on a table of 1,000,000 rows, a second connection keeps inserting,
 * and no insert waits longer than lock_timeout. Prints the longest wait.
 */
import { providerFor } from "../../resources/core/provider";
import { indexKind } from "../../resources/table-index/kind";
import { scratchDatabase } from "../support/scratch";
import { keepInserting } from "../support/writer";

const ROWS = 1_000_000;
const LOCK_TIMEOUT_MS = 5_000;

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("online_index");
  await db.sql.query(`
    CREATE SCHEMA app;
    CREATE TABLE app.big (id bigint GENERATED ALWAYS AS IDENTITY, v int NOT NULL, at timestamptz NOT NULL, note text);
    INSERT INTO app.big (v, at, note) SELECT i % 100000, now() - (i % 1000) * interval '1 hour', md5(i::text) FROM generate_series(1, ${ROWS}) i;
    CREATE TABLE app.big_ht (v int NOT NULL, at timestamptz NOT NULL, note text);
    SELECT create_hypertable('app.big_ht', by_range('at', interval '5 days'));
    INSERT INTO app.big_ht SELECT v, at, note FROM app.big;
    ANALYZE app.big; ANALYZE app.big_ht;`);
}, 300_000);
afterAll(() => db.close());

const provider = providerFor(indexKind);

test.each([
  ["a plain table", "big"],
  ["a hypertable", "big_ht"],
])(`building and rebuilding an index on ${ROWS.toLocaleString("en-US")} rows of %s: inserts go on, none waits longer than lock_timeout`, async (what, table) => {
  const connection = { url: db.url, lockTimeout: `${LOCK_TIMEOUT_MS}ms`, statementTimeout: "10min" };
  const inserter = await keepInserting(db.url, `INSERT INTO app.${table} (v, at, note) VALUES (-1, now(), 'live')`, `${LOCK_TIMEOUT_MS}ms`);
  const t0 = Date.now();
  const inputs = (await provider.check!({}, { connection, schema: "app", table, name: `${table}_v_idx`, keys: [{ column: "v" }] })).inputs;
  const { id, outs } = await provider.create(inputs);
  const news = (await provider.check!(outs, { ...inputs, keys: [{ column: "v" }, { column: "at" }] })).inputs;
  const rebuilt = await provider.update!(id, outs, news);
  const seconds = (Date.now() - t0) / 1000;
  const { inserts, longestMs, errors } = await inserter.stop();
  process.stderr.write(
    `\n[online index build] ${what} of ${ROWS.toLocaleString("en-US")} rows: build + rebuild took ${seconds.toFixed(1)} s; ` +
      `${inserts} inserts meanwhile, the longest waited ${longestMs.toFixed(1)} ms (lock_timeout ${LOCK_TIMEOUT_MS} ms)\n` +
      `  ${[...(outs.appliedSql as string[]), ...((rebuilt.outs as { appliedSql: string[] }).appliedSql)].join("\n  ")}\n`,
  );
  expect(errors).toEqual([]);
  expect(inserts).toBeGreaterThan(10);
  expect(longestMs).toBeLessThan(LOCK_TIMEOUT_MS);
  const { rows } = await db.sql.query("SELECT indisvalid FROM pg_index WHERE indexrelid = $1::regclass", [`app.${table}_v_idx`]);
  expect(rows).toEqual([{ indisvalid: true }]);
}, 600_000);
