import { z } from "zod";

/**
 * Column types in the server's own spelling — `format_type(atttypid, atttypmod)`
 * under `search_path = pg_catalog, public` — so that the declared and the live
 * type compare as plain text. Aliases map to the canonical name (docs §8, the
 * "Aliases" column of Table 8.1): `int` → `integer`, `timestamptz` →
 * `timestamp with time zone`, `varchar(20)` → `character varying(20)`.
 * Unknown types are rejected at `check`, before any SQL runs.
 */

type Canonical = (modifiers: number[]) => string | undefined;

/** Type modifier limits (docs §8.1.2, §8.3, §8.10; pgvector README "Vector Types"). */
const MAX_LENGTH = 10_485_760;
const inRange = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;

const fixed = (name: string): Canonical => (m) => (m.length === 0 ? name : undefined);
const length = (name: string, max: number, fallback?: number): Canonical => (m) => {
  if (m.length === 0) return fallback === undefined ? name : `${name}(${fallback})`;
  return m.length === 1 && inRange(m[0], 1, max) ? `${name}(${m[0]})` : undefined;
};
/** numeric(p) is numeric(p,0); precision 1–1000, scale 0–1000 (PostgreSQL 15+ allows a scale above the precision). */
const numeric: Canonical = (m) => {
  if (m.length === 0) return "numeric";
  const [p, s = 0] = m;
  return m.length <= 2 && inRange(p, 1, 1000) && inRange(s, 0, 1000) ? `numeric(${p},${s})` : undefined;
};
const withPrecision = (name: string, zone: string): Canonical => (m) =>
  m.length === 0 ? `${name} ${zone}` : m.length === 1 && inRange(m[0], 0, 6) ? `${name}(${m[0]}) ${zone}` : undefined;

const TYPES: Record<string, Canonical> = {
  smallint: fixed("smallint"), int2: fixed("smallint"),
  integer: fixed("integer"), int: fixed("integer"), int4: fixed("integer"),
  bigint: fixed("bigint"), int8: fixed("bigint"),
  real: fixed("real"), float4: fixed("real"),
  "double precision": fixed("double precision"), float8: fixed("double precision"),
  numeric, decimal: numeric,
  boolean: fixed("boolean"), bool: fixed("boolean"),
  text: fixed("text"),
  "character varying": length("character varying", MAX_LENGTH), varchar: length("character varying", MAX_LENGTH),
  character: length("character", MAX_LENGTH, 1), char: length("character", MAX_LENGTH, 1),
  bytea: fixed("bytea"), uuid: fixed("uuid"), json: fixed("json"), jsonb: fixed("jsonb"),
  inet: fixed("inet"), cidr: fixed("cidr"), macaddr: fixed("macaddr"), tsvector: fixed("tsvector"), xml: fixed("xml"),
  date: fixed("date"), interval: fixed("interval"),
  time: withPrecision("time", "without time zone"), "time without time zone": withPrecision("time", "without time zone"),
  timetz: withPrecision("time", "with time zone"), "time with time zone": withPrecision("time", "with time zone"),
  timestamp: withPrecision("timestamp", "without time zone"), "timestamp without time zone": withPrecision("timestamp", "without time zone"),
  timestamptz: withPrecision("timestamp", "with time zone"), "timestamp with time zone": withPrecision("timestamp", "with time zone"),
  bit: length("bit", 83_886_080, 1), "bit varying": length("bit varying", 83_886_080), varbit: length("bit varying", 83_886_080),
  vector: length("vector", 16_000), halfvec: length("halfvec", 16_000), sparsevec: length("sparsevec", 1_000_000_000),
};

const TYPE_SYNTAX = /^([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+(?:\s*,\s*\d+)?)\s*\))?(\s+with(?:out)? time zone)?((?:\s*\[\s*\])*)$/;

/**
 * Canonical spelling of a column type, or undefined when it is not a type this
 * provider knows. `timestamp(3) with time zone`, `numeric(12, 2)`, `text[]`,
 * `vector(1536)` are understood.
 */
export function canonicalColumnType(declared: string): string | undefined {
  const match = TYPE_SYNTAX.exec(declared.trim().toLowerCase().replace(/\s+/g, " "));
  if (!match) return undefined;
  const [, base, mods, zone, arrays] = match;
  const canonical = TYPES[zone ? `${base}${zone.replace(/\s+/g, " ")}` : base];
  const modifiers = mods ? mods.split(",").map((m) => Number(m.trim())) : [];
  const name = canonical?.(modifiers);
  // PostgreSQL does not record array dimensions: text[][] is text[] (docs §8.15.1).
  return name === undefined ? undefined : arrays ? `${name}[]` : name;
}

/** A zod schema that accepts a known column type and yields its canonical spelling. */
export function columnType() {
  return z.string({ error: "required: a column type such as 'bigint', 'text' or 'timestamptz'" }).transform((declared, ctx) => {
    const canonical = canonicalColumnType(declared);
    if (canonical === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `unknown column type ${JSON.stringify(declared)}: use a built-in type such as 'bigint', 'text', 'jsonb', 'timestamptz', 'numeric(12,2)', 'vector(1536)' (serial types are not supported: use identity)`,
      });
      return z.NEVER;
    }
    return canonical;
  });
}

/**
 * Whether `ALTER COLUMN … TYPE` from `from` to `to` can skip rewriting the table
 * (binary-coercible changes, docs "ALTER TABLE" Notes): widening a varchar, a
 * varchar to text, raising a numeric's precision at the same scale.
 */
export function typeChangeAvoidsRewrite(from: string, to: string): boolean {
  const varchar = /^character varying(?:\((\d+)\))?$/;
  const numeric = /^numeric(?:\((\d+),(\d+)\))?$/;
  const [fv, tv] = [varchar.exec(from), varchar.exec(to)];
  if (fv && (to === "text" || (tv && (tv[1] === undefined || (fv[1] !== undefined && Number(tv[1]) >= Number(fv[1])))))) return true;
  if (from === "text" && to === "character varying") return true;
  const [fn, tn] = [numeric.exec(from), numeric.exec(to)];
  if (fn && tn) return tn[1] === undefined || (fn[1] !== undefined && fn[2] === tn[2] && Number(tn[1]) >= Number(fn[1]));
  return false;
}
