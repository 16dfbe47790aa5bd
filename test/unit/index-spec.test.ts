import { providerFor } from "../../resources/core/provider";
import { indexKind } from "../../resources/table-index/kind";
import { planIndex } from "../../resources/table-index/plan";
import { IndexedTable } from "../../resources/table-index/observe";
import { IndexSpec } from "../../resources/table-index/spec";
import { sqlParserReady } from "../../resources/core/sql-expression";

const provider = providerFor(indexKind);
const declaredTable = { columns: [{ name: "id", type: "bigint" }, { name: "embedding", type: "vector(256)" }, { name: "wide", type: "vector(2001)" }, { name: "half", type: "halfvec(3072)" }, { name: "body", type: "text" }] };
const base = { connection: { url: "postgres://h/db" }, schema: "ml", table: "docs", name: "docs_idx", declaredTable };
const failures = async (inputs: Record<string, unknown>) => (await provider.check!({}, { ...base, ...inputs })).failures ?? [];

describe("bad input fails at check, naming the property and the fix", () => {
  test.each<[string, Record<string, unknown>, string, RegExp]>([
    ["wrong operator class", { method: "hnsw", keys: [{ column: "embedding", opclass: "halfvec_cosine_ops" }] }, "keys[0].opclass", /halfvec_cosine_ops does not index vector\(256\) with hnsw: use one of vector_l2_ops, vector_ip_ops, vector_cosine_ops, vector_l1_ops/],
    ["sparsevec operator class on IVFFlat", { method: "ivfflat", keys: [{ column: "embedding", opclass: "sparsevec_l2_ops" }] }, "keys[0].opclass", /use one of vector_l2_ops, vector_ip_ops, vector_cosine_ops$/],
    ["no operator class on a vector method", { method: "ivfflat", keys: [{ column: "embedding" }] }, "keys[0].opclass", /an IVFFlat key needs an operator class \(the distance it serves\): use one of vector_l2_ops, vector_ip_ops, vector_cosine_ops/],
    ["2,001-dimension HNSW", { method: "hnsw", keys: [{ column: "wide", opclass: "vector_l2_ops" }] }, "keys[0].column", /column "wide" has 2001 dimensions; hnsw indexes vector of at most 2,000: index it as halfvec .*\(wide::halfvec\(2001\)\)/],
    ["halfvec within 4,000 is fine, but not on a text column", { method: "hnsw", keys: [{ column: "body", opclass: "halfvec_l2_ops" }] }, "keys[0].column", /column "body" is text; a hnsw index takes vector, halfvec, bit, sparsevec columns/],
    ["ef_construction < 2·m", { method: "hnsw", keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: { m: 40, ef_construction: 64 } }, "with.ef_construction", /ef_construction \(64\) must be at least 2·m \(80\)/],
    ["m out of range", { method: "hnsw", keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: { m: 101 } }, "with.m", /m must be an integer from 2 to 100, not 101/],
    ["lists out of range", { method: "ivfflat", keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: { lists: 40000 } }, "with.lists", /lists must be an integer from 1 to 32768/],
    ["a parameter of another method", { keys: [{ column: "id" }], with: { lists: 10 } }, "with.lists", /btree indexes have no storage parameter "lists": use fillfactor, deduplicate_items/],
    ["a predicate with a subquery", { keys: [{ column: "id" }], where: "id IN (SELECT id FROM ml.banned)" }, "where", /holds a subquery, which PostgreSQL does not allow in an index predicate/],
    ["a predicate that is two expressions", { keys: [{ column: "id" }], where: "id > 1), (id < 3" }, "where", /must be exactly one SQL expression/],
    ["an expression that does not parse", { keys: [{ expression: "lower(body" }] }, "keys[0].expression", /syntax error/],
    ["a key naming a missing column", { keys: [{ column: "nope" }] }, "keys[0].column", /table ml\.docs has no column "nope": name one of id, embedding, wide, half, body/],
    ["an INCLUDE column that is missing", { keys: [{ column: "id" }], include: ["nope"] }, "include[0]", /has no column "nope"/],
    ["UNIQUE on gin", { method: "gin", keys: [{ column: "body" }], unique: true }, "unique", /gin indexes cannot be UNIQUE \(only btree can\)/],
    ["two keys on hnsw", { method: "hnsw", keys: [{ column: "embedding", opclass: "vector_l2_ops" }, { column: "half", opclass: "halfvec_l2_ops" }] }, "keys", /hnsw indexes take one key, not 2/],
    ["both column and expression", { keys: [{ column: "id", expression: "id + 1" }] }, "keys[0]", /give exactly one of column or expression/],
  ])("%s", async (_what, inputs, property, reason) => {
    const found = await failures(inputs);
    expect(found.map((f) => f.property)).toContain(property);
    expect(found.find((f) => f.property === property)!.reason).toMatch(reason);
  });

  test("valid declarations pass: halfvec(3072) HNSW, an expression index casting to halfvec, a partial covering btree", async () => {
    expect(await failures({ method: "hnsw", keys: [{ column: "half", opclass: "halfvec_cosine_ops" }], with: { m: 24, ef_construction: 48 } })).toEqual([]);
    expect(await failures({ method: "hnsw", keys: [{ expression: "wide::halfvec(2001)", opclass: "halfvec_l2_ops" }] })).toEqual([]);
    expect(await failures({ keys: [{ column: "id", order: "desc", nulls: "last" }], include: ["body"], where: "body IS NOT NULL AND body <> ''" })).toEqual([]);
  });
});

