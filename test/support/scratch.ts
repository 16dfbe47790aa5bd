import { Client } from "pg";
import { createScratchDatabase, License, testAdminUrl } from "./database";

/**
 * A scratch database for one test file plus a plain `pg` client on it (the
 * "psql" of out-of-band changes and catalog assertions), on the test server
 * with TimescaleDB license `license` (default `timescale`). Call in
 * `beforeAll`; `close()` in `afterAll`.
 */
export async function scratchDatabase(
  name: string,
  license: License = "timescale",
): Promise<{ url: string; sql: Client; close(): Promise<void> }> {
  const db = await createScratchDatabase(testAdminUrl(license), name);
  const sql = new Client({ connectionString: db.url });
  await sql.connect();
  return {
    url: db.url,
    sql,
    async close() {
      await sql.end();
      await db.drop();
    },
  };
}
