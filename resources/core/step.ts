/**
 * Steps are the planner's output: SQL plus what can go wrong running it.
 * Hazards are data (as in pg-schema-diff): a step that carries a hazard the
 * resource does not allow is refused before any step runs.
 *
 * Transactions of a plan (core/session.ts `applySteps` runs them so):
 * consecutive transactional steps share one transaction; a step with
 * `transactional: false` runs alone, outside any transaction block, and so
 * commits on its own. That is how a plan mixes one transaction of catalog
 * changes with the slow, non-blocking work of an online change, e.g. adding
 * a CHECK to a table with rows:
 *
 *   T1  ALTER TABLE … ADD CONSTRAINT c CHECK (…) NOT VALID    (catalog only, brief lock)
 *   ─   ALTER TABLE … VALIDATE CONSTRAINT c                   (alone: scans under SHARE UPDATE EXCLUSIVE, writes go on)
 *   T2  … what needs the validated constraint (SET NOT NULL skips its scan)
 *
 * Validating inside T1 would hold T1's ACCESS EXCLUSIVE lock for the whole
 * scan, and the pattern would give nothing (PostgreSQL docs "ALTER TABLE",
 * Notes). A step that fails after earlier ones committed must not leave half
 * of a change behind: its `abandon` statement, and that of every step not
 * reached, undo what the committed steps prepared for them (the NOT VALID
 * constraint of a failed VALIDATE, the INVALID index of a failed concurrent
 * build).
 */

/**
 * - `data-loss`: the step destroys rows or values (drop a non-empty table or
 *   column, replace a non-empty hypertable).
 * - `table-rewrite`: the step rewrites a non-empty table under an ACCESS
 *   EXCLUSIVE lock (e.g. a column type change that is not binary-coercible).
 * - `blocking-lock`: the step holds a lock that blocks writes (or reads and
 *   writes) of a table with rows for longer than a catalog change: a scan or
 *   an index build under it, where no online path exists (e.g. a UNIQUE
 *   constraint added to a hypertable, which refuses concurrent builds). The
 *   message names the lock and what waits.
 */
export const HAZARD_KINDS = ["data-loss", "table-rewrite", "blocking-lock"] as const;
export type HazardKind = (typeof HAZARD_KINDS)[number];

export interface Hazard {
  readonly kind: HazardKind;
  /** Names the object and what is at stake, e.g. `dropping column "x" of events.t discards 120 rows`. */
  readonly message: string;
}

export interface Step {
  readonly sql: string;
  readonly hazards: readonly Hazard[];
  /**
   * True: shares one transaction with the transactional steps next to it.
   * False: runs alone, outside any transaction block, committing on its own:
   * `VALIDATE CONSTRAINT`, `CREATE INDEX CONCURRENTLY`.
   */
  readonly transactional: boolean;
  /**
   * A statement that leaves nothing half-applied when this step fails, or is
   * never reached because an earlier one failed, after earlier steps
   * committed (e.g. `DROP CONSTRAINT IF EXISTS` of the NOT VALID constraint a
   * VALIDATE was to validate). Runs outside any transaction; must succeed
   * whether or not the step ran (`IF EXISTS`).
   */
  readonly abandon?: string;
  /**
   * Another database of the same server to run the statement in, after the
   * resource's own steps: pg_cron's functions exist only in the database named
   * by `cron.database_name`. Unset: the resource's database.
   */
  readonly database?: string;
  /** Session settings for this statement only (e.g. `maintenance_work_mem` of an index build): `SET LOCAL` in a transaction, else set before and reset after it. */
  readonly settings?: Readonly<Record<string, string>>;
  /** A warning for whoever watches `pulumi up`, sent to the resource's engine log when the step starts (core/engine-log.ts) and printed by `npm run plan`, e.g. an IVFFlat index built on an empty table. */
  readonly notice?: string;
}

/** A transactional step, without hazards unless given. */
export function step(sql: string, hazards: readonly Hazard[] = [], abandon?: string): Step {
  return abandon === undefined ? { sql, hazards, transactional: true } : { sql, hazards, transactional: true, abandon };
}

/** A step that runs alone and commits on its own (see {@link Step.transactional}), with what undoes its preparation when it fails. */
export function ownTransaction(sql: string, abandon?: string, hazards: readonly Hazard[] = []): Step {
  return abandon === undefined ? { sql, hazards, transactional: false } : { sql, hazards, transactional: false, abandon };
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

/** Row counts for hazards stop at this cap (counting further would scan a large table for a message). */
export const ROW_COUNT_CAP = 10_000;

/** Formats a row count for hazard messages: `0 rows`, `1 row`, `at least 10000 rows`. */
export function describeRows(rows: number, cap: number): string {
  const n = rows >= cap ? `at least ${cap}` : String(rows);
  return `${n} row${rows === 1 ? "" : "s"}`;
}
