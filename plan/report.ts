import type { ResourcePlan } from "pgstrata/dist/core/provider";

/** One resource's line of the SQL plan: its plan, or why it could not be planned. */
export type PlanEntry = { name: string; plan: ResourcePlan; assumesEarlierCreates: boolean } | { name: string; resource: string; error: string };

/** Exit codes of `npm run plan`: no changes, an error or a refused hazard, changes. */
const EXIT = { unchanged: 0, failed: 1, changes: 2 } as const;

/** 1 when any entry failed or carries a hazard its resource does not allow, 2 when any changes, else 0. */
export function exitCode(entries: PlanEntry[]): number {
  if (entries.some((e) => "error" in e || e.plan.refused.length > 0)) return EXIT.failed;
  return entries.some((e) => "plan" in e && e.plan.action !== "no-op") ? EXIT.changes : EXIT.unchanged;
}

const SYMBOL = { create: "+", update: "~", replace: "+-", "no-op": " " } as const;

/** `+ create Table events.event_store`, or `! error Table …`. */
function heading(e: PlanEntry): string {
  if ("error" in e) return `! error ${e.resource} (${e.name})`;
  const replaces = e.plan.replaces.length > 0 ? ` (replaces: ${e.plan.replaces.join(", ")})` : "";
  return `${SYMBOL[e.plan.action]} ${e.plan.action} ${e.plan.resource}${replaces}`;
}

/** The body under a heading: the error, or the SQL in order with each step's hazards and notice as comments. */
function body(e: PlanEntry): string[] {
  if ("error" in e) return e.error.split("\n");
  const lines = e.plan.steps.flatMap((s) => [
    ...s.hazards.map((h) => `-- [${h.kind}${e.plan.refused.includes(h) ? ", not allowed: up refuses this plan" : ""}] ${h.message}`),
    ...(s.notice ? [`-- [note] ${s.notice}`] : []),
    ...(s.transactional ? [] : ["-- (runs outside a transaction)"]),
    `${s.sql};`,
  ]);
  return e.assumesEarlierCreates ? ["-- planned as a create: objects it needs are created earlier in this plan", ...lines] : lines;
}

function summary(entries: PlanEntry[]): string {
  const count = (action: string) => entries.filter((e) => "plan" in e && e.plan.action === action).length;
  const errors = entries.filter((e) => "error" in e).length;
  const refused = entries.filter((e) => "plan" in e && e.plan.refused.length > 0).length;
  return `${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("no-op")} unchanged` +
    (errors > 0 ? `, ${errors} failed` : "") + (refused > 0 ? `, ${refused} refused (hazards not allowed)` : "");
}

/** The plan as text for a terminal: one heading per resource that changes, its SQL indented. */
export function textReport(stack: string, entries: PlanEntry[]): string {
  const changed = entries.filter((e) => "error" in e || e.plan.action !== "no-op");
  return [`SQL plan of stack ${stack}: ${summary(entries)}`, ...changed.flatMap((e) => ["", heading(e), ...body(e).map((l) => `    ${l}`)])].join("\n") + "\n";
}

/** The plan as Markdown for a pull-request comment: a summary line, then each changing resource with its SQL in a code block. */
export function markdownReport(stack: string, entries: PlanEntry[]): string {
  const changed = entries.filter((e) => "error" in e || e.plan.action !== "no-op");
  const sections = changed.flatMap((e) => [`#### \`${heading(e)}\``, "", "```sql", ...body(e), "```", ""]);
  return [`### pgstrata SQL plan: \`${stack}\``, "", `**${summary(entries)}**`, "", ...sections].join("\n") + "\n";
}

/** The plan as JSON: `{ stack, exitCode, resources: [...] }`, every resource included. */
export function jsonReport(stack: string, entries: PlanEntry[]): string {
  return JSON.stringify({ stack, exitCode: exitCode(entries), resources: entries }, null, 2) + "\n";
}
