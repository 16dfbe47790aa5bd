import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { indexKind } from "../../resources/table-index/kind";
import { conformanceCycle } from "../support/conformance";
import { expectOneStatementPreview } from "../support/statements";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
const COLUMNS = `id bigint NOT NULL, name text, email text, payload jsonb, embedding vector(8), score int, created_at timestamptz NOT NULL`;
const ROWS = (table: string) => `
  INSERT INTO ${table} SELECT i, 'n' || i, 'user' || i || '@example.com', jsonb_build_object('k', i % 7), ARRAY(SELECT random() FROM generate_series(1, 8))::vector(8),
                              i % 50, now() - i * interval '1 hour'
    FROM generate_series(1, 500) i`;
beforeAll(async () => {
  db = await scratchDatabase("index");
  await db.sql.query(`
    CREATE SCHEMA app;
    CREATE TABLE app.items (${COLUMNS}, PRIMARY KEY (id));
    ${ROWS("app.items")};
    CREATE TABLE app.readings (${COLUMNS});
    SELECT create_hypertable('app.readings', by_range('created_at', interval '5 days'));
    ${ROWS("app.readings")};`);
});
afterAll(() => db.close());

const provider = providerFor(indexKind);
const connection = () => ({ url: db.url });
type Props = Record<string, unknown>;

/** The live index as psql shows it: definition, validity, comment. */
const live = async (sql: Client, name: string) =>
  (
    await sql.query(
      `SELECT pg_get_indexdef(c.oid) AS def, i.indisvalid AS valid, obj_description(c.oid, 'pg_class') AS comment
         FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.oid = to_regclass($1)`,
      [`app.${name}`],
    )
  ).rows[0] as { def: string; valid: boolean; comment: string | null } | undefined;

/** No index of the schema is INVALID (an interrupted or failed build leaves one). */
const invalidIndexes = async (sql: Client) =>
  (await sql.query("SELECT indexrelid::regclass::text AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'app'::regnamespace AND NOT i.indisvalid")).rows.map((r) => r.name);

interface IndexCase {
  inputs: Props;
  /** Fragment of pg_get_indexdef the declared index has. */
  def: string;
  drift: { sql: (name: string) => string; property: string };
  update: { inputs: Props; def: string };
}

const cases: Record<string, IndexCase> = {
  btree: {
    inputs: { keys: [{ column: "email" }] },
    def: "USING btree (email) WITH (fillfactor='90')",
    drift: { sql: (n) => `ALTER INDEX app.${n} SET (fillfactor = 70)`, property: "with" },
    update: { inputs: { keys: [{ column: "email" }], comment: "lookup by email" }, def: "USING btree (email)" },
  },
  gin: {
    inputs: { method: "gin", keys: [{ column: "payload", opclass: "jsonb_path_ops" }] },
    def: "USING gin (payload jsonb_path_ops)",
    drift: { sql: (n) => `COMMENT ON INDEX app.${n} IS 'hand-made'`, property: "comment" },
    update: { inputs: { method: "gin", keys: [{ column: "payload", opclass: "jsonb_path_ops" }], with: { fastupdate: false } }, def: "WITH (fastupdate='false')" },
  },
  partial: {
    inputs: { keys: [{ column: "score" }], where: "score > 10" },
    def: "WHERE (score > 10)",
    drift: { sql: (n) => `DROP INDEX app.${n}; CREATE INDEX ${n} ON app.${n.startsWith("r") ? "readings" : "items"} (score) WHERE score > 40`, property: "where" },
    update: { inputs: { keys: [{ column: "score" }], where: "score BETWEEN 20 AND 30" }, def: "WHERE ((score >= 20) AND (score <= 30))" },
  },
  covering: {
    inputs: { keys: [{ column: "name" }], include: ["score"] },
    def: "USING btree (name) INCLUDE (score)",
    drift: { sql: (n) => `UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'app.${n}'::regclass`, property: "invalid" },
    update: { inputs: { keys: [{ column: "name" }], include: ["score", "email"] }, def: "INCLUDE (score, email)" },
  },
  expression: {
    inputs: { keys: [{ expression: "lower(email)" }] },
    def: "USING btree (lower(email))",
    drift: { sql: (n) => `DROP INDEX app.${n}; CREATE INDEX ${n} ON app.${n.startsWith("r") ? "readings" : "items"} (upper(email))`, property: "keys" },
    update: { inputs: { keys: [{ expression: "lower(email)", order: "desc" }] }, def: "(lower(email) DESC)" },
  },
  hnsw: {
    inputs: { method: "hnsw", keys: [{ column: "embedding", opclass: "vector_cosine_ops" }], with: {} },
    def: "USING hnsw (embedding vector_cosine_ops) WITH (ef_construction='64', m='16')",
    drift: { sql: (n) => `ALTER INDEX app.${n} SET (m = 24)`, property: "with" },
    update: { inputs: { method: "hnsw", keys: [{ column: "embedding", opclass: "vector_cosine_ops" }], with: { m: 12, ef_construction: 40 } }, def: "WITH (ef_construction='40', m='12')" },
  },
  ivfflat: {
    inputs: { method: "ivfflat", keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: { lists: 4 } },
    def: "USING ivfflat (embedding) WITH (lists='4')", // vector_l2_ops is IVFFlat's default operator class: pg_get_indexdef leaves it out
    drift: { sql: (n) => `ALTER INDEX app.${n} SET (lists = 8)`, property: "with" },
    update: { inputs: { method: "ivfflat", keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: { lists: 2 } }, def: "WITH (lists='2')" },
  },
};

