import { isStopped, stoppedError, StoppedError, unlessStopped } from "../../resources/core/stopped";

/** A server error as `pg` reports it: message and SQLSTATE. */
const serverError = (message: string, code: string) => Object.assign(new Error(message), { code });

test.each([
  ["55P03", "canceling statement due to lock timeout", "another session holds a conflicting lock for longer than connection.lockTimeout"],
  ["57014", "canceling statement due to statement timeout", "it ran longer than connection.statementTimeout, or it was canceled"],
  ["40P01", "deadlock detected", "it deadlocked with another session's locks"],
])("SQLSTATE %s stops a check: the error names the resource, what stopped, why, and says to run again", (code, message, why) => {
  const error = stoppedError("Index app.t_idx", "building the declared index on a scratch copy of app.t", serverError(message, code));
  expect(error).toBeInstanceOf(StoppedError);
  expect(error!.code).toBe(code);
  expect(error!.message).toBe(
    `Index app.t_idx: building the declared index on a scratch copy of app.t stopped: ${message} (${why}; the declaration is not at fault and nothing was changed: run again once the other session is done)`,
  );
  expect(isStopped(error)).toBe(true);
  expect(isStopped(serverError(message, code))).toBe(true);
});

test("a refusal is not stopped: the caller reports it as the input's fault", () => {
  for (const error of [serverError('column "nope" does not exist', "42703"), new Error("no code"), serverError("x", "toString"), undefined, null]) {
    expect(stoppedError("Index app.t_idx", "building it", error)).toBeUndefined();
    expect(isStopped(error)).toBe(false);
  }
});

test("an error already reported as stopped passes through unchanged, so outer layers do not wrap it again", () => {
  const inner = stoppedError("Partition app.p", "checking the bound", serverError("canceling statement due to lock timeout", "55P03"))!;
  expect(stoppedError("Partition app.p", "planning", inner)).toBe(inner);
});

test("a best-effort check gives up on a refusal, and rethrows a stop (its answer is unknown)", () => {
  expect(unlessStopped(serverError('column "nope" does not exist', "42703"))).toBeUndefined();
  const stop = serverError("canceling statement due to lock timeout", "55P03");
  expect(() => unlessStopped(stop)).toThrow(stop);
});
