/**
 * What a pg_partman partition set costs through pgstrata: the wall time of
 * `up` (create) for a set of 24 monthly partitions, side by side with the
 * same set made by hand (create_parent + UPDATE part_config +
 * run_maintenance in one session), and the round trips and time of one
 * `read` (refresh), counting every query on every pooled client (the pg_cron
 * database's included). Prints figures; asserts nothing.
 *
 *   npx ts-node --transpile-only bench/partition-set.ts [runs=5]
 */
import { Pool, PoolClient } from "pg";
import { providerFor } from "../resources/core/provider";
import { partitionSetKind } from "../resources/partition-set/kind";
import { runBench } from "./support/run-bench";

/** 16 months back to 7 ahead (premake 6, and maintenance makes one more): 24 monthly partitions (and the default). */
const MONTHS_BACK = 16;
const PREMAKE = 6;

const runs = Number(process.argv[2] ?? 5);

runBench("bench_partition_set", async ({ url, sql }) => {
  let roundTrips = 0;
  let connections = 0;
  const original = Pool.prototype.connect;
  Pool.prototype.connect = async function (this: Pool) {
    const client = (await (original as () => Promise<PoolClient>).call(this)) as PoolClient & { __counted?: boolean };
    if (!client.__counted) {
      connections++;
      const query = client.query.bind(client) as (...a: unknown[]) => unknown;
      (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => (roundTrips++, query(...a));
      client.__counted = true;
    }
    return client;
  } as typeof Pool.prototype.connect;
  try {
    const start = (await sql.query(`SELECT (date_trunc('month', now()) - interval '${MONTHS_BACK} months')::date::text AS s`)).rows[0].s as string;
    const provider = providerFor(partitionSetKind);
    const parent = (i: number) => `m${i}`;
    const table = (name: string) => sql.query(`CREATE TABLE bench.${name} (id bigint GENERATED ALWAYS AS IDENTITY, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)`);
    await sql.query("CREATE SCHEMA bench");
    const upMs: number[] = [];
    const byHandMs: number[] = [];
    let partitions = 0;
    let read = { id: "", outs: {} as Record<string, unknown> };
    for (let i = 0; i < runs; i++) {
      await table(parent(i));
      const inputs = { connection: { url }, schema: "bench", parent: parent(i), control: "at", interval: "1 month", premake: PREMAKE, startPartition: start, maintenance: { schedule: "@hourly" } };
      const checked = (await provider.check!({}, inputs)).inputs;
      const t0 = process.hrtime.bigint();
      const created = await provider.create(checked);
      upMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      read = { id: created.id, outs: created.outs };
      partitions = (await sql.query("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = $1::regclass", [`bench.${parent(i)}`])).rows[0].n;

      await table(`h${i}`);
      const t1 = process.hrtime.bigint();
      await sql.query(`SELECT partman.create_parent('bench.h${i}', 'at', '1 month', p_premake => ${PREMAKE}, p_start_partition => '${start}')`);
      await sql.query(`UPDATE partman.part_config SET infinite_time_partitions = true, retention_keep_table = false WHERE parent_table = 'bench.h${i}'`);
      await sql.query(`SELECT partman.run_maintenance('bench.h${i}')`);
      byHandMs.push(Number(process.hrtime.bigint() - t1) / 1e6);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    console.log(`set of ${partitions - 1} monthly partitions (+ default), premake ${PREMAKE}, median of ${runs}:`);
    console.log(`  pgstrata up (create: observe, plan, create_parent, configure, maintenance, pg_cron job, observe): ${median(upMs).toFixed(0)} ms`);
    console.log(`  by hand (create_parent + UPDATE part_config + run_maintenance, one session):                    ${median(byHandMs).toFixed(0)} ms`);

    await provider.read!(read.id, read.outs); // warm the pools (this database's and pg_cron's)
    const iterations = 50;
    [roundTrips, connections] = [0, 0];
    const t2 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await provider.read!(read.id, read.outs);
    const readMs = Number(process.hrtime.bigint() - t2) / 1e6 / iterations;
    console.log(`one refresh (read) of the set: ${(roundTrips / iterations).toFixed(1)} round trips (context, part_config with coverage, the job in pg_cron's database), ${readMs.toFixed(1)} ms mean over ${iterations}; ${connections} new connections after warm-up`);
  } finally {
    Pool.prototype.connect = original;
  }
});
