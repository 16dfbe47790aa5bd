/**
 * Keeps the dynamic-provider harness honest: a fixture program is captured under mocks in a
 * plain Node process, then its resource is driven through the SDK's real dynamic-provider host
 * over gRPC in the engine's call order. No database needed.
 */
import * as path from "path";
import { CapturedResource, captureProgram, PropertyMap, REPO_ROOT } from "../support/capture-client";
import { ProviderHost } from "../support/provider-host";

const config = { "pgstrata:greeting": "hello", "pgstrata:token": "t0ken" };
const secretKeys = ["pgstrata:token"];

let host: ProviderHost | undefined;
let echo: CapturedResource;

function started(): ProviderHost {
  if (!host) throw new Error("provider host not started");
  return host;
}

beforeAll(async () => {
  const program = path.join(__dirname, "fixtures", "echo-program.ts");
  const resources = await captureProgram({ program, project: "pgstrata", stack: "dev", config, secretKeys });
  expect(resources).toHaveLength(1);
  echo = resources[0];
  host = await ProviderHost.start({ cwd: REPO_ROOT, project: "pgstrata", config, secretKeys });
});

afterAll(async () => {
  if (!host) return;
  const rpcs = host.timings.map((t) => `${t.method} ${t.ms.toFixed(1)}`).join(", ");
  process.stderr.write(`\n[provider host] cold start ${host.startupMs.toFixed(0)} ms; RPC ms: ${rpcs}\n`);
  await host.stop();
});

test("capture yields engine-shaped inputs with the serialized provider", () => {
  expect(echo.type).toBe("pulumi-nodejs:dynamic:Resource");
  expect(echo.urn).toBe("urn:pulumi:dev::pgstrata::pulumi-nodejs:dynamic:Resource::echo");
  // The secret arrives unwrapped, as the engine sends it (Configure answers acceptSecrets=false).
  expect(echo.inputs).toMatchObject({ key: "k1", value: "v1", token: "t0ken" });
  expect(echo.secretInputs).toEqual(["token"]);
  const provider = echo.inputs.__provider;
  expect(typeof provider).toBe("string");
  expect(provider).toContain("exports.handler");
  expect(provider).toContain('require("crypto")');
});

test("create → update → refresh → destroy round-trip through the real host", async () => {
  const h = started();
  const { urn } = echo;

  // create: Check(olds = {}) → Create.
  const checked = await h.check(urn, {}, echo.inputs);
  expect(checked.failures).toEqual([]);
  expect(checked.inputs).toEqual(echo.inputs);
  const created = await h.create(urn, checked.inputs);
  expect(created.id).toMatch(/^echo-[0-9a-f]{8}$/);
  expect(created.properties).toEqual({
    ...echo.inputs,
    config: { greeting: "hello", token: "t0ken" },
  });

  // same inputs: no changes.
  const same = await h.check(urn, checked.inputs, echo.inputs);
  expect(await h.diff(created.id, urn, created.properties, same.inputs)).toEqual({
    changes: false,
    replaces: [],
    deleteBeforeReplace: false,
  });

  // update: Check(oldInputs, news) → Diff(oldOutputs, news) → Update(oldOutputs, news).
  const news: PropertyMap = { ...echo.inputs, value: "v2" };
  const rechecked = await h.check(urn, checked.inputs, news);
  expect(await h.diff(created.id, urn, created.properties, rechecked.inputs)).toEqual({
    changes: true,
    replaces: [],
    deleteBeforeReplace: false,
  });
  const updated = await h.update(created.id, urn, created.properties, rechecked.inputs);
  expect(updated.properties).toEqual({ ...rechecked.inputs, updated: true });

  // a changed key asks for replacement.
  const moved = await h.check(urn, rechecked.inputs, { ...news, key: "k2" });
  expect(await h.diff(created.id, urn, updated.properties, moved.inputs)).toEqual({
    changes: true,
    replaces: ["key"],
    deleteBeforeReplace: true,
  });

  // refresh: Read(outputs, inputs); __provider is carried into both.
  const read = await h.read(created.id, urn, updated.properties, rechecked.inputs);
  expect(read.id).toBe(created.id);
  expect(read.properties).toEqual({ ...updated.properties, refreshed: true });
  expect(read.inputs).toEqual({ key: "k1", value: "v2", token: "t0ken", __provider: echo.inputs.__provider });

  // destroy: Delete(outputs).
  await expect(h.delete(created.id, urn, read.properties)).resolves.toBeUndefined();
});

test("check failures and provider errors reach the caller", async () => {
  const h = started();
  const { urn } = echo;
  const bad = await h.check(urn, {}, { ...echo.inputs, key: "" });
  expect(bad.failures).toEqual([{ property: "key", reason: "key must not be empty" }]);
  await expect(h.create(urn, { ...echo.inputs, value: "fail" })).rejects.toThrow(/^echo: refusing to create k1$/);
  await expect(h.delete("echo-undeletable", urn, echo.inputs)).rejects.toThrow("echo: cannot delete echo-undeletable");
});

test("capture reports a failing program with its stderr", async () => {
  const program = path.join(__dirname, "fixtures", "echo-program.ts");
  // No `pgstrata:token` in config: requireSecret throws inside the program.
  await expect(captureProgram({ program, project: "pgstrata", stack: "dev", config: {} })).rejects.toThrow(/Missing required configuration variable 'pgstrata:token'/);
});
