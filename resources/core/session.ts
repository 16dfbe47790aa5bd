import type { PoolClient, QueryConfig } from "pg";
import type { Connection } from "./connection";
import { ApplyWatch, watchProgress } from "./progress";
import { quoteIdent } from "./quote";
import { Step } from "./step";

/** Default `lock_timeout`: DDL that cannot get its lock in 5 s fails instead of queueing traffic behind it. */
export const DEFAULT_LOCK_TIMEOUT = "5s";
/** Default `statement_timeout` of every statement pgstrata runs. */
export const DEFAULT_STATEMENT_TIMEOUT = "15min";

/**
 * The session settings pgstrata owns, by lower-case name, with why (and the
 * input that controls it, if any): a connection URL's `options` may not set
 * them (core/connection-settings.ts).
 */
export const OWNED_SESSION_SETTINGS: Record<string, string> = {
  search_path: "pgstrata sets it to pg_catalog, public and the schemas in connection.extensionSchemas; list extra schemas in extensionSchemas",
  timezone: "pgstrata sets it to UTC so that timestamps print the same in every session",
  datestyle: "pgstrata sets it to ISO so that dates print the same in every session",
  intervalstyle: "pgstrata sets it to postgres so that intervals print the same in every session",
  standard_conforming_strings: "pgstrata sets it to on, which its quoting relies on",
  lock_timeout: "set it with connection.lockTimeout",
  statement_timeout: "set it with connection.statementTimeout",
};

/**
 * Settings of every pgstrata session, sent as startup options so they cost no
 * round trip. `search_path` is `pg_catalog, public` plus the connection's
 * `extensionSchemas`, so extension types print unqualified wherever installed. They make the catalogs print the same text every time:
 * `pg_get_expr` omits schemas visible on `search_path`, `timestamptz` prints in
 * the session TimeZone, intervals print per IntervalStyle
 * (shared notes: postgres-semantics §0). `extra` are further `[name, value]`
 * settings from the connection URL's `options`, never one of
 * {@link OWNED_SESSION_SETTINGS}.
 */
export function sessionOptions(connection: Connection, extra: readonly [string, string][] = []): string {
  const owned: [string, string][] = [
    ["search_path", ["pg_catalog", "public", ...(connection.extensionSchemas ?? []).map(quoteIdent)].join(",")],
    ["TimeZone", "UTC"],
    ["DateStyle", "ISO"],
    ["IntervalStyle", "postgres"],
    ["standard_conforming_strings", "on"],
    ["lock_timeout", (connection.lockTimeout ?? DEFAULT_LOCK_TIMEOUT).replace(/\s+/g, "")],
    ["statement_timeout", (connection.statementTimeout ?? DEFAULT_STATEMENT_TIMEOUT).replace(/\s+/g, "")],
  ];
  // libpq's options: words split at spaces; a backslash escapes the next character (docs §32.1.2 "options").
  const escaped = (text: string) => text.replace(/[\\\s]/g, "\\$&");
  return [...owned, ...extra].map(([k, v]) => `-c ${escaped(`${k}=${v}`)}`).join(" ");
}

/**
 * Sends one statement with the extended query protocol, which refuses a text
 * holding more than one ("cannot insert multiple commands into a prepared
 * statement"): SQL expressions from a spec can never start another statement
 * (e.g. a `COMMIT` that escapes a rolled-back scratch transaction).
 */
export async function runStatement(client: PoolClient, sql: string): Promise<void> {
  await client.query({ text: sql, queryMode: "extended" } as QueryConfig);
}

/** A server error as `pg` reports it; `severity` is absent when the connection itself failed. */
export type ServerError = Error & { severity?: string; detail?: string; hint?: string };

/** True when `error` ended the session: FATAL/PANIC from the server (pg_terminate_backend, shutdown) or a broken connection. */
export function sessionLost(error: ServerError): boolean {
  return error.severity === undefined || error.severity === "FATAL" || error.severity === "PANIC";
}

/** `step 3`, `steps 3–5`. */
const stepRange = (from: number, to: number) => (from === to ? `step ${from}` : `steps ${from}–${to}`);

