import { qualifiedName, quoteIdent, quoteLiteral } from "../core/quote";
import { truncateIdentifier } from "../core/spec";
import { describeRows, Hazard, ROW_COUNT_CAP, Step, step } from "../core/step";
import { syncIdentitySequences } from "../core/identity";
import { planCompression } from "../core/columnstore";
import { refuseWithRowSecurity, regclass, requireCommunityLicense } from "../core/timescaledb";
import { sameValue } from "../core/compare";
import { HypertableFacts, NO_TABLE } from "./observe";
import { setIntegerNowFunc, timeColumnKind } from "../core/time-column";
import { chunkIntervalProblem, columnstorePolicyProblem, HypertableSpec, keyProblems } from "./spec";

/** An interval literal, or an integer time column's number of units as bigint. */
const chunkIntervalSql = (v: string | number) => (typeof v === "number" ? `${v}::bigint` : `${quoteLiteral(v)}::interval`);
/** pg_class.relkind in words (docs §52.11 "pg_class"). */
const RELATION_KINDS: Record<string, string> = { v: "a view", m: "a materialized view", p: "a partitioned table", f: "a foreign table", S: "a sequence", i: "an index", I: "a partitioned index", c: "a composite type", t: "a TOAST table" };
const name = (h: HypertableSpec) => `Hypertable ${h.schema}.${h.table}`;

/** Properties that TimescaleDB cannot change in place (there is no API to drop or re-key a dimension). */
export function hypertableReplaces(old: HypertableSpec, next: HypertableSpec): (keyof HypertableSpec)[] {
  const changed: (keyof HypertableSpec)[] = [];
  if (old.schema !== next.schema) changed.push("schema");
  if (old.table !== next.table) changed.push("table");
  if (old.timeColumn !== next.timeColumn) changed.push("timeColumn");
  if (old.hashDimension && old.hashDimension.column !== next.hashDimension?.column) changed.push("hashDimension");
  return changed;
}

/**
 * A replace turns the hypertable back into a plain table and converts it
 * again, moving its rows: without `migrateData` the second half would fail
 * after the first had committed, so it is refused at `check`.
 */
export function hypertableChangeProblems(old: HypertableSpec, next: HypertableSpec): { property: "timeColumn" | "hashDimension"; reason: string }[] {
  if (next.migrateData) return [];
  return hypertableReplaces(old, next)
    .filter((p): p is "timeColumn" | "hashDimension" => p === "timeColumn" || p === "hashDimension")
    .map((property) => ({
      property,
      reason: `changing ${property} replaces the hypertable: it is turned back into a plain table, then converted again, which moves its rows into new chunks. Set migrateData: true (and allowHazards: ["data-loss"] when the table holds rows).`,
    }));
}

/**
 * Steps from `live` (undefined: a plain table) to `desired`. Throws before any
 * SQL when it cannot work: the table is missing, a `date` time column is
 * given a chunk interval of other than whole days, `chunkInterval` or
 * `columnstorePolicy.after` is not of the time column's kind (an interval for
 * a time column, a number for an integer one), a columnstore policy on an
 * integer column has no integer-now function (declared or live), a key lacks a partitioning
 * column being added (checked against the live constraints, so it also holds
 * for tables this program does not declare), or the table holds rows without
 * `migrateData`.
 */
