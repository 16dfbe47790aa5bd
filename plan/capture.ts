/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` and yields the dynamic resources it
 * registers, with their inputs exactly as the engine would send them to the provider: the SQL
 * plan (plan/index.ts) reads them, and the tests drive them through the real provider host.
 *
 * Must run in a PLAIN Node process, never inside jest: the closure serializer consults Node's
 * `require.cache` to tell packages (`require("pg")`) from local code (copied by value). As a
 * script it prints the resources as one JSON line (tests use `captureProgram` from
 * test/support/capture-client.ts, which runs it):
 *
 *   echo '<CaptureRequest JSON>' | node -r ts-node/register/transpile-only plan/capture.ts
 *
 * cwd must be the project root.
 */
/** A JSON value as the engine stores it in state and sends it to providers. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A resource property bag (inputs or outputs) in plain JSON form. */
export type PropertyMap = Record<string, JsonValue>;

/** What {@link captureResources} needs to run a Pulumi program under mocks. */
export interface CaptureRequest {
  /** Absolute path of the Pulumi program module (e.g. `<repo>/stacks/index.ts`). */
  program: string;
  /** Pulumi project name, e.g. `"pgstrata"`. */
  project: string;
  /** Stack name, e.g. `"dev"`. */
  stack: string;
  /** Stack config with namespaced keys, e.g. `{ "pgstrata:databaseUrl": "postgres://…" }`. */
  config: Record<string, string>;
  /** Config keys (namespaced) that are secrets, as `pulumi config set --secret` would mark them. */
  secretKeys?: string[];
}

/** One dynamic resource registration, as the engine would receive it. */
export interface CapturedResource {
  /** Type token, `pulumi-nodejs:dynamic[/<module>]:<Type>`. */
  type: string;
  /** Logical resource name. */
  name: string;
  /** `urn:pulumi:<stack>::<project>::<type>::<name>` (parent types are not encoded). */
  urn: string;
  /**
   * Resource inputs as plain JSON, `__provider` (the serialized provider module text) included.
   * Secrets are unwrapped here, exactly as the engine sends them to a dynamic provider
   * (the host answers Configure with acceptSecrets=false).
   */
  inputs: PropertyMap;
  /** Top-level input keys the program marked secret (`pulumi.secret(…)` or a secret closure for `__provider`). */
  secretInputs: string[];
}


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

/**
 * Runs the program `req.program` under mocks with `req.config` as its stack config and
 * returns the dynamic resources it registered, in registration order.
 * @throws when the program throws or logs an error.
 */
export async function captureResources(req: CaptureRequest): Promise<CapturedResource[]> {
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
  return captured;
}

async function main(): Promise<string> {
  const req = await readRequest();
  // Keep stdout for the result only: the program's own logging goes to stderr.
  console.log = console.info = console.debug = console.error;
  return JSON.stringify(await captureResources(req)) + "\n";
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