/** The steps cut into what commits together: runs of transactional steps, and each other step alone. */
function transactions(steps: readonly Step[]): { first: number; steps: Step[] }[] {
  const runs: { first: number; steps: Step[] }[] = [];
  steps.forEach((s, i) => {
    const last = runs[runs.length - 1];
    if (s.transactional && last?.steps[0].transactional) last.steps.push(s);
    else runs.push({ first: i, steps: [s] });
  });
  return runs;
}

/** Where an apply stopped: the run (transaction, or one step alone) that failed, and how. */
interface Failure {
  run: { first: number; steps: Step[] };
  /** 0-based index of the failed step in the whole plan; undefined when COMMIT failed. */
  step?: number;
  /** Steps committed before the failed run. */
  committed: number;
  lost: boolean;
}

/**
 * Runs the steps in order, as core/step.ts describes: runs of transactional
 * steps each in one transaction, the other steps alone. When a step (or a
 * COMMIT) fails, its transaction is rolled back; if anything had committed
 * before, or the step ran alone (and may have left e.g. an INVALID index),
 * the `abandon` statements of the failed run's steps and of every later step
 * run, so that nothing is left half-applied. The error names the resource,
 * the step (n of m) and its SQL, the server's message (with DETAIL and HINT),
 * which steps stay applied (by their SQL), which did not run and what was
 * undone. When the session was lost (pg_terminate_backend, failover), the
 * server rolled back the open transaction and nothing can be undone: the
 * error lists the statements to run by hand; losing it during COMMIT leaves
 * the outcome unknown, and the error says so.
 *
 * Options: `inOpenTransaction`, every step is transactional and runs in the
 * caller's open transaction, which the caller commits (a failure still rolls
 * it back); `watch`, each step's `notice` goes to the resource's engine log
 * as a warning when the step starts, and while a step runs its progress is
 * the resource's status line (core/progress.ts).
 */
export async function applySteps(client: PoolClient, resource: string, steps: readonly Step[], options: { inOpenTransaction?: boolean; watch?: ApplyWatch } = {}): Promise<void> {
  const { inOpenTransaction = false, watch } = options;
  if (inOpenTransaction && !steps.every((s) => s.transactional)) throw new Error(`${resource}: steps outside a transaction cannot run in an open one`);
  let committed = 0;
  for (const run of transactions(steps)) {
    const inTransaction = run.steps[0].transactional;
    if (inTransaction && !inOpenTransaction) await client.query("BEGIN");
    for (const [j, s] of run.steps.entries()) {
      const settings = Object.entries(s.settings ?? {});
      let lost = false;
      if (s.notice) watch?.log.warning(`${resource}: ${s.notice}`);
      const stopWatching = watch ? watchProgress((client as unknown as { processID: number }).processID, watch) : () => undefined;
      try {
        for (const [name, value] of settings) await client.query("SELECT set_config($1, $2, $3)", [name, value, inTransaction]);
        await runStatement(client, s.sql);
      } catch (error) {
        const e = error as ServerError;
        const failure = { run, step: run.first + j, committed, lost: sessionLost(e) };
        lost = failure.lost;
        if (inTransaction && !failure.lost) await client.query("ROLLBACK");
        throw new Error(`${resource}: step ${failure.step + 1} of ${steps.length} failed: ${serverMessage(e)}\n  SQL: ${s.sql}\n  (${await outcome(client, steps, failure)})`);
      } finally {
        stopWatching();
        // Outside a transaction a setting outlives the statement: back to the session's value (set_config with NULL resets).
        if (!inTransaction && !lost) for (const [name] of settings) await client.query("SELECT set_config($1, NULL, false)", [name]).catch(() => undefined);
      }
    }
    if (inTransaction && !inOpenTransaction) {
      try {
        await client.query("COMMIT");
      } catch (error) {
        const e = error as ServerError;
        const failure = { run, committed, lost: sessionLost(e) };
        if (failure.lost) {
          throw new Error(
            `${resource}: the session was lost during COMMIT of ${stepRange(run.first + 1, run.first + run.steps.length)}: ${e.message}\n` +
              `  (whether the transaction committed is unknown: run \`pulumi refresh\` to read the live state, then \`pulumi up\` again)`,
          );
        }
        throw new Error(`${resource}: COMMIT of ${stepRange(run.first + 1, run.first + run.steps.length)} failed: ${serverMessage(e)} (${await outcome(client, steps, failure)})`);
      }
    }
    committed = run.first + run.steps.length;
  }
}

