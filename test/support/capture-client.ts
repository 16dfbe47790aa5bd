import { spawn } from "child_process";
import * as path from "path";
import { nodeBinary } from "./provider-host";

/** A JSON value as the engine stores it in state and sends it to providers. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A resource property bag (inputs or outputs) in plain JSON form. */
export type PropertyMap = Record<string, JsonValue>;

/** What `test/support/capture.ts` needs to run a Pulumi program under mocks. */
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

/** Repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` in a separate plain Node process
 * (`test/support/capture.ts` via ts-node; jest's module registry would break closure
 * serialization) and returns the dynamic resources it registers, in registration order.
 * Rejects with the script's stderr if it fails.
 */
export async function captureProgram(request: CaptureRequest): Promise<CapturedResource[]> {
  const script = path.join(REPO_ROOT, "test", "support", "capture.ts");
  const child = spawn(nodeBinary(REPO_ROOT), ["-r", "ts-node/register/transpile-only", script], {
    cwd: REPO_ROOT,
    env: { ...process.env, PULUMI_NODEJS_PROJECT: request.project, PULUMI_NODEJS_STACK: request.stack },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  // The request goes through stdin, not argv, so secrets in config do not show up in `ps`.
  child.stdin.end(JSON.stringify(request));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  const lastLine = stdout.trimEnd().split("\n").pop() ?? "";
  if (code !== 0) {
    throw new Error(`capture of ${request.program} failed (exit ${code}):\n${stderr.trim()}`);
  }
  try {
    return JSON.parse(lastLine) as CapturedResource[];
  } catch {
    throw new Error(`capture of ${request.program} printed no JSON result.\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
}
