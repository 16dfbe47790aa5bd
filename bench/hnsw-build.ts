/**
 * An HNSW build of generated 256-dimension vectors through the provider
 * (Index create: check, canonical scratch build, facts, CREATE INDEX
 * CONCURRENTLY with the `build` settings, observe) against the same
 * statement sent by a plain pg client with the same session settings.
 * Alternates the two, several rounds; prints each time, the medians and
 * their ratio (goal: provider ≤ 1.1 × plain), with the provider reporting
 * its progress to an engine (test/support/fake-engine.ts) every 2 s as under
 * `pulumi up`; prints the status lines the last build sent. Asserts nothing.
 *
 *   npx ts-node --transpile-only bench/hnsw-build.ts [rows=100000] [rounds=2]
 */
import { providerFor } from "../resources/core/provider";
import { indexKind } from "../resources/table-index/kind";
import { FakeEngine } from "../test/support/fake-engine";
import { runBench } from "./support/run-bench";

const DIMENSIONS = 256;
const BUILD = { maintenanceWorkMem: "1GB", parallelWorkers: 1 };

const URN = "urn:pulumi:bench::pgstrata::pulumi-nodejs:dynamic/pgstrata:Index::public.items_embedding_idx";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 2);

runBench("bench_hnsw", async ({ url, sql }) => {
  const engine = await FakeEngine.start();
  process.env.PULUMI_NODEJS_ENGINE = engine.address; // read at the provider's first message
  try {
    const t0 = Date.now();
    await sql.query(`CREATE TABLE public.items (id int PRIMARY KEY, embedding vector(${DIMENSIONS}) NOT NULL)`);
    await sql.query(
      `INSERT INTO public.items SELECT i, (SELECT array_agg(random()::real) FROM generate_series(1, ${DIMENSIONS}) WHERE i > 0)::vector(${DIMENSIONS}) FROM generate_series(1, $1) i`,
      [rows],
    );
    await sql.query("VACUUM ANALYZE public.items");
    process.stdout.write(`${rows} rows of vector(${DIMENSIONS}) loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const provider = providerFor(indexKind);
    const inputs = (await provider.check!({}, {
      __urn: URN, connection: { url, statementTimeout: "2h" }, schema: "public", table: "items", name: "items_embedding_idx",
      method: "hnsw", keys: [{ column: "embedding", opclass: "vector_cosine_ops" }], with: { m: 16, ef_construction: 64 }, build: BUILD,
    })).inputs;
    const viaProvider = async () => {
      engine.logs.length = 0;
      const t = process.hrtime.bigint();
      const { id, outs } = await provider.create(inputs);
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      await provider.delete!(id, outs);
      return { seconds, sql: (outs.appliedSql as string[])[0] };
    };
    const statement = (await viaProvider()).sql; // warm-up round (pool, parser, caches); its SQL is what the plain client sends
    const viaPlainClient = async () => {
      await sql.query(`SET maintenance_work_mem = '${BUILD.maintenanceWorkMem}'; SET max_parallel_maintenance_workers = ${BUILD.parallelWorkers}; SET statement_timeout = 0`);
      const t = process.hrtime.bigint();
      await sql.query(statement);
      const seconds = Number(process.hrtime.bigint() - t) / 1e9;
      await sql.query("DROP INDEX public.items_embedding_idx; RESET maintenance_work_mem; RESET max_parallel_maintenance_workers");
      return seconds;
    };
    const provided: number[] = [];
    const plain: number[] = [];
    for (let r = 0; r < rounds; r++) {
      plain.push(await viaPlainClient());
      provided.push((await viaProvider()).seconds);
      process.stdout.write(`round ${r + 1}: plain client ${plain[r].toFixed(2)} s, provider ${provided[r].toFixed(2)} s\n`);
    }
    process.stdout.write(
      `HNSW (m 16, ef_construction 64, vector_cosine_ops) over ${rows} × vector(${DIMENSIONS}), maintenance_work_mem ${BUILD.maintenanceWorkMem}, ` +
        `max_parallel_maintenance_workers ${BUILD.parallelWorkers}\n  statement: ${statement}\n` +
        `  median: plain client ${median(plain).toFixed(2)} s, provider ${median(provided).toFixed(2)} s, ratio ${(median(provided) / median(plain)).toFixed(3)} (goal ≤ 1.1)\n`,
    );
    const status = engine.logs.filter((l) => l.ephemeral && l.urn === URN).map((l) => l.message);
    process.stdout.write(`  status lines the last provider build sent (every 2 s): ${status.length}\n${[...new Set(status)].map((m) => `    ${m}`).join("\n")}\n`);
  } finally {
    await engine.stop();
  }
});
