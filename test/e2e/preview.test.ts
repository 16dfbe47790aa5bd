/**
 * A preview that knows the database (issue 10 §1), through the SDK's real
 * provider host: Check → Diff reads the live object, so drift shows without a
 * refresh, and a plan that Update would refuse fails the preview with
 * Update's message; Update refuses a plan whose hazards changed since Diff.
 */
import * as path from "path";
import { CapturedResource, captureProgram, PropertyMap, REPO_ROOT } from "../support/capture-client";
import { ProviderHost } from "../support/provider-host";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
let host: ProviderHost;
let table: CapturedResource;
const state = { id: "", inputs: {} as PropertyMap, outputs: {} as PropertyMap };

beforeAll(async () => {
  db = await scratchDatabase("e2e_preview");
  const config = { "pgstrata:databaseUrl": db.url };
  const resources = await captureProgram({ program: path.join(__dirname, "fixtures", "preview-program.ts"), project: "pgstrata", stack: "dev", config });
  host = await ProviderHost.start({ cwd: REPO_ROOT, project: "pgstrata", config });
  for (const r of resources) {
    const checked = await host.check(r.urn, {}, r.inputs);
    const created = await host.create(r.urn, checked.inputs);
    if (r.name === "app.readings") Object.assign(state, { id: created.id, inputs: checked.inputs, outputs: created.properties });
  }
  table = resources.find((r) => r.name === "app.readings")!;
  await db.sql.query("INSERT INTO app.readings (device, value) VALUES ('a', 1), ('b', NULL), ('c', 3)");
});

afterAll(async () => {
  await host?.stop();
  await db?.close();
});

/** Check → Diff of `news` against the stored state, as `pulumi preview` runs them (no Read). */
async function preview(news: PropertyMap) {
  const checked = await host.check(table.urn, state.inputs, news);
  expect(checked.failures).toEqual([]);
  return { checked: checked.inputs, diff: await host.diff(state.id, table.urn, state.outputs, checked.inputs) };
}

const withInputs = (patch: Record<string, unknown>) => ({ ...table.inputs, ...patch }) as PropertyMap;
const columns = () => table.inputs.columns as { name: string; nullable?: boolean }[];
const liveColumns = async () => (await db.sql.query("SELECT attname FROM pg_attribute WHERE attrelid = 'app.readings'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")).rows.map((r) => r.attname);

test("a preview of an unchanged table reads it and shows no change", async () => {
  expect((await preview(table.inputs)).diff).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
});

test("drift made out of band shows in the preview without a refresh, and the update heals it", async () => {
  await db.sql.query("ALTER TABLE app.readings ALTER COLUMN device SET DEFAULT 'rot13'");
  const { checked, diff } = await preview(table.inputs);
  expect(diff.changes).toBe(true);
  expect(host.timings.some((t) => t.method === "read")).toBe(false);
  const updated = await host.update(state.id, table.urn, state.outputs, checked);
  expect(updated.properties.appliedSql).toEqual([`ALTER TABLE "app"."readings" ALTER COLUMN "device" DROP DEFAULT`, `ALTER TABLE "app"."readings" ALTER COLUMN "device" SET DEFAULT 'unknown'::text`]);
  state.outputs = updated.properties;
  expect((await preview(table.inputs)).diff.changes).toBe(false);
});

test("a preview of a column drop on a table with rows fails with the rows at stake and the option that allows it", async () => {
  const news = withInputs({ columns: columns().filter((c) => c.name !== "device") });
  await expect(preview(news)).rejects.toThrow(/dropping column "device" of app\.readings discards its values in 3 rows[\s\S]*allowHazards: \["data-loss"\]/);
  expect(await liveColumns()).toEqual(["id", "device", "value", "at"]);
});

test("a preview of NOT NULL over a column holding NULLs fails with update's message", async () => {
  const news = withInputs({ columns: columns().map((c) => (c.name === "value" ? { ...c, nullable: false } : c)) });
  await expect(preview(news)).rejects.toThrow(/columns\[value\]\.nullable: some rows hold NULL in "value", so it cannot become NOT NULL/);
});

test("update refuses a plan whose hazards changed since the preview, and applies the plan a new preview shows", async () => {
  await db.sql.query("DELETE FROM app.readings");
  const news = withInputs({ columns: columns().filter((c) => c.name !== "value"), checkConstraints: [], allowHazards: ["data-loss"] });
  const { checked, diff } = await preview(news);
  expect(diff.changes).toBe(true);
  // Rows arrive between the preview and the update: the drop now loses data.
  await db.sql.query("INSERT INTO app.readings (device, value) VALUES ('d', 4)");
  await expect(host.update(state.id, table.urn, state.outputs, checked)).rejects.toThrow(/changed since the plan was previewed[\s\S]*now: \["data-loss: ALTER TABLE \\"app\\"\.\\"readings\\" DROP COLUMN \\"value\\""\]/);
  expect(await liveColumns()).toEqual(["id", "device", "value", "at"]);
  // A new preview shows the data-loss hazard (allowed here); the update then runs it.
  expect((await preview(news)).diff.changes).toBe(true);
  const updated = await host.update(state.id, table.urn, state.outputs, checked);
  expect(updated.properties.appliedSql).toEqual([`ALTER TABLE "app"."readings" DROP CONSTRAINT "value_finite"`, `ALTER TABLE "app"."readings" DROP COLUMN "value"`]);
  expect(await liveColumns()).toEqual(["id", "device", "at"]);
});
