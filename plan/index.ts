/**
 * The SQL plan for pull requests: what `pulumi up -s <stack>` would run, read
 * against the live database, changing nothing.
 *
 *   npm run plan -- --stack dev [--format text|markdown|json]
 *
 * Runs the stack's program under mocks (plan/capture.ts) with the config of
 * `Pulumi.<stack>.yaml`, then plans every pgstrata resource against its live
 * object with the installed provider (`pgstrata/dist/providers`, the code
 * `pulumi up` runs) and prints per resource: create / update / replace /
 * no-op, the exact SQL in order, and its hazards (with the ones the resource
 * does not allow marked: `up` would refuse them). It reads only: scratch
 * objects used to canonicalize SQL live in rolled-back transactions.
 *
 * Config values stored encrypted (`secure:`) are not decrypted (that is the
 * Pulumi CLI's job): give them in the environment as `<NAMESPACE>_<KEY>` in
 * upper snake case (`pgstrata:databaseUrl` → `PGSTRATA_DATABASE_URL`); the
 * stacks program itself also falls back to `DATABASE_URL`. For a stack that
 * starts its own database (`pgstrata:database: docker`),
 * `PGSTRATA_PLAN_DATABASE_URL` points every resource at it (the container's
 * password is in the Pulumi state, not in config).
 *
 * Without Pulumi state, the plan cannot list deletions (resources removed
 * from the program), and a difference between the declaration and the
 * database shows as an update whether it is drift or a change of the program.
 *
 * Exit codes: 0 no changes, 2 changes, 1 an error or a hazard a resource does not allow.
 */
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { providers } from "pgstrata/dist/providers";
import { parse } from "yaml";
import { CapturedResource, captureResources } from "./capture";
import { exitCode, jsonReport, markdownReport, PlanEntry, textReport } from "./report";

const FORMATS = { text: textReport, markdown: markdownReport, json: jsonReport };

interface Options {
  stack: string;
  format: keyof typeof FORMATS;
  /** The Pulumi project root (where Pulumi.yaml is). */
  root: string;
}

/** `--stack NAME [--format F] [--cwd DIR]`; throws naming the bad argument. */
function parseArgs(argv: string[]): Options {
  const options: Partial<Options> = { format: "text", root: process.cwd() };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag}: a value is missing`);
    if (flag === "--stack") options.stack = value;
    else if (flag === "--format" && value in FORMATS) options.format = value as Options["format"];
    else if (flag === "--format") throw new Error(`--format ${value}: use text, markdown or json`);
    else if (flag === "--cwd") options.root = path.resolve(value);
    else throw new Error(`unknown argument ${flag}: use --stack NAME [--format text|markdown|json] [--cwd DIR]`);
  }
  if (!options.stack) throw new Error("--stack is required, e.g. --stack dev");
  return options as Options;
}

/** `fooBar` → `FOO_BAR` */
const upperSnake = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();

/** The stack's config as the CLI would pass it to the program: plain values from the file, secure ones from the environment. */
function stackConfig(root: string, stack: string, env: NodeJS.ProcessEnv): { config: Record<string, string>; secretKeys: string[] } {
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) throw new Error(`stack ${stack}: ${file} does not exist`);
  const entries = Object.entries((parse(readFileSync(file, "utf8"))?.config ?? {}) as Record<string, unknown>);
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of entries) {
    const secure = value !== null && typeof value === "object" && "secure" in value;
    const [namespace, name] = key.split(":");
    const plain = secure ? env[`${upperSnake(namespace)}_${upperSnake(name)}`] : String(value);
    if (secure) secretKeys.push(key);
    if (plain !== undefined) config[key] = plain;
  }
  return { config, secretKeys };
}

/** The program file Pulumi.yaml names (`main`, a directory means its index.ts) and the project name. */
function project(root: string): { name: string; program: string } {
  const yaml = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; main?: string };
  const main = path.join(root, yaml.main ?? "index.ts");
  return { name: yaml.name, program: existsSync(path.join(main, "index.ts")) ? path.join(main, "index.ts") : main };
}

/**
 * Plans every pgstrata resource of `resources` in registration order. A
 * resource that cannot be planned against the database while an earlier one
 * is created by this plan (a hypertable over a table not there yet) is
 * planned as a create from nothing, and says so.
 */
async function planResources(resources: CapturedResource[], databaseUrl?: string): Promise<PlanEntry[]> {
  const entries: PlanEntry[] = [];
  for (const r of resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/pgstrata:"))) {
    const type = r.type.split(":").pop()!;
    const { lockTimeout, statementTimeout, extensionSchemas } = r.inputs.connection as Record<string, unknown>;
    const inputs = databaseUrl ? { ...r.inputs, connection: { url: databaseUrl, lockTimeout, statementTimeout, extensionSchemas } } : r.inputs;
    const earlierCreates = entries.some((e) => "plan" in e && e.plan.action === "create");
    try {
      entries.push({ name: r.name, plan: await providers[type].plan(inputs), assumesEarlierCreates: false });
    } catch (error) {
      const fallback = earlierCreates ? await providers[type].plan(inputs, true).catch(() => undefined) : undefined;
      entries.push(fallback ? { name: r.name, plan: fallback, assumesEarlierCreates: true } : { name: r.name, resource: type, error: (error as Error).message });
    }
  }
  return entries;
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const { name, program } = project(options.root);
  const { config, secretKeys } = stackConfig(options.root, options.stack, process.env);
  const resources = await captureResources({ program, project: name, stack: options.stack, config, secretKeys });
  const entries = await planResources(resources, process.env.PGSTRATA_PLAN_DATABASE_URL);
  process.stdout.write(FORMATS[options.format](options.stack, entries));
  return exitCode(entries);
}

if (require.main === module) {
  // The program's own logging (warnings) goes to stderr; stdout is the report.
  console.log = console.info = console.warn = console.error;
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`plan: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
