/**
 * What one `read` (pulumi refresh) costs: catalog round trips and wall time per
 * kind, through the provider in process (no gRPC), against the test server.
 * Prints figures; asserts nothing.
 *
 *   npx ts-node --transpile-only bench/read-cost.ts [iterations=200]
 */
import { Client, Pool, PoolClient } from "pg";
import { providerFor } from "../resources/core/provider";
import { hypertableKind } from "../resources/hypertable/kind";
import { schemaKind } from "../resources/schema/kind";
import { tableKind } from "../resources/table/kind";
import { createScratchDatabase, startTestServers } from "../test/support/database";

async function main(): Promise<void> {
  const iterations = Number(process.argv[2] ?? 200);
  const servers = await startTestServers();
  const db = await createScratchDatabase(servers.timescale.adminUrl, "bench_read");
  try {
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    await sql.query("CREATE SCHEMA app");
    await sql.end();
    const connection = { url: db.url };
    const cases = [
      { kind: schemaKind, inputs: { connection, name: "app", comment: "bench" } },
      {
        kind: tableKind,
        inputs: {
          connection, schema: "app", name: "readings",
          columns: [
            { name: "id", type: "bigint", identity: "always" }, { name: "device", type: "text", nullable: false },
            { name: "at", type: "timestamptz", nullable: false, default: "now()" }, { name: "value", type: "double precision" },
          ],
          primaryKey: { columns: ["id", "at"] },
          checkConstraints: [{ name: "value_finite", expression: "value <> 'NaN'::double precision" }],
        },
      },
      { kind: hypertableKind, inputs: { connection, schema: "app", table: "readings", timeColumn: "at", chunkInterval: "1 day" } },
    ];
    // Count round trips: every query a pool client sends.
    let roundTrips = 0;
    const original = Pool.prototype.connect;
    Pool.prototype.connect = async function (this: Pool) {
      const client = (await (original as () => Promise<PoolClient>).call(this)) as PoolClient & { __counted?: boolean };
      if (!client.__counted) {
        const query = client.query.bind(client) as (...a: unknown[]) => unknown;
        (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => (roundTrips++, query(...a));
        client.__counted = true;
      }
      return client;
    } as typeof Pool.prototype.connect;

    for (const { kind, inputs } of cases) {
      const provider = providerFor(kind as never);
      const { id, outs } = await provider.create((await provider.check!({}, inputs)).inputs);
      await provider.read!(id, outs); // warm the pool
      roundTrips = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) await provider.read!(id, outs);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6 / iterations;
      console.log(`${kind.type.padEnd(10)} read: ${(roundTrips / iterations).toFixed(1)} round trip(s), ${ms.toFixed(2)} ms mean over ${iterations}`);
    }
  } finally {
    await db.drop();
    await Promise.all([servers.timescale.stop(), servers.apache.stop()]);
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