for (const table of ["items", "readings"]) {
  for (const [kind, c] of Object.entries(cases)) {
    const name = `${table[0]}_${kind}_idx`;
    describe(`Index conformance cycle: ${kind} on ${table === "items" ? "a plain table" : "a hypertable"}`, () => {
      conformanceCycle(() => db.sql, () => {
        const base = { connection: connection(), schema: "app", table, name };
        return {
          provider,
          inputs: { ...base, ...c.inputs },
          verifyCreated: async (sql) => {
            const index = await live(sql, name);
            expect(index?.def).toContain(c.def);
            expect(index?.valid).toBe(true);
            expect(await invalidIndexes(sql)).toEqual([]);
          },
          drift: { sql: c.drift.sql(name), property: c.drift.property },
          update: {
            inputs: { ...base, ...c.update.inputs },
            verify: async (sql) => {
              const index = await live(sql, name);
              expect(index?.def).toContain(c.update.def);
              expect(index?.valid).toBe(true);
              expect(await invalidIndexes(sql)).toEqual([]);
            },
          },
          replace: { inputs: { ...base, ...c.update.inputs, name: `${name}_v2` }, property: "name" },
          verifyDeleted: async (sql) => expect(await live(sql, name)).toBeUndefined(),
        };
      });
    });
  }
}

const check = async (olds: Props, inputs: Props) => provider.check!(olds, { connection: connection(), schema: "app", ...inputs });
const create = async (inputs: Props) => {
  const checked = await check({}, inputs);
  expect(checked.failures ?? []).toEqual([]);
  return provider.create(checked.inputs);
};
const update = async (outs: Props, inputs: Props) => {
  const checked = await check(outs, inputs);
  expect(checked.failures ?? []).toEqual([]);
  return (await provider.update!(String(outs.schema) + "." + String(outs.name), outs, checked.inputs)).outs as Props;
};

