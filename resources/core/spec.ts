import { z } from "zod";

/**
 * Building blocks shared by every kind's zod schema. Each is a function that
 * builds a fresh schema (so a caller can refine it); a kind builds its whole
 * schema once per process (core/once.ts).
 */

/** PostgreSQL's NAMEDATALEN - 1 (docs §4.1.1): longer identifiers are truncated by the server. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * A schema name: an {@link identifier} not starting with `pg_`, which
 * PostgreSQL reserves for system schemas (docs "CREATE SCHEMA").
 */
export function schemaName() {
  return identifier().refine((s) => !s.startsWith("pg_"), {
    error: (i) => `${JSON.stringify(i.input)} starts with 'pg_', which PostgreSQL reserves for system schemas: choose another name`,
  });
}

/**
 * An unquoted-style identifier: lower-case ASCII letter or `_`, then letters,
 * digits, `_` or `$`, at most 63 bytes. Quotes, semicolons, spaces, upper case
 * and non-ASCII are rejected so that the name in the spec is exactly the name
 * in the catalog.
 */
export function identifier() {
  return z
    .string({ error: "required: a lower-case SQL identifier such as 'events'" })
    .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_IDENTIFIER_BYTES, {
      error: (i) => `'${String(i.input).slice(0, 20)}…' is ${Buffer.byteLength(String(i.input), "utf8")} bytes; PostgreSQL identifiers are at most ${MAX_IDENTIFIER_BYTES} bytes: shorten it`,
    })
    .regex(/^[a-z_][a-z0-9_$]*$/, {
      error: (i) =>
        `${JSON.stringify(i.input)} is not a plain identifier: use lower-case ASCII letters, digits and '_' (starting with a letter or '_'), without quotes, semicolons, spaces or non-ASCII characters`,
    });
}

/** Interval units in words (docs §8.5.4), by the field they set: each field may appear once. */
const INTERVAL_UNITS: Record<string, string> = {
  microsecond: "us", microseconds: "us", us: "us",
  millisecond: "ms", milliseconds: "ms", ms: "ms",
  second: "s", seconds: "s", sec: "s", secs: "s", s: "s",
  minute: "min", minutes: "min", min: "min", mins: "min", m: "min",
  hour: "h", hours: "h", hr: "h", hrs: "h", h: "h",
  day: "d", days: "d", d: "d",
  week: "w", weeks: "w", w: "w",
  month: "mon", months: "mon", mon: "mon", mons: "mon",
  year: "y", years: "y", yr: "y", yrs: "y", y: "y",
};

/** Why `text` is not a positive interval, or undefined when it is one. */
function intervalProblem(text: string): string | undefined {
  const clock = /^\s*(?:(\d+)\s+)?(\d{1,3}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*$/.exec(text);
  if (clock) {
    const [, days, hours, minutes, seconds] = clock;
    if (Number(minutes) > 59 || Number(seconds ?? 0) > 59) return "minutes and seconds of a clock time are 00–59";
    return [days, hours, minutes, seconds].some((v) => Number(v ?? 0) > 0) || /\.\d*[1-9]/.test(text) ? undefined : "it is zero";
  }
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gi)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("").trim() !== text.trim()) return "it is not '<number> <unit>' pairs";
  const fields = parts.map((p) => INTERVAL_UNITS[p[2].toLowerCase()]);
  const unknown = parts.find((_, i) => fields[i] === undefined);
  if (unknown) return `unknown unit '${unknown[2]}'`;
  if (new Set(fields).size !== fields.length) return "a unit appears twice";
  return parts.some((p) => Number(p[1]) > 0) ? undefined : "it is zero";
}

/**
 * A positive PostgreSQL interval in words (`'7 days'`, `'12 hours'`,
 * `'1 month'`, each unit once) or clock form (`'06:00:00'`, `'1 12:00'`). The
 * grammar is checked here, before any SQL runs; comparison with the live
 * value is done on the server's canonical text, never with `=`
 * (`'1 month' = '30 days'` is true in PostgreSQL).
 */
export function interval() {
  return z.string().superRefine((text, ctx) => {
    const problem = intervalProblem(text);
    if (problem) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not an interval (${problem}): write e.g. '7 days', '12 hours', '1 month' or '06:00:00'` });
    }
  });
}

/**
 * A SQL expression (column default, CHECK). It is SQL by nature: it is compared
 * by the server's canonical form (see core/canonical.ts), and its only
 * local check is that it cannot end one statement and start another.
 */
export function sqlExpression() {
  return z
    .string()
    .min(1, "must not be empty")
    .refine((s) => !/;/.test(s.replace(/'(?:[^']|'')*'/g, "''")), {
      error: "must be a single SQL expression: remove the ';'",
    });
}
