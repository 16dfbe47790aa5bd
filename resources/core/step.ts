/**
 * Steps are the planner's output: SQL plus what can go wrong running it.
 * Hazards are data (as in pg-schema-diff): a step that carries a hazard the
 * resource does not allow is refused before any step runs.
 */

/**
 * - `data-loss`: the step destroys rows or values (drop a non-empty table or
 *   column, replace a non-empty hypertable).
 * - `table-rewrite`: the step rewrites a non-empty table under an ACCESS
 *   EXCLUSIVE lock (e.g. a column type change that is not binary-coercible).
 */
export const HAZARD_KINDS = ["data-loss", "table-rewrite"] as const;
export type HazardKind = (typeof HAZARD_KINDS)[number];

export interface Hazard {
  readonly kind: HazardKind;
  /** Names the object and what is at stake, e.g. `dropping column "x" of events.t discards 120 rows`. */
  readonly message: string;
}

export interface Step {
  readonly sql: string;
  readonly hazards: readonly Hazard[];
  /** False for statements that cannot run inside a transaction block (`CREATE INDEX CONCURRENTLY`). */
  readonly transactional: boolean;
}

/** A transactional step without hazards. */
export function step(sql: string, hazards: readonly Hazard[] = []): Step {
  return { sql, hazards, transactional: true };
}

/**
 * Throws when any step carries a hazard that `allowed` does not list. The
 * message names the resource, each hazard, and the input that allows it.
 */
export function refuseDisallowedHazards(resource: string, steps: readonly Step[], allowed: readonly HazardKind[]): void {
  const refused = steps.flatMap((s) => s.hazards).filter((h) => !allowed.includes(h.kind));
  if (refused.length === 0) return;
  const kinds = [...new Set(refused.map((h) => h.kind))];
  throw new Error(
    `${resource}: refusing to apply a plan with hazards this resource does not allow; nothing was changed.\n` +
      refused.map((h) => `  [${h.kind}] ${h.message}`).join("\n") +
      `\nTo proceed, set allowHazards: [${kinds.map((k) => JSON.stringify(k)).join(", ")}] on this resource ` +
      `(a delete or replace reads it from the state of the last \`pulumi up\`, so apply that change first).`,
  );
}

/** Formats a row count for hazard messages: `0 rows`, `1 row`, `at least 10000 rows`. */
export function describeRows(rows: number, cap: number): string {
  const n = rows >= cap ? `at least ${cap}` : String(rows);
  return `${n} row${rows === 1 ? "" : "s"}`;
}
