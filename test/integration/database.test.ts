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

  it("runs on the community license by default, with TimescaleDB 2.29.2's TSL module", async () => {
    const { rows } = await client.query(
      "SELECT current_setting('timescaledb.license', true) AS license, " +
        "(SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') AS version",
    );
    expect(rows[0]).toEqual({ license: "timescale", version: "2.29.2" });
    await client.query("CREATE TABLE lic (time timestamptz NOT NULL); SELECT create_hypertable('lic', by_range('time'))");
    await client.query("SELECT add_retention_policy('lic', INTERVAL '90 days')");
  });

  it("has a second server on the Apache license, which refuses the community features", async () => {
    const apache = await createScratchDatabase(testAdminUrl("apache"), "database apache");
    const c = new Client({ connectionString: apache.url });
    await c.connect();
    try {
      const { rows } = await c.query("SELECT current_setting('timescaledb.license', true) AS license");
      expect(rows[0].license).toBe("apache");
      await c.query("CREATE TABLE lic (time timestamptz NOT NULL); SELECT create_hypertable('lic', by_range('time'))");
      await expect(c.query("SELECT add_retention_policy('lic', INTERVAL '90 days')")).rejects.toThrow(
        /not supported under the current "apache" license/,
      );
    } finally {
      await c.end();
      await apache.drop();
    }
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
