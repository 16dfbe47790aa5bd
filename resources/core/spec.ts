import { z } from "zod";

/**
 * Building blocks shared by every kind's zod schema. All are functions: zod
 * schemas cannot be captured by a serialized dynamic provider, so schemas are
 * built on each call inside provider methods.
 */

/** PostgreSQL's NAMEDATALEN - 1 (docs §4.1.1): longer identifiers are truncated by the server. */
export const MAX_IDENTIFIER_BYTES = 63;

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

const INTERVAL_UNIT = "(microseconds?|us|milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|months?|mons?|years?|yrs?|y)";
const INTERVAL = new RegExp(
  `^\\s*(\\d+(\\.\\d+)?\\s*${INTERVAL_UNIT}\\s*)+$|^\\s*\\d+\\s+\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d+)?)?\\s*$|^\\s*\\d{1,3}:\\d{2}(:\\d{2}(\\.\\d+)?)?\\s*$`,
  "i",
);

/**
 * A positive PostgreSQL interval in words (`'7 days'`, `'12 hours'`,
 * `'1 month'`) or clock form (`'06:00:00'`). The grammar is checked here, before
 * any SQL runs; comparison with the live value is done by the server's
 * canonical text (`x::interval::text`), never with `=`
 * (`'1 month' = '30 days'` is true in PostgreSQL).
 */
export function interval() {
  return z.string().regex(INTERVAL, {
    error: (i) => `${JSON.stringify(i.input)} is not an interval: write e.g. '7 days', '12 hours', '1 month' or '06:00:00'`,
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
