import { z } from "zod";
import { qualifiedName, quoteLiteral } from "./quote";
import { step, Step } from "./step";

/**
 * The time column of a hypertable as TimescaleDB partitions it (TimescaleDB
 * docs "create_hypertable"): a time type by time (chunk intervals and policy
 * thresholds are intervals), an integer type by value (they are numbers of
 * the column's units, and the policies that count back from "now" need the
 * hypertable's integer-now function, `set_integer_now_func`).
 */

/** Time column types TimescaleDB partitions by time, in the server's spelling without precision. */
const TIME_TYPES = ["timestamp with time zone", "timestamp without time zone", "date"];

/** Integer time column types, which TimescaleDB partitions by value, with their largest value (bigint: the largest integer a JSON number holds exactly). */
export const INTEGER_TIME_MAX: Record<string, number> = { smallint: 32_767, integer: 2_147_483_647, bigint: Number.MAX_SAFE_INTEGER };

/**
 * How TimescaleDB partitions a column of `type` (the server's spelling,
 * `timestamp(3) with time zone` included): by `time`, by value (`integer`,
 * naming the type), or undefined when not known (a domain: left to TimescaleDB).
 */
export function timeColumnKind(type: string | undefined): { kind: "time"; base: string } | { kind: "integer"; base: string } | undefined {
  const base = type?.replace(/\(\d+\)/, "");
  if (base === undefined) return undefined;
  if (base in INTEGER_TIME_MAX) return { kind: "integer", base };
  return TIME_TYPES.includes(base) ? { kind: "time", base } : undefined;
}

/**
 * Whether `value` of `property` (an interval text or a number of units) is of
 * the kind the time column `column` of `relation`, of type `type`, takes:
 * undefined when it is (or the type is not known), else the message naming
 * the property, the column's type and the fix, with `examples` of a number
 * (and what it means) and of an interval to suggest.
 */
export function thresholdKindProblem(property: string, value: string | number, relation: string, column: string, type: string | undefined, examples: { units: string; interval: string }): string | undefined {
  const kind = timeColumnKind(type)?.kind;
  const of = `the time column "${column}" of ${relation} is of type ${type}`;
  if (kind === "integer" && typeof value === "string") {
    return `${property} ${JSON.stringify(value)} is an interval, but ${of}, which TimescaleDB partitions by value: give a number of the column's units, e.g. ${examples.units}`;
  }
  if (kind === "time" && typeof value === "number") return `${property} ${value} is a number, but ${of}: give an interval, e.g. ${examples.interval}`;
  return undefined;
}

/** A policy threshold as SQL: a number of an integer column's units, or an interval literal. */
export const thresholdSql = (v: string | number) => (typeof v === "number" ? String(v) : `${quoteLiteral(v)}::interval`);

/**
 * A value that is an interval for a time column and a number of units for an
 * integer one (`chunkInterval`, `dropAfter`, `columnstorePolicy.after`): text
 * is checked by `text` (an `interval()` of core/spec.ts), a number by `units`
 * (default: a positive whole number), each with its own message (a plain
 * union would say only "Invalid input"). Whether the kind suits the column is
 * {@link thresholdKindProblem}'s question, asked where the column's type is known.
 */
export function timeThreshold(text: z.ZodType<string>, units: z.ZodType<number> = z.number().int("a number of an integer time column's units must be whole").positive("a number of an integer time column's units must be at least 1")) {
  return z.union([z.number(), z.string()]).transform((value, ctx): string | number => {
    const parsed = (typeof value === "number" ? units : text).safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
    return z.NEVER;
  });
}

/**
 * The integer-now function of a hypertable over an integer time column: a
 * function returning "now" in the column's units, schema-qualified
 * (`'public.unix_now'`), set with `set_integer_now_func` (TimescaleDB docs
 * "set_integer_now_func"). TimescaleDB's retention and columnstore policies
 * on such a hypertable call it at every run.
 */
export function integerNowFunction() {
  return z.string().regex(/^[^.]+\.[^.]+$/, "write the function schema-qualified, e.g. 'public.unix_now'");
}

/** The step setting `fn` (`schema.name`) as the integer-now function of `regclass` (a `'…'::regclass` literal), replacing one set before. */
export function setIntegerNowFunc(regclass: string, fn: string): Step {
  const [schema, name] = fn.split(".");
  return step(`SELECT set_integer_now_func(${regclass}, ${quoteLiteral(qualifiedName(schema, name))}::regproc, replace_if_exists => true)`);
}

/**
 * The integer-now function of hypertable `$1.$2` as `schema.name`, null when
 * unset or not a hypertable: from TimescaleDB's catalog by the hypertable's
 * name (an index lookup).
 */
export const INTEGER_NOW_SQL = `
(SELECT format('%s.%s', d.integer_now_func_schema, d.integer_now_func)
   FROM _timescaledb_catalog.hypertable h JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id
  WHERE h.schema_name = $1 AND h.table_name = $2 AND d.interval_length IS NOT NULL AND d.integer_now_func IS NOT NULL
  ORDER BY d.id LIMIT 1)`;