describe("building without blocking writes", () => {
  test("a table with rows: CREATE INDEX CONCURRENTLY, outside a transaction; an empty table: plain CREATE INDEX", async () => {
    const { outs } = await create({ table: "items", name: "build_rows_idx", keys: [{ column: "score" }] });
    expect(outs.appliedSql).toEqual([`CREATE INDEX CONCURRENTLY "build_rows_idx" ON "app"."items" USING btree ("score") WITH ("fillfactor" = 90)`]);
    await db.sql.query(`CREATE TABLE app.empty (${COLUMNS})`);
    const empty = await create({ table: "empty", name: "build_empty_idx", keys: [{ column: "score" }] });
    expect(empty.outs.appliedSql).toEqual([`CREATE INDEX "build_empty_idx" ON "app"."empty" USING btree ("score") WITH ("fillfactor" = 90)`]);
  });

  test("a hypertable with rows: one transaction per chunk; a UNIQUE index there is a blocking-lock hazard", async () => {
    const { outs } = await create({ table: "readings", name: "build_chunks_idx", keys: [{ column: "score" }] });
    expect(outs.appliedSql).toEqual([`CREATE INDEX "build_chunks_idx" ON "app"."readings" USING btree ("score") WITH ("fillfactor" = 90, timescaledb.transaction_per_chunk)`]);
    const chunkIndexes = await db.sql.query("SELECT count(*)::int AS n FROM pg_indexes WHERE indexname LIKE '%build_chunks_idx'");
    expect(chunkIndexes.rows[0].n).toBeGreaterThan(2);
    await expect(create({ table: "readings", name: "build_unique_idx", keys: [{ column: "id" }, { column: "created_at" }], unique: true })).rejects.toThrow(
      /\[blocking-lock\] building UNIQUE index app\.build_unique_idx on hypertable app\.readings holds a SHARE lock on each chunk.*allowHazards: \["blocking-lock"\]/s,
    );
    const { outs: unique } = await create({ table: "readings", name: "build_unique_idx", keys: [{ column: "id" }, { column: "created_at" }], unique: true, allowHazards: ["blocking-lock"] });
    expect((await live(db.sql, "build_unique_idx"))?.def).toContain("CREATE UNIQUE INDEX build_unique_idx ON app.readings USING btree (id, created_at)");
    expect(unique.appliedSql).toHaveLength(1);
  });

  test("a failed concurrent build leaves no INVALID index behind, and says what it cleaned up", async () => {
    await expect(create({ table: "items", name: "dup_idx", keys: [{ column: "score" }], unique: true })).rejects.toThrow(
      /Index app\.dup_idx: step 1 of 1 failed: could not create unique index "dup_idx".*undone so that nothing is half-applied:\n    DROP INDEX CONCURRENTLY IF EXISTS "app"\."dup_idx"/s,
    );
    expect(await live(db.sql, "dup_idx")).toBeUndefined();
    expect(await invalidIndexes(db.sql)).toEqual([]);
  });

  test("a change that needs a new index builds it under a temporary name, drops the old one concurrently, renames; a failed rebuild keeps the old index", async () => {
    const { outs } = await create({ table: "items", name: "swap_idx", keys: [{ column: "score" }], comment: "kept" });
    const swapped = await update(outs, { table: "items", name: "swap_idx", keys: [{ column: "score" }, { column: "id" }], comment: "kept" });
    expect(swapped.appliedSql).toEqual([
      `CREATE INDEX CONCURRENTLY "swap_idx_pgstrata_new" ON "app"."items" USING btree ("score", "id") WITH ("fillfactor" = 90)`,
      `DROP INDEX CONCURRENTLY IF EXISTS "app"."swap_idx"`,
      `ALTER INDEX "app"."swap_idx_pgstrata_new" RENAME TO "swap_idx"`,
      `COMMENT ON INDEX "app"."swap_idx" IS 'kept'`,
    ]);
    expect(await live(db.sql, "swap_idx")).toEqual({ def: "CREATE INDEX swap_idx ON app.items USING btree (score, id) WITH (fillfactor='90')", valid: true, comment: "kept" });
    await expect(update(swapped, { table: "items", name: "swap_idx", keys: [{ column: "score" }], unique: true })).rejects.toThrow(/could not create unique index "swap_idx_pgstrata_new"/);
    expect((await live(db.sql, "swap_idx"))?.def).toContain("(score, id)");
    expect(await invalidIndexes(db.sql)).toEqual([]);
  });

  test("with: {} and the defaults written out are the same index: no diff, no SQL", async () => {
    const { id, outs } = await create({ table: "items", name: "defaults_idx", method: "hnsw", keys: [{ column: "embedding", opclass: "vector_l2_ops" }] });
    const news = (await check(outs as Props, { table: "items", name: "defaults_idx", method: "hnsw", keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: { m: 16, ef_construction: 64 } })).inputs;
    expect(await provider.diff!(id, outs, news)).toMatchObject({ changes: false });
    expect(((await provider.update!(id, outs, news)).outs as Props).appliedSql).toEqual([]);
  });

  test("build settings hold for the build statement only", async () => {
    const { outs } = await create({ table: "items", name: "settings_idx", method: "hnsw", keys: [{ column: "embedding", opclass: "vector_ip_ops" }], build: { maintenanceWorkMem: "256MB", parallelWorkers: 1 } });
    expect((await live(db.sql, "settings_idx"))?.valid).toBe(true);
    expect(outs.build).toEqual({ maintenanceWorkMem: "256MB", parallelWorkers: 1 });
  });
});

