import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { tableKind } from "../../resources/table/kind";
import { conformanceCycle } from "../support/conformance";
import { createRoles, urlAs } from "../support/roles";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("row_security");
  await createRoles(db.sql);
  await db.sql.query("CREATE SCHEMA app; GRANT USAGE ON SCHEMA app TO app_user");
});
afterAll(() => db.close());

const provider = providerFor(tableKind);
const flags = async (sql: Client, table: string) =>
  (await sql.query("SELECT relrowsecurity AS enabled, relforcerowsecurity AS forced FROM pg_class WHERE oid = to_regclass($1)", [table])).rows[0];
const columns = [
  { name: "id", type: "bigint", nullable: false },
  { name: "tenant_id", type: "uuid", nullable: false },
  { name: "at", type: "timestamptz", nullable: false },
];

describe("Table.rowLevelSecurity conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = { connection: { url: db.url }, schema: "app", name: "notes", columns, rowLevelSecurity: { enabled: true, forced: true } };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) => expect(await flags(sql, "app.notes")).toEqual({ enabled: true, forced: true }),
      drift: { sql: "ALTER TABLE app.notes NO FORCE ROW LEVEL SECURITY", property: "rowLevelSecurity" },
      update: {
        inputs: { ...base, rowLevelSecurity: { enabled: false } },
        verify: async (sql) => expect(await flags(sql, "app.notes")).toEqual({ enabled: false, forced: false }),
      },
      replace: { inputs: { ...base, name: "notes2" }, property: "name" },
      verifyDeleted: async (sql) => expect(await flags(sql, "app.notes")).toBeUndefined(),
    };
  });
});

test("forced without enabled is refused at check; unset rowLevelSecurity is not managed", async () => {
  const base = { connection: { url: db.url }, schema: "app", name: "plain", columns };
  expect((await provider.check!({}, { ...base, rowLevelSecurity: { enabled: false, forced: true } })).failures).toEqual([
    { property: "rowLevelSecurity.forced", reason: "forced: true has no effect while enabled is false: set enabled: true, or remove forced" },
  ]);
  const { id, outs } = await provider.create((await provider.check!({}, base)).inputs);
  await db.sql.query("ALTER TABLE app.plain ENABLE ROW LEVEL SECURITY");
  expect((await provider.read!(id, outs)).props).toEqual(outs);
  await provider.delete!(id, outs);
});

/**
 * PostgreSQL 17 and TimescaleDB 2.19 on the test server (README "Row-level
 * security" states it): a partition has its own row security, off, whoever
 * creates it; a GRANT on the parent reaches no partition, existing or later,
 * but `GRANT … ON ALL TABLES IN SCHEMA` (what @pulumi/postgresql's Grant
 * does without `objects`) reaches every one. A chunk is created without row
 * security (TimescaleDB refuses to force it; 2.19 refuses to enable it) and
 * with the hypertable's grants, and gets every later GRANT on it.
 */
