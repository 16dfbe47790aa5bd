/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and prints the dynamic resources it
 * registers as one JSON line (a `CapturedResource[]`) on stdout.
 *
 * Must run in a PLAIN Node process, never inside jest: the closure serializer consults Node's
 * `require.cache` to tell packages (`require("pg")`) from local code (copied by value).
 *
 *   echo '<CaptureRequest JSON>' | node -r ts-node/register/transpile-only test/support/capture.ts
 *   node -r ts-node/register/transpile-only test/support/capture.ts '<CaptureRequest JSON>'
 *
 * cwd must be the repository root. Use `captureProgram` from `./capture-client` from tests.
 */
import type { CaptureRequest, CapturedResource, JsonValue, PropertyMap } from "./capture-client";

/** Key and value that mark a wrapped secret in the SDK's RPC encoding (`runtime/rpc.js`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecret(v: unknown): v is { value: unknown } {
  return typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * Converts a deserialized mock input to what the engine sends a provider that does not accept
 * secrets: secrets unwrapped, `undefined` dropped, anything but plain JSON rejected.
 */
function toEngineValue(v: unknown, where: string): JsonValue | undefined {
  if (isSecret(v)) return toEngineValue(v.value, where);
  if (v === undefined) return undefined;
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new Error(`${where}: non-finite number ${v}`);
    return v;
  }
  if (Array.isArray(v)) return v.map((e, i) => toEngineValue(e, `${where}[${i}]`) ?? null);
  const proto: unknown = Object.getPrototypeOf(v);
  if (typeof v === "object" && (proto === Object.prototype || proto === null)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, e] of Object.entries(v)) {
      const c = toEngineValue(e, `${where}.${k}`);
      if (c !== undefined) out[k] = c;
    }
    return out;
  }
  throw new Error(`${where}: not plain JSON (${Object.prototype.toString.call(v)}); assets and resource objects are not supported`);
}

async function readRequest(): Promise<CaptureRequest> {
  let text = process.argv[2];
  if (text === undefined) {
    text = "";
    for await (const chunk of process.stdin) text += String(chunk);
  }
  const req = JSON.parse(text) as CaptureRequest;
  if (!req.program || !req.project || !req.stack) throw new Error("request needs program, project and stack");
  return req;
}

async function main(): Promise<string> {
  const req = await readRequest();
  // Keep stdout for the result only: the program's own logging goes to stderr.
  console.log = console.info = console.debug = console.error;

  // Loaded after the request is read so a bad request fails fast.
  const pulumi: typeof import("@pulumi/pulumi") = require("@pulumi/pulumi");
  const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };

  const captured: CapturedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (args.type.startsWith("pulumi-nodejs:dynamic")) {
          const where = `${args.type}::${args.name}`;
          captured.push({
            type: args.type,
            name: args.name,
            urn: `urn:pulumi:${req.stack}::${req.project}::${args.type}::${args.name}`,
            inputs: toEngineValue(args.inputs, where) as PropertyMap,
            secretInputs: Object.keys(args.inputs).filter((k) => isSecret(args.inputs[k])),
          });
        }
        return { id: `${args.name}_id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    req.project,
    req.stack,
    false,
  );
  // Same store the language host fills from PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS.
  pulumi.runtime.setAllConfig(req.config ?? {}, req.secretKeys ?? []);

  // As the language host does (cmd/run/run.js): require the program inside the root Stack,
  // call it if it exports a function, await the result, then drain outstanding RPCs.
  await pulumi.runtime.runInPulumiStack(async () => {
    const programExport: unknown = require(req.program);
    return programExport instanceof Function ? await programExport() : programExport;
  });
  await settings.waitForRPCs();
  if (pulumi.log.hasErrors()) throw new Error("the program logged errors (see above)");
  return JSON.stringify(captured) + "\n";
}

if (require.main === module) {
  process.on("unhandledRejection", (err) => {
    console.error("unhandled rejection:", err);
    process.exit(1);
  });
  main().then(
    (json) => process.stdout.write(json, () => process.exit(0)),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
