/**
 * The generic adapter's I/O-free paths (check, and diff before it reads the
 * database: unknown inputs, replaces) as the engine calls them during
 * `pulumi preview`: no database is reachable here. Diff against the live
 * object: test/e2e/preview.test.ts.
 */
import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { tableKind } from "../../resources/table/kind";

/** The value the engine sends for an input not known during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const connection = { url: "postgres://app@127.0.0.1:1/none" };
const table = { connection, schema: "app", name: "t", columns: [{ name: "id", type: "int" }, { name: "at", type: "timestamptz", nullable: false }] };

test("check during preview: an unknown input is not a failure, and a known bad one still is", async () => {
  const provider = providerFor(tableKind);
  expect(await provider.check!({}, { ...table, schema: UNKNOWN })).toEqual({ inputs: { ...table, schema: UNKNOWN } });
  const { failures } = await provider.check!({}, { ...table, schema: UNKNOWN, name: "" });
  expect(failures).toEqual([{ property: "name", reason: expect.stringMatching(/must not be empty/) }]);
});

test("check returns the validated inputs: defaults filled, types in the server's spelling, no undefined members", async () => {
  const { inputs } = await providerFor(tableKind).check!({}, table);
  expect(inputs).toEqual({
    ...table,
    connection: { ...connection, lockTimeout: "5s", statementTimeout: "15min" },
    columns: [{ name: "id", type: "integer", nullable: true }, { name: "at", type: "timestamp with time zone", nullable: false }],
    uniqueConstraints: [],
    checkConstraints: [],
    allowHazards: [],
  });
  expect(JSON.stringify(inputs)).not.toContain("undefined");
});

test("an unknown property is reported at its path, with the properties known there as the alternatives", async () => {
  const { failures } = await providerFor(tableKind).check!({}, {
    ...table,
    bogus: 1,
    columns: [{ ...table.columns[0], bogus: 1 }, table.columns[1]],
    rowLevelSecurity: { enabled: true, bogus: 1 },
    connection: { ...connection, bogus: 1 },
  });
  const alternatives = (property: string) => failures!.find((f) => f.property === property)?.reason.replace(/^unknown property "bogus": remove it, or use one of /, "");
  expect(failures!.map((f) => f.property).sort()).toEqual(["bogus", "columns[0].bogus", "connection.bogus", "rowLevelSecurity.bogus"]);
  expect(alternatives("columns[0].bogus")).toBe("name, type, nullable, default, identity");
  expect(alternatives("rowLevelSecurity.bogus")).toBe("enabled, forced");
  expect(alternatives("connection.bogus")).toMatch(/^url, host, port, database, user, password, sslmode,/);
  expect(alternatives("bogus")).toMatch(/^schema, name, columns, /);
  const ht = await providerFor(hypertableKind).check!({}, { connection, schema: "app", table: "t", timeColumn: "at", hashDimension: { column: "id", partitions: 2, bogus: 1 } });
  expect(ht.failures).toEqual([{ property: "hashDimension.bogus", reason: 'unknown property "bogus": remove it, or use one of column, partitions' }]);
});

describe("diff without the database", () => {
  const provider = providerFor(tableKind);
  const outputsOf = async (inputs: object) => ({ ...(await provider.check!({}, inputs)).inputs, observed: {}, appliedSql: ["CREATE TABLE …"], __provider: "exports.handler = …" });

  test("a connection not known yet (a database created in the same update): a change, nothing read", async () => {
    const olds = await outputsOf(table);
    const news = (await provider.check!(olds, { ...table, connection: UNKNOWN, comment: "new" })).inputs;
    expect(await provider.diff!("app.t", olds, news)).toEqual({ changes: true });
  });

  test("a renamed table is a replace, created before the old one is deleted", async () => {
    const olds = await outputsOf(table);
    const news = (await provider.check!(olds, { ...table, name: "t2" })).inputs;
    expect(await provider.diff!("app.t", olds, news)).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: false });
  });

  test("a new time column replaces the hypertable in place: delete before create", async () => {
    const ht = providerFor(hypertableKind);
    const base = { connection, schema: "app", table: "t", timeColumn: "at" };
    const olds = { ...(await ht.check!({}, base)).inputs, observed: {} };
    const news = (await ht.check!(olds, { ...base, timeColumn: "other_at", migrateData: true })).inputs;
    expect(await ht.diff!("app.t", olds, news)).toEqual({ changes: true, replaces: ["timeColumn"], deleteBeforeReplace: true });
    const withoutMigrate = await ht.check!(olds, { ...base, timeColumn: "other_at" });
    expect(withoutMigrate.failures).toEqual([{ property: "timeColumn", reason: expect.stringMatching(/^changing timeColumn replaces the hypertable: .*Set migrateData: true/) }]);
  });
});

describe("a stored state whose connection no longer validates (edited state, an older version's defaults)", () => {
  const provider = providerFor(tableKind);
  const stored = { ...table, connection: { url: "mysql://app@db/none", lockTimeout: "5s", statementTimeout: "15min" }, allowHazards: [], observed: {}, appliedSql: [] };

  test.each([
    ["read", () => provider.read!("app.t", stored)],
    ["delete", () => provider.delete!("app.t", stored)],
  ])("%s names the resource and the property, with the fix, not zod's JSON", async (_method, call) => {
    const error = await call().then(() => undefined, (e: Error) => e);
    expect(error?.message).toMatch(/^Table app\.t: the connection stored in this resource's state is invalid:\n {2}connection\.url: must start with postgres:\/\/ or postgresql:\/\/\n.*pulumi up/s);
    expect(error?.message).not.toMatch(/"code"|\[\s*\{/);
  });
});