describe("partitions and chunks do not inherit row security: pgstrata closes them", () => {
  let app: Client;
  beforeAll(async () => {
    await db.sql.query(`
      CREATE TABLE app.events (id bigint NOT NULL, tenant_id uuid NOT NULL, at timestamptz NOT NULL) PARTITION BY RANGE (at);
      CREATE TABLE app.events_2024_01 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
      CREATE TABLE app.readings (id bigint NOT NULL, tenant_id uuid NOT NULL, at timestamptz NOT NULL);
      SELECT create_hypertable('app.readings', by_range('at', interval '1 day'));
      GRANT SELECT, INSERT, UPDATE, DELETE ON app.events, app.readings TO app_user;
      GRANT SELECT ON ALL TABLES IN SCHEMA app TO app_user;
      INSERT INTO app.events VALUES (1, gen_random_uuid(), '2024-01-02');
      INSERT INTO app.readings VALUES (1, gen_random_uuid(), '2024-01-02'), (2, gen_random_uuid(), '2024-01-05');`);
    app = new Client({ connectionString: urlAs(db.url, "app_user") });
    await app.connect();
  });
  afterAll(() => app.end());

  const quoted = (relation: string) => relation.split(".").map((p) => `"${p}"`).join(".");
  const directly = async (relation: string) => {
    try {
      return Number((await app.query(`SELECT count(*) FROM ${relation}`)).rows[0].count);
    } catch (error) {
      return (error as Error).message;
    }
  };
  const chunks = async () => (await db.sql.query("SELECT format('%I.%I', chunk_schema, chunk_name) AS c FROM timescaledb_information.chunks WHERE hypertable_name = 'readings' ORDER BY 1")).rows.map((r) => r.c as string);

  test("before: a role granted the parent reads partitions and chunks around its policies", async () => {
    await db.sql.query(`ALTER TABLE app.events ENABLE ROW LEVEL SECURITY; ALTER TABLE app.readings ENABLE ROW LEVEL SECURITY`);
    expect(await directly("app.events")).toBe(0); // no policy: deny-all through the parent
    expect(await directly("app.events_2024_01")).toBe(1);
    for (const c of await chunks()) expect(await directly(c)).toBe(1);
    // TimescaleDB refuses to force row security on a chunk (2.19 refuses enabling it too), and applies a later GRANT on the hypertable to every chunk
    const [first] = await chunks();
    await expect(db.sql.query(`ALTER TABLE ${first} FORCE ROW LEVEL SECURITY`)).rejects.toThrow("operation not supported on chunk tables");
    await db.sql.query(`GRANT TRIGGER ON app.readings TO app_readonly`);
    expect((await db.sql.query(`SELECT relacl::text[] AS acl FROM pg_class WHERE oid = $1::regclass`, [first])).rows[0].acl).toContain("app_readonly=t/postgres");
    await db.sql.query(`REVOKE TRIGGER ON app.readings FROM app_readonly`);
    await db.sql.query(`ALTER TABLE app.events DISABLE ROW LEVEL SECURITY; ALTER TABLE app.readings DISABLE ROW LEVEL SECURITY`);
  });

  test.each([
    ["a partitioned table: each partition gets row security without a policy", "events", "app.events_2024_01", `ALTER TABLE "app"."events_2024_01" ENABLE ROW LEVEL SECURITY`],
    ["a hypertable: every non-owner privilege on its chunks is revoked", "readings", "", ""],
  ])("%s; refresh reports a later child, up closes it", async (_label, name, partition, partitionSql) => {
    const inputs = { connection: { url: db.url }, schema: "app", name, columns, rowLevelSecurity: { enabled: true, forced: true } };
    const { id, outs } = await provider.create((await provider.check!({}, inputs)).inputs);
    const relation = `"app"."${name}"`;
    const closing = partition ? [partitionSql] : (await chunks()).map((c) => `REVOKE ALL ON TABLE ${quoted(c)} FROM "app_user"`);
    expect(outs.appliedSql).toEqual([`ALTER TABLE ${relation} ENABLE ROW LEVEL SECURITY`, `ALTER TABLE ${relation} FORCE ROW LEVEL SECURITY`, ...closing]);
    for (const child of partition ? [partition] : await chunks()) expect(await directly(child)).toEqual(partition ? 0 : expect.stringMatching(/^permission denied for table _hyper_/));

    // a child created after the last up escapes again until the next one
    if (partition) await db.sql.query("CREATE TABLE app.events_2024_02 PARTITION OF app.events FOR VALUES FROM ('2024-02-01') TO ('2024-03-01'); GRANT SELECT ON ALL TABLES IN SCHEMA app TO app_user");
    else await db.sql.query("INSERT INTO app.readings VALUES (3, gen_random_uuid(), '2024-03-01')");
    const later = partition ? "app.events_2024_02" : (await chunks()).pop()!;
    const read = (await provider.read!(id, outs)).props as typeof outs;
    expect(read.rowLevelSecurity).toEqual({
      enabled: true,
      forced: true,
      exposedChildren: [{ schema: later.split(".")[0], name: later.split(".")[1], chunk: !partition, grantees: ["app_user"] }],
    });
    const news = (await provider.check!(read, inputs)).inputs;
    expect((await provider.diff!(id, read, news)).changes).toBe(true);
    const healed = await provider.update!(id, read, news);
    expect(healed.outs.appliedSql).toEqual([partition ? `ALTER TABLE "app"."events_2024_02" ENABLE ROW LEVEL SECURITY` : `REVOKE ALL ON TABLE ${quoted(later)} FROM "app_user"`]);
    expect((await provider.read!(id, healed.outs)).props).toEqual(healed.outs);
    // the table itself still works for the role (through its policies: none, so no rows)
    expect(await directly(`app.${name}`)).toBe(0);
  });
});