function serverMessage(e: ServerError): string {
  return e.message + (e.detail ? `\n  DETAIL: ${e.detail}` : "") + (e.hint ? `\n  HINT: ${e.hint}` : "");
}

/** What stayed applied, what did not run, and what was undone (running the `abandon` statements that apply, see {@link applySteps}). */
async function outcome(client: PoolClient, steps: readonly Step[], f: Failure): Promise<string> {
  const inTransaction = f.run.steps[0].transactional;
  const end = f.run.first + f.run.steps.length;
  const applied = steps.slice(0, f.committed).map((s) => s.sql);
  const parts = [
    ...(applied.length > 0 ? [`${stepRange(1, f.committed)} ${applied.length === 1 ? "was applied and stays applied" : "were applied and stay applied"}: ${applied.join("; ")}`] : []),
    ...(inTransaction
      ? [`${f.lost ? "the session was lost before the transaction committed: the server rolled it back" : "the transaction was rolled back"}${f.committed === 0 ? "; nothing was changed" : ""}`]
      : [applied.length === 0 ? "no step was applied" : [], f.lost ? `step ${f.step! + 1} did not complete, the session was lost while it ran` : `step ${f.step! + 1} was not applied`].flat()),
    ...(end < steps.length ? [`${stepRange(end + 1, steps.length)} did not run`] : []),
  ];
  const pending = f.committed > 0 || !inTransaction ? steps.slice(f.run.first).flatMap((s) => (s.abandon === undefined ? [] : [s.abandon])) : [];
  if (pending.length === 0) return parts.join("; ");
  if (f.lost) return `${parts.join("; ")}; not undone, the session was lost: run by hand\n    ${pending.join("\n    ")}`;
  return `${parts.join("; ")}; undone so that nothing is half-applied:\n    ${(await abandon(client, pending)).join("\n    ")}`;
}

/** Runs each `abandon` statement outside any transaction; returns them, marking those that failed. */
async function abandon(client: PoolClient, statements: string[]): Promise<string[]> {
  const done: string[] = [];
  for (const sql of statements) {
    try {
      await runStatement(client, sql);
      done.push(sql);
    } catch (error) {
      done.push(`${sql} -- failed: ${(error as Error).message}; run it by hand`);
    }
  }
  return done;
}

/** Clients inside a transaction that pgstrata opened and ends later (core/locks.ts): scratch work there runs in a savepoint. */
const openTransactions = new WeakSet<PoolClient>();

/** Records whether `client` is inside a transaction that its caller ends (see {@link inRolledBackTransaction}). */
export function markOpenTransaction(client: PoolClient, open: boolean): void {
  if (open) openTransactions.add(client);
  else openTransactions.delete(client);
}

/**
 * Runs `fn` inside a transaction that is always rolled back: the place to build
 * scratch objects (temporary tables, policies, views) and read back the
 * server's canonical text of user SQL (shared notes: postgres-semantics §10).
 * Inside a transaction marked open ({@link markOpenTransaction}), a savepoint
 * rolled back instead, so that the surrounding transaction and its locks stay.
 */
export async function inRolledBackTransaction<T>(client: PoolClient, fn: () => Promise<T>): Promise<T> {
  const nested = openTransactions.has(client);
  await client.query(nested ? "SAVEPOINT pgstrata_scratch" : "BEGIN");
  try {
    return await fn();
  } finally {
    await client.query(nested ? "ROLLBACK TO SAVEPOINT pgstrata_scratch; RELEASE SAVEPOINT pgstrata_scratch" : "ROLLBACK");
  }
}
