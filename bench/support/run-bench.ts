import { Client } from "pg";
import { createScratchDatabase, startTestServers } from "../../test/support/database";

/** A bench's scratch database: its URL, and a connected client on it. */
export interface BenchDatabase {
  url: string;
  sql: Client;
}

/**
 * Runs a bench: starts the test servers as the tests do
 * (test/support/database.ts), makes the scratch database `name` on the
 * community-license one with a connected client, runs `measure`, then drops
 * the database and stops the servers whatever happened. Exits 0, or prints
 * the failure and exits 1.
 */
export function runBench(name: string, measure: (db: BenchDatabase) => Promise<void>): void {
  const run = async (): Promise<void> => {
    const servers = await startTestServers();
    try {
      const db = await createScratchDatabase(servers.timescale.adminUrl, name);
      const sql = new Client({ connectionString: db.url });
      try {
        await sql.connect();
        await measure({ url: db.url, sql });
      } finally {
        await sql.end();
        await db.drop();
      }
    } finally {
      await Promise.all(Object.values(servers).map((s) => s.stop()));
    }
  };
  run().then(
    () => process.exit(0),
    (error) => {
      process.stderr.write(`${(error as Error).stack}\n`);
      process.exit(1);
    },
  );
}