export function planHypertable(live: HypertableSpec | undefined, desired: HypertableSpec, facts: HypertableFacts | undefined): Step[] {
  const f = facts ?? { ...NO_TABLE, tableExists: true, license: "timescale" };
  const hypertable = regclass(desired.schema, desired.table);
  const dimension = (d: NonNullable<HypertableSpec["hashDimension"]>) =>
    step(`SELECT add_dimension(${hypertable}, by_hash(${quoteLiteral(d.column)}, ${d.partitions}))`);
  if (!live && !f.tableExists) {
    throw new Error(`${name(desired)}: table ${desired.schema}.${desired.table} does not exist: declare it with a Table resource and pass that resource as \`table\`.`);
  }
  if (!live && f.relkind !== undefined && f.relkind !== "r") {
    const what = RELATION_KINDS[f.relkind] ?? `a relation of kind '${f.relkind}'`;
    const why = f.relkind === "p" ? "TimescaleDB cannot partition a natively partitioned table" : "TimescaleDB makes hypertables of tables only";
    throw new Error(`${name(desired)}: table: ${desired.schema}.${desired.table} is ${what}, not a table: ${why}. Name a table (declared with a Table resource).`);
  }
  if (!live || live.chunkInterval !== desired.chunkInterval) {
    const problem = chunkIntervalProblem(`${desired.schema}.${desired.table}`, desired.timeColumn, f.timeColumnType, desired.chunkInterval);
    if (problem) throw new Error(`${name(desired)}: ${problem}`);
  }
  if (desired.columnstorePolicy && !sameValue(live?.columnstorePolicy, desired.columnstorePolicy)) {
    const problem = columnstorePolicyProblem(`${desired.schema}.${desired.table}`, desired.timeColumn, f.timeColumnType, desired.columnstorePolicy);
    if (problem) throw new Error(`${name(desired)}: ${problem}`);
    if (timeColumnKind(f.timeColumnType)?.kind === "integer" && !desired.integerNow && !f.integerNow) {
      throw new Error(
        `${name(desired)}: columnstorePolicy on the integer time column "${desired.timeColumn}" (${f.timeColumnType}) needs the hypertable's integer-now function, ` +
          `which TimescaleDB calls at every run of the policy (without it every run fails: "integer_now function not set"): ` +
          `set integerNow to a function returning "now" in the column's units, e.g. 'public.unix_now' (TimescaleDB docs "set_integer_now_func").`,
      );
    }
  }
  if (!live || (desired.hashDimension && !live.hashDimension)) {
    const problems = keyProblems({ ...desired, declaredTable: { keys: f.keys } });
    if (problems.length > 0) throw new Error(`${name(desired)}: ${problems.join("\n")}`);
  }
  if (!live) {
    if (f.rows > 0 && !desired.migrateData) {
      throw new Error(`${name(desired)}: the table holds ${describeRows(f.rows, ROW_COUNT_CAP)}: set migrateData: true to move them into chunks (it locks the table while every row is copied).`);
    }
    return [
      step(`SELECT create_hypertable(${hypertable}, by_range(${quoteLiteral(desired.timeColumn)}, ${chunkIntervalSql(desired.chunkInterval)}), migrate_data => ${desired.migrateData})`),
      ...(desired.hashDimension ? [dimension(desired.hashDimension)] : []),
      ...(desired.integerNow ? [setIntegerNowFunc(hypertable, desired.integerNow)] : []),
      ...planPolicies(undefined, desired, f),
    ];
  }
  const replaced = hypertableReplaces(live, desired);
  if (replaced.length > 0) throw new Error(`${name(desired)}: ${replaced.join(", ")} cannot change in place; the hypertable must be replaced`);
  const steps: Step[] = [];
  if (live.chunkInterval !== desired.chunkInterval) {
    steps.push(step(`SELECT set_chunk_time_interval(${hypertable}, ${chunkIntervalSql(desired.chunkInterval)})`));
  }
  if (desired.hashDimension && !live.hashDimension) steps.push(dimension(desired.hashDimension));
  if (desired.hashDimension && live.hashDimension && live.hashDimension.partitions !== desired.hashDimension.partitions) {
    steps.push(step(`SELECT set_number_partitions(${hypertable}, ${desired.hashDimension.partitions}, ${quoteLiteral(desired.hashDimension.column)})`));
  }
  if (desired.integerNow && desired.integerNow !== live.integerNow) steps.push(setIntegerNowFunc(hypertable, desired.integerNow));
  return [...steps, ...planPolicies(live, desired, f)];
}

/**
 * Columnstore settings and policy from `live` to `desired`: the policy is
 * removed before the columnstore is disabled and added after it is enabled.
 * Refused before any SQL on a license other than the community one, and on a
 * table with row-level security.
 */
function planPolicies(live: HypertableSpec | undefined, desired: HypertableSpec, f: HypertableFacts): Step[] {
  const compressionChanges = !sameValue(live?.compression, desired.compression);
  const policyChanges = !sameValue(live?.columnstorePolicy, desired.columnstorePolicy);
  if (!compressionChanges && !policyChanges) return [];
  if (desired.compression) requireCommunityLicense(f.license, name(desired), compressionChanges ? "compression" : "columnstorePolicy");
  if (desired.compression && !live?.compression) {
    refuseWithRowSecurity(name(desired), `table ${desired.schema}.${desired.table}`, f.rowSecurity, "compression (the columnstore)");
  }
  const target = { relation: qualifiedName(desired.schema, desired.table), regclass: regclass(desired.schema, desired.table) };
  return planCompression(name(desired), "TABLE", target, live, desired, f);
}

/**
 * Turns the hypertable back into a plain table of the same name: copy the rows
 * into a new table built `LIKE` it (columns, defaults, identity, CHECK and
 * NOT NULL), drop the hypertable with its chunks, rename, re-create its
 * PRIMARY KEY / UNIQUE constraints under their names, move identity
 * sequences past the copied values, and re-create what the facts carry
 * (comment, owner, grants, row security and policies, indexes, triggers).
 * With rows present this is a `data-loss` hazard: the rows are copied under
 * an exclusive lock and compression and TimescaleDB policies are dropped.
 */
export function dropHypertable(live: HypertableSpec, facts: HypertableFacts | undefined): Step[] {
  const f = facts ?? { tableExists: true, rows: 0, keys: [], carried: [] };
  if (!f.tableExists) return [];
  const source = qualifiedName(live.schema, live.table);
  const scratchName = truncateIdentifier(`pgstrata_plain_${live.table}`);
  const scratch = qualifiedName(live.schema, scratchName);
  const hazards: Hazard[] = f.rows > 0
    ? [{ kind: "data-loss", message: `turning ${live.schema}.${live.table} back into a plain table copies its ${describeRows(f.rows, ROW_COUNT_CAP)} into a new table under an ACCESS EXCLUSIVE lock and drops the hypertable with its chunks (and any compression or TimescaleDB policies on it)` }]
    : [];
  return [
    step(`CREATE TABLE ${scratch} (LIKE ${source} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING COMMENTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)`, hazards),
    step(`INSERT INTO ${scratch} OVERRIDING SYSTEM VALUE SELECT * FROM ${source}`),
    step(`DROP TABLE ${source}`),
    step(`ALTER TABLE ${scratch} RENAME TO ${quoteIdent(live.table)}`),
    ...f.keys.map((k) =>
      step(`ALTER TABLE ${source} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.primary ? "PRIMARY KEY" : "UNIQUE"} (${k.columns.map(quoteIdent).join(", ")})`),
    ),
    syncIdentitySequences(source),
    ...f.carried.map((sql) => step(sql)),
  ];
}
