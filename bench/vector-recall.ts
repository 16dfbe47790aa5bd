/**
 * Recall@10 of pgvector indexes built through the provider, on a generated
 * data set (clustered vectors, fixed seed), against the exact top 10:
 * IVFFlat built on the empty table before loading vs after loading, and HNSW
 * (before and after). Prints figures; asserts nothing.
 *
 *   npx ts-node --transpile-only bench/vector-recall.ts [rows=20000] [dimensions=64] [noise=0.3]
 *
 * `noise` is the σ of each vector around its cluster centre (centres are
 * uniform in [-1, 1]^d): 0.3 gives well separated clusters, 1.0 overlapping ones.
 */
import { providerFor } from "../resources/core/provider";
import { indexKind } from "../resources/table-index/kind";
import { runBench } from "./support/run-bench";

const K = 10;
const QUERIES = 100;
const CLUSTERS = 50;

/** mulberry32: a small seeded PRNG, so every run measures the same data. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` vectors around `CLUSTERS` random centres (Gaussian noise of σ `noise`), as real embeddings cluster. */
function vectors(count: number, dimensions: number, seed: number, noise: number): number[][] {
  const next = random(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
  const centres = random(1);
  const centre = Array.from({ length: CLUSTERS }, () => Array.from({ length: dimensions }, () => centres() * 2 - 1));
  return Array.from({ length: count }, () => {
    const c = centre[Math.floor(next() * CLUSTERS)];
    return c.map((x) => x + noise * gauss());
  });
}

const l2 = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0);
const literal = (v: number[]) => `[${v.map((x) => x.toFixed(5)).join(",")}]`;

const rows = Number(process.argv[2] ?? 20_000);
const dimensions = Number(process.argv[3] ?? 64);
const noise = Number(process.argv[4] ?? 0.3);

runBench("bench_recall", async ({ url, sql }) => {
  const data = vectors(rows, dimensions, 42, noise);
  const queries = vectors(QUERIES, dimensions, 7, noise);
  const exact = queries.map((q) => data.map((v, id) => ({ id: id + 1, d: l2(q, v) })).sort((a, b) => a.d - b.d).slice(0, K).map((x) => x.id));
  const provider = providerFor(indexKind);
  const connection = { url };
  const table = async (name: string) => sql.query(`CREATE TABLE public.${name} (id int PRIMARY KEY, embedding vector(${dimensions}) NOT NULL)`);
  const load = async (name: string) => {
    for (let i = 0; i < rows; i += 1000) {
      const chunk = data.slice(i, i + 1000);
      await sql.query(`INSERT INTO public.${name} (id, embedding) SELECT * FROM unnest($1::int[], $2::vector[])`, [chunk.map((_, j) => i + j + 1), chunk.map(literal)]);
    }
  };
  const index = async (name: string, method: "ivfflat" | "hnsw", parameters: Record<string, number>) => {
    const inputs = (await provider.check!({}, { connection, schema: "public", table: name, name: `${name}_idx`, method, keys: [{ column: "embedding", opclass: "vector_l2_ops" }], with: parameters })).inputs;
    const t0 = Date.now();
    const { outs } = await provider.create(inputs);
    return { ms: Date.now() - t0, sql: (outs.appliedSql as string[])[0] };
  };
  /** Mean recall@10 over the queries, with the index (setting = ivfflat.probes or hnsw.ef_search). */
  const recall = async (name: string, setting: string, value: number) => {
    // The index's own recall: with probes = lists the planner would rather scan the table.
    await sql.query(`SET ${setting} = ${value}; SET enable_seqscan = off`);
    let found = 0;
    for (const [i, q] of queries.entries()) {
      const { rows: hits } = await sql.query(`SELECT id FROM public.${name} ORDER BY embedding <-> $1::vector LIMIT ${K}`, [literal(q)]);
      found += hits.filter((h) => exact[i].includes(h.id)).length;
    }
    const { rows: plan } = await sql.query(`EXPLAIN SELECT id FROM public.${name} ORDER BY embedding <-> $1::vector LIMIT ${K}`, [literal(queries[0])]);
    if (!plan.some((p) => String(p["QUERY PLAN"]).includes(`${name}_idx`))) throw new Error(`${name}: the query does not use the index`);
    return found / (QUERIES * K);
  };

  const lists = Math.max(1, Math.round(rows / 1000));
  const results: string[][] = [];
  for (const [name, method, when, parameters, setting, values] of [
    ["ivf_before", "ivfflat", "before loading (empty table)", { lists }, "ivfflat.probes", [1, 4, lists]],
    ["ivf_after", "ivfflat", "after loading", { lists }, "ivfflat.probes", [1, 4, lists]],
    ["hnsw_before", "hnsw", "before loading (empty table)", { m: 16, ef_construction: 64 }, "hnsw.ef_search", [40, 100]],
    ["hnsw_after", "hnsw", "after loading", { m: 16, ef_construction: 64 }, "hnsw.ef_search", [40, 100]],
  ] as const) {
    await table(name);
    let built: { ms: number; sql: string };
    if (when === "after loading") {
      await load(name);
      built = await index(name, method, parameters);
    } else {
      built = await index(name, method, parameters);
      await load(name);
    }
    await sql.query(`ANALYZE public.${name}`);
    for (const value of values) {
      const r = await recall(name, setting, value);
      results.push([`${method} ${JSON.stringify(parameters)}`, when, `${setting}=${value}`, (r * 100).toFixed(1) + " %", `${built.ms} ms`]);
    }
  }
  process.stdout.write(`recall@${K}, ${rows} × vector(${dimensions}) in ${CLUSTERS} clusters (σ ${noise}), ${QUERIES} queries, exact top ${K} by L2 as truth\n`);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...results.map((r) => r[i].length), 8));
  for (const r of [["index", "built", "setting", "recall", "build"], ...results]) process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join("  ") + "\n");
});