describe("partitioned tables", () => {
  beforeAll(async () => {
    await db.sql.query(`
      CREATE TABLE app.events (at date NOT NULL, kind text NOT NULL, n int) PARTITION BY RANGE (at);
      CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
      CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (kind);
      CREATE TABLE app.events_2025_a PARTITION OF app.events_2025 FOR VALUES IN ('a');
      CREATE TABLE app.events_2025_b PARTITION OF app.events_2025 FOR VALUES IN ('b');
      INSERT INTO app.events SELECT date '2024-06-01' + (i % 400), CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END, i FROM generate_series(1, 2000) i;`);
  });

  /** Every index of the partition tree with its parent index and validity. */
  const tree = async () =>
    (
      await db.sql.query(`
        SELECT c.relname AS index, t.relname AS "table", (SELECT p.relname FROM pg_inherits h JOIN pg_class p ON p.oid = h.inhparent WHERE h.inhrelid = c.oid) AS parent, i.indisvalid AS valid
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
         WHERE t.relname LIKE 'events%' ORDER BY t.relname`)
    ).rows;

  test("ON ONLY the parent, CONCURRENTLY per leaf partition, ATTACH; the parent index turns valid; a rebuild swaps the whole tree", async () => {
    const { id, outs } = await create({ table: "events", name: "events_n_idx", keys: [{ column: "n" }] });
    expect(outs.appliedSql).toEqual([
      `CREATE INDEX "events_n_idx" ON ONLY "app"."events" USING btree ("n") WITH ("fillfactor" = 90)`,
      `CREATE INDEX CONCURRENTLY "events_n_idx_events_2024" ON "app"."events_2024" USING btree ("n") WITH ("fillfactor" = 90)`,
      `ALTER INDEX "app"."events_n_idx" ATTACH PARTITION "app"."events_n_idx_events_2024"`,
      `CREATE INDEX "events_n_idx_events_2025" ON ONLY "app"."events_2025" USING btree ("n") WITH ("fillfactor" = 90)`,
      `ALTER INDEX "app"."events_n_idx" ATTACH PARTITION "app"."events_n_idx_events_2025"`,
      `CREATE INDEX CONCURRENTLY "events_n_idx_events_2025_a" ON "app"."events_2025_a" USING btree ("n") WITH ("fillfactor" = 90)`,
      `ALTER INDEX "app"."events_n_idx_events_2025" ATTACH PARTITION "app"."events_n_idx_events_2025_a"`,
      `CREATE INDEX CONCURRENTLY "events_n_idx_events_2025_b" ON "app"."events_2025_b" USING btree ("n") WITH ("fillfactor" = 90)`,
      `ALTER INDEX "app"."events_n_idx_events_2025" ATTACH PARTITION "app"."events_n_idx_events_2025_b"`,
    ]);
    const expected = [
      { index: "events_n_idx", table: "events", parent: null, valid: true },
      { index: "events_n_idx_events_2024", table: "events_2024", parent: "events_n_idx", valid: true },
      { index: "events_n_idx_events_2025", table: "events_2025", parent: "events_n_idx", valid: true },
      { index: "events_n_idx_events_2025_a", table: "events_2025_a", parent: "events_n_idx_events_2025", valid: true },
      { index: "events_n_idx_events_2025_b", table: "events_2025_b", parent: "events_n_idx_events_2025", valid: true },
    ];
    expect(await tree()).toEqual(expected);
    const news = (await check(outs as Props, { table: "events", name: "events_n_idx", keys: [{ column: "n", order: "desc" }] })).inputs;
    const rebuilt = (await provider.update!(id, outs, news)).outs as Props;
    expect(rebuilt.appliedSql).toContain(`DROP INDEX IF EXISTS "app"."events_n_idx"`);
    expect(await tree()).toEqual(expected);
    expect((await live(db.sql, "events_n_idx_events_2025_b"))?.def).toContain("(n DESC)");
    await provider.delete!(id, rebuilt);
    expect(await tree()).toEqual([]);
  });
});

describe("pgvector rules on a table managed elsewhere: refused before any SQL, naming the property and the fix", () => {
  test.each([
    [{ keys: [{ column: "embedding", opclass: "halfvec_l2_ops" }] }, /keys\.0\.opclass: operator class halfvec_l2_ops does not index vector\(8\) with hnsw: use one of vector_l2_ops, vector_ip_ops, vector_cosine_ops, vector_l1_ops/],
    [{ keys: [{ column: "missing", opclass: "vector_l2_ops" }] }, /keys\.0\.column: table app\.items has no column "missing": name one of id, name/],
    [{ keys: [{ column: "name", opclass: "vector_l2_ops" }] }, /keys\.0\.column: column "name" is text; a hnsw index takes vector, halfvec, bit, sparsevec columns/],
  ])("%j", async (inputs, error) => {
    await expect(create({ table: "items", name: "refused_idx", method: "hnsw", ...inputs })).rejects.toThrow(error);
    expect(await live(db.sql, "refused_idx")).toBeUndefined();
  });
});

test("a no-op preview of an index runs one statement (its canonical keys, predicate and parameters come from the last apply while the live index prints the same), and a hand-rebuilt index is still drift", async () => {
  const inputs = (await provider.check!({}, { connection: connection(), schema: "app", table: "items", name: "preview_reads_idx", keys: [{ expression: "lower(email)" }], where: "score > 10", with: { fillfactor: 80 } })).inputs;
  await expectOneStatementPreview(db.sql, provider, inputs, "DROP INDEX app.preview_reads_idx; CREATE INDEX preview_reads_idx ON app.items (lower(email)) WITH (fillfactor = 80) WHERE score > 20");
});
