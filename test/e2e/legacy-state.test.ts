/**
 * State written by pgschema 0.1, whose providers were serialized by value
 * (31–73 KB of `__provider` per resource), keeps working after the upgrade to
 * pgstrata's referenced providers, through the SDK's real provider host:
 * refresh and delete run the stored provider; check, diff and update run the
 * new one on the old outputs. The fixture holds the `__provider` texts and
 * inputs pgschema 0.1 registered for the `events` schema, the event store
 * table and its hypertable (captured from commit 1676b1e under mocks).
 */
import { readFileSync } from "fs";
import * as path from "path";
import { CapturedResource, captureProgram, PropertyMap, REPO_ROOT } from "../support/capture-client";
import { ProviderHost } from "../support/provider-host";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let host: ProviderHost;
let legacy: CapturedResource[];
let current: CapturedResource[];
const state = new Map<string, { id: string; inputs: PropertyMap; outputs: PropertyMap }>();

beforeAll(async () => {
  db = await scratchDatabase("legacy_state");
  const fixture = JSON.parse(readFileSync(path.join(__dirname, "fixtures", "pgschema-0.1.0-state.json"), "utf8")) as CapturedResource[];
  legacy = fixture.map((r) => ({ ...r, inputs: { ...r.inputs, connection: { url: db.url } } }));
  const config = { "pgstrata:databaseUrl": db.url };
  current = await captureProgram({ program: path.join(REPO_ROOT, "stacks", "index.ts"), project: "pgstrata", stack: "dev", config, secretKeys: ["pgstrata:databaseUrl"] });
  host = await ProviderHost.start({ cwd: REPO_ROOT, project: "pgstrata", config });
});

afterAll(async () => {
  await host?.stop();
  await db?.close();
});

/**
 * The resource of the current program that the engine matches with `old` through its pgschema type alias,
 * without what the model itself gained since 0.1 (the event store's tenant_id and row security, issue 8):
 * the upgrade is judged on the rest.
 */
const successor = (old: CapturedResource): CapturedResource => {
  const next = current.find((r) => r.type === old.type.replace("/pgschema:", "/pgstrata:") && r.name === old.name)!;
  if (!next.type.endsWith(":Table")) return next;
  const { rowLevelSecurity: _since01, ...inputs } = next.inputs;
  return { ...next, inputs: { ...inputs, columns: (inputs.columns as PropertyMap[]).filter((c) => c.name !== "tenant_id") } };
};

test("the fixture is by-value state and the current program references its provider", () => {
  expect(legacy.map((r) => [r.type, r.name])).toEqual([
    ["pulumi-nodejs:dynamic/pgschema:Schema", "events"],
    ["pulumi-nodejs:dynamic/pgschema:Table", "events.event_store"],
    ["pulumi-nodejs:dynamic/pgschema:Hypertable", "events.event_store"],
  ]);
  for (const old of legacy) {
    expect((old.inputs.__provider as string).length).toBeGreaterThan(30_000);
    expect((successor(old).inputs.__provider as string).length).toBeLessThan(1024);
  }
});

test("pgschema 0.1 creates its objects, and its stored provider still refreshes them", async () => {
  for (const old of legacy) {
    const checked = await host.check(old.urn, {}, old.inputs);
    expect(checked.failures).toEqual([]);
    const created = await host.create(old.urn, checked.inputs);
    state.set(old.urn, { id: created.id, inputs: checked.inputs, outputs: created.properties });
  }
  for (const old of legacy) {
    const s = state.get(old.urn)!;
    const read = await host.read(s.id, old.urn, s.outputs, s.inputs);
    expect(read.id).toBe(s.id);
    expect(read.properties).toEqual(s.outputs);
  }
});

test("after the upgrade, the new provider sees no change in the old state (a no-op preview)", async () => {
  for (const old of legacy) {
    const s = state.get(old.urn)!;
    const next = successor(old);
    const checked = await host.check(next.urn, s.inputs, { ...next.inputs, connection: { url: db.url } });
    expect(checked.failures).toEqual([]);
    const diff = await host.diff(s.id, next.urn, s.outputs, checked.inputs);
    expect({ name: old.name, ...diff }).toEqual({ name: old.name, changes: false, replaces: [], deleteBeforeReplace: false });
  }
});

test("an update through the new provider applies to old outputs and stores the small provider", async () => {
  const old = legacy.find((r) => r.type.endsWith(":Table"))!;
  const s = state.get(old.urn)!;
  const next = successor(old);
  const news = { ...next.inputs, connection: { url: db.url }, comment: "upgraded" };
  const checked = await host.check(next.urn, s.inputs, news);
  expect((await host.diff(s.id, next.urn, s.outputs, checked.inputs)).changes).toBe(true);
  const updated = await host.update(s.id, next.urn, s.outputs, checked.inputs);
  expect((updated.properties.__provider as string).length).toBeLessThan(1024);
  expect(updated.properties.comment).toBe("upgraded");
  expect((await db.sql.query("SELECT obj_description('events.event_store'::regclass, 'pg_class') AS c")).rows).toEqual([{ c: "upgraded" }]);
  state.set(old.urn, { id: s.id, inputs: checked.inputs, outputs: updated.properties });
  const read = await host.read(s.id, next.urn, updated.properties, checked.inputs);
  expect(read.properties).toEqual(updated.properties);
});

test("delete runs each resource's stored provider: the old one for old state, the new one after an update", async () => {
  for (const old of [...legacy].reverse()) {
    const s = state.get(old.urn)!;
    await host.delete(s.id, old.urn, s.outputs);
  }
  expect((await db.sql.query("SELECT to_regclass('events.event_store') AS t, to_regnamespace('events') AS n")).rows).toEqual([{ t: null, n: null }]);
});
