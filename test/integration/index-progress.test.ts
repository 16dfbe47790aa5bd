/**
 * What reaches whoever watches `pulumi up` while an index is built: the
 * provider reads pg_stat_progress_create_index of the building session and
 * sends it to the engine as the resource's status line (Log with ephemeral),
 * and an IVFFlat index built on an empty table is a warning of the resource.
 * The engine is a fake one (test/support/fake-engine.ts) named by
 * PULUMI_NODEJS_ENGINE; the provider host's first argument takes that role
 * under the CLI (test/e2e/stack.test.ts).
 */
import { Client } from "pg";
import { FakeEngine } from "../support/fake-engine";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let engine: FakeEngine;
beforeAll(async () => {
  engine = await FakeEngine.start();
  process.env.PULUMI_NODEJS_ENGINE = engine.address;
  db = await scratchDatabase("index_progress");
  await db.sql.query(`
    CREATE SCHEMA app;
    CREATE TABLE app.docs (id bigint PRIMARY KEY, embedding vector(3));
    INSERT INTO app.docs SELECT i, ARRAY[random(), random(), random()]::vector(3) FROM generate_series(1, 1000) i;
    CREATE TABLE app.empty (id bigint PRIMARY KEY, embedding vector(3));`);
});
afterAll(async () => {
  delete process.env.PULUMI_NODEJS_ENGINE;
  await db.close();
  await engine.stop();
});

// Loaded after PULUMI_NODEJS_ENGINE is set: the engine client is dialled on first use.
const provider = () => require("../../resources/core/provider").providerFor(require("../../resources/table-index/kind").indexKind);
const URN = "urn:pulumi:dev::pgstrata::pulumi-nodejs:dynamic/pgstrata:Index::app.docs_embedding_idx";

/** Resolves once `predicate` holds for the engine's log, polling every 100 ms (no fixed sleep: the build's phase is held until the test moves on). */
async function until(predicate: () => boolean): Promise<void> {
  while (!predicate()) await new Promise((r) => setTimeout(r, 100));
}

test("a running build shows its phase as the resource's status line, and nothing more once it ended", async () => {
  // An open writing transaction holds CREATE INDEX CONCURRENTLY in "waiting for writers before build" until it commits.
  const writer = new Client({ connectionString: db.url });
  await writer.connect();
  await writer.query("BEGIN; INSERT INTO app.docs VALUES (0, '[1,1,1]')");
  const p = provider();
  const { inputs } = await p.check({}, {
    __urn: URN, connection: { url: db.url, lockTimeout: "30s" }, schema: "app", table: "docs", name: "docs_embedding_idx",
    method: "hnsw", keys: [{ column: "embedding", opclass: "vector_l2_ops" }],
  });
  expect(inputs.__urn).toBe(URN);
  const building = p.create(inputs);
  const status = () => engine.logs.filter((l) => l.ephemeral && l.urn === URN);
  await until(() => status().length > 0);
  await writer.query("COMMIT");
  await writer.end();
  await building;
  expect(status()[0]).toEqual({ severity: 1, ephemeral: true, urn: URN, message: expect.stringMatching(/^CREATE INDEX CONCURRENTLY: waiting for writers before build/) });
  const after = status().length;
  await new Promise((r) => setTimeout(r, 2_500)); // longer than one progress interval
  expect(status()).toHaveLength(after);
});

test("an IVFFlat index built on an empty table is a warning of the resource, with the fix; one built on rows is not", async () => {
  const urn = URN.replace("docs_embedding_idx", "empty_embedding_idx");
  const p = provider();
  for (const [table, name, u] of [["empty", "empty_embedding_idx", urn], ["docs", "docs_ivfflat_idx", `${urn}_rows`]]) {
    const { inputs } = await p.check({}, {
      __urn: u, connection: { url: db.url }, schema: "app", table, name, method: "ivfflat", keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: { lists: 10 },
    });
    await p.create(inputs);
  }
  const warnings = engine.logs.filter((l) => !l.ephemeral);
  expect(warnings).toEqual([
    {
      severity: 2,
      ephemeral: false,
      urn,
      message: expect.stringMatching(/^Index app\.empty_embedding_idx: IVFFlat index app\.empty_embedding_idx is built on an empty table: its 10 lists' centroids .*Build it after loading the data.*or use method "hnsw"/s),
    },
  ]);
});
