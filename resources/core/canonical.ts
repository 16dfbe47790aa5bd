import { sameValue } from "./compare";
import type { Previous } from "./kind";

/** Rounds of canonicalization; PostgreSQL's deparsed text is stable after the second. */
const MAX_ROUNDS = 3;

/**
 * Applies `round` (build on the server, read back) from `desired` until its
 * output is what went in. The server's text of an expression can print
 * differently once re-parsed (an IN list over varchar gains casts), so the
 * text applied is then exactly the text the catalogs print back, and live
 * and desired compare without a perpetual diff (shared notes:
 * postgres-semantics §10). Usually one or two rounds.
 */
export async function canonicalFixedPoint<T>(desired: T, round: (current: T) => Promise<T>): Promise<T> {
  let current = desired;
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const next = await round(current);
    if (sameValue(next, current)) return current;
    current = next;
  }
  return current;
}

/**
 * The canonical text of an expression declared as `text`, known without a
 * round trip from the previous apply (core/kind.ts `Previous`): what it
 * observed (`seen`) when it declared the same words (`before`), or when
 * `text` already is that canonical text; undefined when it is new. Drift
 * cannot hide behind it: a refresh replaces the declared text with the live
 * one where they differ.
 */
export function previousCanonical(text: string, before: string | undefined, seen: string | undefined): string | undefined {
  return seen !== undefined && (text === before || text === seen) ? seen : undefined;
}

/**
 * Whether `desired` declares the parts `parts` picks (those a kind
 * canonicalizes by building a scratch object) as the previous apply declared
 * them, and the live object still shows what that apply observed for them:
 * their canonical form is then `live`'s, known without a round trip (a no-op
 * preview). Drift, or a change elsewhere that the object prints differently
 * after, falls through to the build.
 */
export function unchangedSince<S>(previous: Previous<S> | undefined, desired: S, live: S | undefined, parts: (x: S) => unknown): live is S {
  return live !== undefined && previous !== undefined && sameValue(parts(desired), parts(previous.declared)) && sameValue(parts(live), parts(previous.observed));
}
