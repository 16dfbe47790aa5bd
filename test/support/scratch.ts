import { Client } from "pg";
import { createScratchDatabase, testAdminUrl } from "./database";

/**
 * A scratch database for one test file plus a plain `pg` client on it (the
 * "psql" of out-of-band changes and catalog assertions). Call in `beforeAll`;
 * `close()` in `afterAll`.
 */
export async function scratchDatabase(name: string): Promise<{ url: string; sql: Client; close(): Promise<void> }> {
  const db = await createScratchDatabase(testAdminUrl(), name);
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
