import { z } from "zod";
import { expressionProblem } from "./sql-expression";

/**
 * Building blocks shared by every kind's zod schema. Each is a function that
 * builds a fresh schema (so a caller can refine it); a kind builds its whole
 * schema once per process (core/once.ts).
 */

/** PostgreSQL's NAMEDATALEN - 1 (docs §4.1.1): longer identifiers are truncated by the server. */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * `name` cut to {@link MAX_IDENTIFIER_BYTES} bytes at a character boundary,
 * as the server truncates a longer identifier (docs §4.1.1); for names the
 * planners derive (e.g. a scratch table named after a user's table).
 */
export function truncateIdentifier(name: string): string {
  let out = "";
  for (const ch of name) {
    if (Buffer.byteLength(out + ch, "utf8") > MAX_IDENTIFIER_BYTES) break;
    out += ch;
  }
  return out;
}

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
 * An identifier as PostgreSQL allows it (docs §4.1.1 "Identifiers and Key
 * Words"): 1–63 bytes of UTF-8, no NUL; upper case, spaces, quotes,
 * semicolons and non-ASCII are all allowed. It is the name exactly as the
 * catalog stores it (`User`, not `user`: Prisma's and EF Core's mixed-case
 * names are kept) and is always quoted in SQL (core/quote.ts), so no name can
 * change what a statement does.
 */
export function identifier() {
  return z
    .string({ error: "required: a SQL identifier such as 'events' (1–63 bytes, any characters but NUL)" })
    .min(1, "must not be empty: PostgreSQL identifiers are 1–63 bytes")
    .refine((s) => !s.includes("\0"), { error: "contains a NUL character, which PostgreSQL identifiers cannot hold: remove it" })
    .refine((s) => Buffer.byteLength(s, "utf8") <= MAX_IDENTIFIER_BYTES, {
      error: (i) => `'${String(i.input).slice(0, 20)}…' is ${Buffer.byteLength(String(i.input), "utf8")} bytes; PostgreSQL identifiers are at most ${MAX_IDENTIFIER_BYTES} bytes: shorten it`,
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

const DAY = 86_400_000_000n;
/** Microseconds per field, a month counted as 30 days (as PostgreSQL's interval comparison and TimescaleDB's chunk intervals count it). */
const FIELD_MICROSECONDS: Record<string, bigint> = { us: 1n, ms: 1000n, s: 1_000_000n, min: 60_000_000n, h: 3_600_000_000n, d: DAY, w: 7n * DAY, mon: 30n * DAY, y: 360n * DAY };
/** Fraction digits kept when adding up microseconds exactly. */
const SCALE = 18;

/** `count` (decimal text) times `unit` microseconds, scaled by 10^SCALE. */
const scaled = (count: string, unit: bigint) => {
  const [whole, fraction = ""] = count.split(".");
  return BigInt(whole + fraction.padEnd(SCALE, "0").slice(0, SCALE)) * unit;
};

/**
 * Parses `'<number> <unit>'` pairs (each unit once), optionally followed by a
 * clock time (`'1 day 12:00:00'`), or a clock time with a bare day count
 * (`'1 12:00'`). Returns the length in microseconds (months as 30 days,
 * scaled by 10^SCALE, exact) or why `text` is not such an interval.
 */
function parseInterval(text: string): { scaledMicroseconds: bigint } | { problem: string } {
  const clock = /(?:^|\s)(?:(\d+)\s+)?(\d{1,3}):(\d{2})(?::(\d{2}(?:\.\d+)?))?\s*$/.exec(text);
  const words = clock ? text.slice(0, clock.index) : text;
  const parts = [...words.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gi)];
  if (parts.map((p) => p[0]).join("").trim() !== words.trim() || (parts.length === 0 && !clock)) return { problem: "it is not '<number> <unit>' pairs" };
  const fields = parts.map((p) => INTERVAL_UNITS[p[2].toLowerCase()]);
  const unknown = parts.find((_, i) => fields[i] === undefined);
  if (unknown) return { problem: `unknown unit '${unknown[2]}'` };
  const terms = parts.map((p, i): [string, string] => [p[1], fields[i]]);
  if (clock) {
    const [, days, hours, minutes, seconds = "0"] = clock;
    if (Number(minutes) > 59 || Number(seconds) >= 60) return { problem: "minutes and seconds of a clock time are 00–59" };
    if (days !== undefined && parts.length > 0) return { problem: "it is not '<number> <unit>' pairs" };
    terms.push(...(days === undefined ? [] : [[days, "d"] as [string, string]]), [hours, "h"], [minutes, "min"], [seconds, "s"]);
  }
  const named = terms.map(([, f]) => f);
  if (new Set(named).size !== named.length) return { problem: "a unit appears twice" };
  const total = terms.reduce((sum, [count, field]) => sum + scaled(count, FIELD_MICROSECONDS[field]), 0n);
  return total > 0n ? { scaledMicroseconds: total } : { problem: "it is zero" };
}

/**
 * Whether `text` (an {@link interval} in its grammar) is a whole number of
 * days, months counted as 30 days and years as 360, as TimescaleDB converts
 * an interval to microseconds; false when it does not parse.
 */
export function isWholeDays(text: string): boolean {
  const parsed = parseInterval(text);
  return "scaledMicroseconds" in parsed && parsed.scaledMicroseconds % (DAY * 10n ** BigInt(SCALE)) === 0n;
}

/**
 * The intervals PostgreSQL and TimescaleDB can use as a length: at least one
 * microsecond (less is stored as zero) and at most 2^63 - 1 microseconds
 * (TimescaleDB converts job and policy intervals to a 64-bit microsecond
 * count; PostgreSQL's own interval arithmetic overflows past it).
 */
const INTERVAL_BOUNDS = {
  min: 1n,
  max: 2n ** 63n - 1n,
  message: "intervals must be between 1 microsecond and 106751991 days 04:00:54.775807 (about 292,000 years; a month counts as 30 days): choose e.g. '7 days' or '1 year'",
};

/**
 * A positive PostgreSQL interval in words (`'7 days'`, `'12 hours'`,
 * `'1 month'`, each unit once), in clock form (`'06:00:00'`, `'1 12:00'`) or
 * both (`'1 day 12:00:00'`, as PostgreSQL prints it). The grammar is checked
 * here, before any SQL runs; comparison with the live value is done on the
 * server's canonical text, never with `=` (`'1 month' = '30 days'` is true in
 * PostgreSQL).
 *
 * @param bounds inclusive range in microseconds (a month counted as 30
 *   days), with the reason to give when the interval is outside it; default
 *   1 microsecond to 2^63 - 1 microseconds.
 */
export function interval(bounds: { min: bigint; max: bigint; message: string } = INTERVAL_BOUNDS) {
  return z.string().superRefine((text, ctx) => {
    const parsed = parseInterval(text);
    if ("problem" in parsed) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is not an interval (${parsed.problem}): write e.g. '7 days', '12 hours', '1 month' or '06:00:00'` });
    } else if ((parsed.scaledMicroseconds < bounds.min * 10n ** BigInt(SCALE) || parsed.scaledMicroseconds > bounds.max * 10n ** BigInt(SCALE))) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} is out of range: ${bounds.message}` });
    }
  });
}

/**
 * Text PostgreSQL can store: no NUL character (docs §8.3: "the character
 * with code zero cannot be stored"); the wire protocol would otherwise
 * fail with "insufficient data left in message".
 */
export function text() {
  return z.string().refine((s) => !s.includes("\0"), { error: "contains a NUL character, which PostgreSQL text cannot hold: remove it" });
}

/** A `COMMENT ON …` text; empty means no comment (PostgreSQL stores an empty comment as none). */
export function comment() {
  return text()
    .optional()
    .transform((c) => (c === "" ? undefined : c));
}

/**
 * A SQL expression (column default, CHECK, policy, index predicate). It is
 * compared by the server's canonical form (see core/canonical.ts); locally,
 * PostgreSQL's own parser proves it is exactly one expression, so it can be
 * pasted into DDL without closing a parenthesis, starting a constraint,
 * commenting out what follows or adding a second value (core/sql-expression.ts).
 */
export function sqlExpression() {
  return text()
    .min(1, "must not be empty")
    .superRefine((expression, ctx) => {
      const problem = expressionProblem(expression);
      if (problem) ctx.addIssue({ code: "custom", message: `must be exactly one SQL expression: ${problem}` });
    });
}

/**
 * A table's declared columns (name, nullability, type), PRIMARY KEY / UNIQUE
 * keys and row security, as a `Table` of the same program declares them: carried by the
 * resources that build on a table (a hypertable, a foreign key's referenced
 * table) so that `check` can judge rules that involve both.
 */
export function declaredTable() {
  return z.strictObject({
    /** `type`: the column type in the server's spelling (core/column-type.ts), e.g. `date`; unset in states written before it was carried. */
    columns: z.array(z.strictObject({ name: identifier(), nullable: z.boolean(), type: z.string().optional() })),
    keys: z.array(z.strictObject({ name: identifier(), columns: z.array(identifier()) })),
    /** The table declares `rowLevelSecurity.enabled` (TimescaleDB then refuses compression and continuous aggregates on it). */
    rowLevelSecurity: z.boolean().default(false),
  });
}

/** What {@link declaredTable} accepts: a `Table`'s `declaredShape()`. */
export type DeclaredTable = z.input<ReturnType<typeof declaredTable>>;
