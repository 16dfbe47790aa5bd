import { Client } from "pg";
import { createScratchDatabase, testAdminUrl } from "../support/database";

describe("test database", () => {
  let db: { url: string; drop(): Promise<void> };
  let client: Client;

  beforeAll(async () => {
    db = await createScratchDatabase(testAdminUrl(), "database smoke");
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it("has timescaledb, vector and pg_partman installed", async () => {
    const { rows } = await client.query<{ extname: string }>("SELECT extname FROM pg_extension");
    expect(rows.map((r) => r.extname)).toEqual(expect.arrayContaining(["timescaledb", "vector", "pg_partman"]));
  });

  it("is PostgreSQL 17 or later", async () => {
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    expect(Number(rows[0].v)).toBeGreaterThanOrEqual(170000);
  });

  it("reports the TimescaleDB license", async () => {
    const { rows } = await client.query<{ license: string | null }>(
      "SELECT current_setting('timescaledb.license', true) AS license",
    );
    console.log(`timescaledb.license = ${rows[0].license}`);
    expect(["apache", "timescale"]).toContain(rows[0].license);
  });

  it("drop() removes a scratch database even while it has a connection", async () => {
    const other = await createScratchDatabase(testAdminUrl(), "drop check");
    const open = new Client({ connectionString: other.url });
    open.on("error", () => {}); // its backend is terminated by drop()
    await open.connect();
    await other.drop();
    await open.end().catch(() => {});
    const admin = new Client({ connectionString: testAdminUrl() });
    await admin.connect();
    try {
      const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [
        new URL(other.url).pathname.slice(1),
      ]);
      expect(rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
