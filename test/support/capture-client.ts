import { spawn } from "child_process";
import * as path from "path";
import { nodeBinary } from "./provider-host";
import type { CaptureRequest, CapturedResource } from "../../plan/capture";

export type { CaptureRequest, CapturedResource, JsonValue, PropertyMap } from "../../plan/capture";

/** Repository root (two levels above this file). */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/**
 * Runs a Pulumi program under `pulumi.runtime.setMocks` in a separate plain Node process
 * (`plan/capture.ts` via ts-node; jest's module registry would break closure
 * serialization) and returns the dynamic resources it registers, in registration order.
 * Rejects with the script's stderr if it fails.
 */
export async function captureProgram(request: CaptureRequest): Promise<CapturedResource[]> {
  const script = path.join(REPO_ROOT, "plan", "capture.ts");
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

/**
 * `resources` in an order the engine's dependency graph allows for the
 * stacks/ model: schema → table → hypertable / partition → partition set,
 * retention, continuous aggregates; table → policy, index. A stable sort, so
 * that an aggregate declared after the one it is built on stays after it.
 */
export function engineOrder(resources: CapturedResource[]): CapturedResource[] {
  const rank = (r: CapturedResource) => ENGINE_ORDER.indexOf(r.type.split(":").pop()!);
  return [...resources].sort((a, b) => rank(a) - rank(b));
}

const ENGINE_ORDER = ["Schema", "Table", "Hypertable", "Partition", "PartitionSet", "RetentionPolicy", "ContinuousAggregate", "Policy", "Index"];