describe("planIndex", () => {
  beforeAll(() => sqlParserReady);
  const spec = (inputs: Record<string, unknown>): IndexSpec => indexKind.schema().parse({ schema: "ml", table: "docs", name: "docs_idx", ...inputs }) as IndexSpec;
  const table = (t: Partial<IndexedTable>): IndexedTable => ({ relkind: "r", hypertable: false, hasRows: true, columns: [], partitions: [], ...t });

  test("the defaults the server does not store are filled in: with {} is m 16, ef_construction 64", () => {
    expect(spec({ method: "hnsw", keys: [{ column: "e", opclass: "vector_l2_ops" }] }).with).toEqual({ ef_construction: "64", m: "16" });
    expect(spec({ method: "ivfflat", keys: [{ column: "e", opclass: "vector_l2_ops" }] }).with).toEqual({ lists: "100" });
  });

  test("build settings go with the build statement only; CONCURRENTLY runs outside a transaction and cleans up after itself", () => {
    const x = spec({ method: "hnsw", keys: [{ column: "e", opclass: "vector_l2_ops" }], build: { maintenanceWorkMem: "2GB", parallelWorkers: 3, statementTimeout: "4h" } });
    const [build, ...rest] = planIndex(undefined, { ...x, comment: "c" }, { table: table({}), leftover: false });
    expect(build).toEqual({
      sql: `CREATE INDEX CONCURRENTLY "docs_idx" ON "ml"."docs" USING hnsw ("e" "vector_l2_ops") WITH ("ef_construction" = 64, "m" = 16)`,
      hazards: [],
      transactional: false,
      abandon: `DROP INDEX CONCURRENTLY IF EXISTS "ml"."docs_idx"`,
      settings: { maintenance_work_mem: "2GB", max_parallel_maintenance_workers: "3", statement_timeout: "4h" },
    });
    expect(rest.map((s) => s.sql)).toEqual([`COMMENT ON INDEX "ml"."docs_idx" IS 'c'`]);
  });

  test("a storage parameter that only steers later writes changes in place; one that shapes the index rebuilds it", () => {
    const live = spec({ method: "gin", keys: [{ column: "b" }] });
    expect(planIndex(live, spec({ method: "gin", keys: [{ column: "b" }], with: { fastupdate: false } }), { table: table({}), leftover: false }).map((s) => s.sql)).toEqual([
      `ALTER INDEX "ml"."docs_idx" SET ("fastupdate" = 'false')`,
    ]);
    const hnsw = spec({ method: "hnsw", keys: [{ column: "e", opclass: "vector_l2_ops" }] });
    const steps = planIndex(hnsw, { ...hnsw, with: { ...hnsw.with, m: "24" } }, { table: table({}), leftover: true });
    expect(steps.map((s) => s.sql)).toEqual([
      `DROP INDEX CONCURRENTLY IF EXISTS "ml"."docs_idx_pgstrata_new"`,
      `CREATE INDEX CONCURRENTLY "docs_idx_pgstrata_new" ON "ml"."docs" USING hnsw ("e" "vector_l2_ops") WITH ("ef_construction" = 64, "m" = 24)`,
      `DROP INDEX CONCURRENTLY IF EXISTS "ml"."docs_idx"`,
      `ALTER INDEX "ml"."docs_idx_pgstrata_new" RENAME TO "docs_idx"`,
    ]);
  });

  test("an INVALID live index is rebuilt; on an empty table the rebuild is one transaction", () => {
    const x = spec({ keys: [{ column: "id" }] });
    const steps = planIndex({ ...x, invalid: true }, x, { table: table({ hasRows: false }), leftover: false });
    expect(steps.every((s) => s.transactional)).toBe(true);
    expect(steps.map((s) => s.sql)).toEqual([
      `CREATE INDEX "docs_idx_pgstrata_new" ON "ml"."docs" USING btree ("id") WITH ("fillfactor" = 90)`,
      `DROP INDEX IF EXISTS "ml"."docs_idx"`,
      `ALTER INDEX "ml"."docs_idx_pgstrata_new" RENAME TO "docs_idx"`,
    ]);
  });

  test("a missing table, or the name taken by an index of another table, is refused before any SQL", () => {
    const x = spec({ keys: [{ column: "id" }] });
    expect(() => planIndex(undefined, x, { table: undefined, leftover: false })).toThrow(/Index ml\.docs_idx: table ml\.docs does not exist: declare it with a Table resource/);
    expect(() => planIndex({ ...x, table: "other" }, x, { table: table({}), leftover: false })).toThrow(/an index of that name already exists on table ml\.other, not docs/);
  });

  test("long names stay within 63 bytes and distinct", () => {
    const name = "a".repeat(63);
    const [build] = planIndex({ ...spec({ keys: [{ column: "id" }] }), name, invalid: true }, { ...spec({ keys: [{ column: "id" }] }), name }, { table: table({}), leftover: false });
    const temporary = /CONCURRENTLY "([^"]+)"/.exec(build.sql)![1];
    expect(Buffer.byteLength(temporary)).toBe(63);
    expect(temporary).not.toBe(name);
  });
});
