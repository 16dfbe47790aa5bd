/**
 * Why the server stopped a statement rather than refused it, by SQLSTATE
 * (PostgreSQL docs Appendix A, "PostgreSQL Error Codes"):
 * `55P03` lock_not_available (it waited longer than `lock_timeout`),
 * `57014` query_canceled (`statement_timeout`, or a cancel request),
 * `40P01` deadlock_detected. None says anything about the SQL that ran.
 */
const STOPPED: Record<string, string> = {
  "55P03": "another session holds a conflicting lock for longer than connection.lockTimeout",
  "57014": "it ran longer than connection.statementTimeout, or it was canceled",
  "40P01": "it deadlocked with another session's locks",
};

/** A check or read that the server stopped (see {@link stoppedError}): no fault of the declaration. */
export class StoppedError extends Error {
  constructor(
    message: string,
    /** The SQLSTATE that stopped it. */
    readonly code: string,
  ) {
    super(message);
  }
}

/** The SQLSTATE of `error` when it is one of {@link STOPPED}. */
function stoppedCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && Object.hasOwn(STOPPED, code) ? code : undefined;
}

/** Whether `error` is a statement the server stopped (lock timeout, statement timeout or cancel, deadlock), raw or already reported as one. */
export function isStopped(error: unknown): boolean {
  return error instanceof StoppedError || stoppedCode(error) !== undefined;
}

/**
 * The error to report when `error` stopped `what` (e.g. `checking the bound on
 * a scratch copy of app.events`) of `resource`, rather than the error a
 * refusal would get: stopped is no fault of the input, so the message names
 * the cause and says to run again, and never sends the user to rewrite
 * correct SQL. `error` itself when it is a {@link StoppedError} already;
 * undefined when the server refused the statement for another reason (the
 * caller reports that as the input's fault). SQLSTATEs: see {@link STOPPED}.
 */
export function stoppedError(resource: string, what: string, error: unknown): StoppedError | undefined {
  if (error instanceof StoppedError) return error;
  const code = stoppedCode(error);
  if (code === undefined) return undefined;
  return new StoppedError(
    `${resource}: ${what} stopped: ${(error as Error).message} (${STOPPED[code]}; the declaration is not at fault and nothing was changed: run again once the other session is done)`,
    code,
  );
}

/**
 * The `catch` of a best-effort check, whose refusal only means "leave it as it
 * is" (e.g. canonicalizing a live expression): undefined for a refusal;
 * rethrows `error` when the server stopped the check ({@link isStopped}), whose
 * answer is unknown.
 */
export function unlessStopped(error: unknown): undefined {
  if (isStopped(error)) throw error;
  return undefined;
}
