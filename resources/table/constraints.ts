import { createHash } from "node:crypto";
import { quoteIdent, quoteIdentList } from "../core/quote";
import { describeRows, Hazard, ownTransaction, Step, step } from "../core/step";
import { ForeignKeySpec } from "./foreign-key";
import { ROW_COUNT_CAP, TableFacts } from "./observe";
import type { TableSpec } from "./spec";

/**
 * A table's constraints as definition text, and the steps that add, change
 * and drop them: in the catalog transaction when the table is empty (or new),
 * the online way when it holds rows (core/step.ts describes the transactions).
 */

/** One constraint of a table: its name, its definition text, and what kind of change adding it is. */
export interface Constraint {
  name: string;
  sql: string;
  /** `key`: PRIMARY KEY / UNIQUE, backed by a unique index; `validated`: CHECK / FOREIGN KEY, which can be added NOT VALID. */
  kind: "key" | "validated";
}

/** The planner's steps by phase; a plan runs them in this order (see core/step.ts). */
export interface Phases {
  /** The catalog changes: one transaction, brief locks. */
  catalog: Step[];
  /** Each `VALIDATE CONSTRAINT` alone: scans without blocking writes. */
  validate: Step[];
  /** Each `CREATE UNIQUE INDEX CONCURRENTLY` alone. */
  build: Step[];
  /** One transaction again: what needs the validated constraints and built indexes. */
  finish: Step[];
}

const MATCH = { simple: "", full: " MATCH FULL" };
const DEFERRABLE = { false: "", immediate: " DEFERRABLE INITIALLY IMMEDIATE", deferred: " DEFERRABLE INITIALLY DEFERRED" };

/** `FOREIGN KEY (…) REFERENCES s.t (…) [MATCH FULL] [ON UPDATE …] [ON DELETE … [(…)]] [DEFERRABLE …]`; defaults are left out. */
function foreignKeySql(fk: ForeignKeySpec): string {
  const { table, columns } = fk.references;
  const setColumns = fk.onDeleteSetColumns ? ` (${quoteIdentList(fk.onDeleteSetColumns)})` : "";
  return (
    `FOREIGN KEY (${quoteIdentList(fk.columns)}) REFERENCES ${quoteIdent(table.schema)}.${quoteIdent(table.name)} (${quoteIdentList(columns)})` +
    MATCH[fk.match] +
    (fk.onUpdate === "no action" ? "" : ` ON UPDATE ${fk.onUpdate.toUpperCase()}`) +
    (fk.onDelete === "no action" ? "" : ` ON DELETE ${fk.onDelete.toUpperCase()}${setColumns}`) +
    DEFERRABLE[String(fk.deferrable) as keyof typeof DEFERRABLE]
  );
}

/** A live constraint that is NOT VALID differs from its declaration, so that it is replaced by a validated one. */
const validity = (k: { notValid?: true }) => (k.notValid ? " NOT VALID" : "");

/** Every constraint of the spec with its definition text, keyed by name. */
export function constraintsOf(t: TableSpec): Constraint[] {
  return [
    ...(t.primaryKey ? [{ name: t.primaryKey.name!, sql: `PRIMARY KEY (${quoteIdentList(t.primaryKey.columns)})`, kind: "key" as const }] : []),
    ...t.uniqueConstraints.map((u) => ({ name: u.name, sql: `UNIQUE (${quoteIdentList(u.columns)})`, kind: "key" as const })),
    ...t.checkConstraints.map((c) => ({ name: c.name, sql: `CHECK (${c.expression})${validity(c)}`, kind: "validated" as const })),
    ...(t.foreignKeys ?? []).map((f) => ({ name: f.name, sql: `${foreignKeySql(f)}${validity(f)}`, kind: "validated" as const })),
  ];
}

/**
 * A name of at most 20 bytes for what an online change builds next to the
 * object it replaces (`pgstrata_` + a hash of purpose and name): deterministic,
 * so that a re-run finds and drops what an interrupted one left.
 */
export function temporaryName(purpose: string, name: string): string {
  return `pgstrata_${createHash("sha256").update(`${purpose}:${name}`).digest("hex").slice(0, 11)}`;
}

/**
 * Steps that make `column` NOT NULL. On a table with rows, SET NOT NULL alone
 * scans the table under an ACCESS EXCLUSIVE lock; a validated
 * `CHECK (column IS NOT NULL)` lets PostgreSQL skip that scan (docs "ALTER
 * TABLE", SET NOT NULL), so: the check NOT VALID in the catalog transaction,
 * validated alone, then SET NOT NULL and the check dropped in the finish.
 */
export function setNotNull(relation: string, column: string, rows: number, phases: Phases, after: Step[] = []): void {
  const alter = `ALTER TABLE ${relation} ALTER COLUMN ${quoteIdent(column)} SET NOT NULL`;
  if (rows === 0) {
    phases.catalog.push(step(alter), ...after);
    return;
  }
  const check = quoteIdent(temporaryName("not null", column));
  const dropCheck = `ALTER TABLE ${relation} DROP CONSTRAINT IF EXISTS ${check}`;
  phases.catalog.push(step(`ALTER TABLE ${relation} ADD CONSTRAINT ${check} CHECK (${quoteIdent(column)} IS NOT NULL) NOT VALID`));
  phases.validate.push(ownTransaction(`ALTER TABLE ${relation} VALIDATE CONSTRAINT ${check}`, dropCheck));
  phases.finish.push(step(alter, [], dropCheck), step(`ALTER TABLE ${relation} DROP CONSTRAINT ${check}`), ...after);
}

/** Context of one table's constraint plan. */
interface Target {
  relation: string;
  /** `schema.name`, for messages. */
  table: string;
  /** The schema, quoted: where a concurrently built index lives. */
  schema: string;
  facts: TableFacts;
}

/**
 * Adds `k` (absent from the live table, or replacing `replaced`, a live
 * constraint of the same name with another definition). With rows:
 * - CHECK / FOREIGN KEY: `ADD … NOT VALID` (under a temporary name when it
 *   replaces one, so the old one guards the rows until the new one is valid),
 *   `VALIDATE` alone, which drops it again if rows violate it; then the old
 *   one is dropped and the new one renamed.
 * - PRIMARY KEY / UNIQUE: `CREATE UNIQUE INDEX CONCURRENTLY`, then
 *   `ADD CONSTRAINT … USING INDEX` (which renames the index to the
 *   constraint's name). A hypertable refuses both (TimescaleDB: "hypertables
 *   do not support concurrent index creation", "… adding a constraint using an
 *   existing index"), so there it is a plain ADD CONSTRAINT, which builds the
 *   index on every chunk under an ACCESS EXCLUSIVE lock: a `blocking-lock`
 *   hazard.
 */
export function addConstraint(t: Target, k: Constraint, replaced: Constraint | undefined, phases: Phases): void {
  const add = (name: string, suffix = "") => `ALTER TABLE ${t.relation} ADD CONSTRAINT ${quoteIdent(name)} ${k.sql}${suffix}`;
  const dropOld = step(`ALTER TABLE ${t.relation} DROP CONSTRAINT IF EXISTS ${quoteIdent(k.name)}`);
  const rows = t.facts.rows;
  if (rows === 0) {
    if (replaced) phases.catalog.push(dropOld);
    phases.catalog.push(step(add(k.name)));
    return;
  }
  if (k.kind === "validated") {
    const name = replaced ? temporaryName("replace", k.name) : k.name;
    const dropNew = `ALTER TABLE ${t.relation} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`;
    phases.catalog.push(step(add(name, " NOT VALID")));
    phases.validate.push(ownTransaction(`ALTER TABLE ${t.relation} VALIDATE CONSTRAINT ${quoteIdent(name)}`, dropNew));
    if (replaced) phases.finish.push(dropOld, step(`ALTER TABLE ${t.relation} RENAME CONSTRAINT ${quoteIdent(name)} TO ${quoteIdent(k.name)}`, [], dropNew));
    return;
  }
  if (t.facts.partitioning.length > 0) {
    const hazard: Hazard = {
      kind: "blocking-lock",
      message:
        `adding ${k.sql} as ${k.name} to hypertable ${t.table} builds its index on every chunk of ${describeRows(rows, ROW_COUNT_CAP)} ` +
        `under an ACCESS EXCLUSIVE lock: reads and writes of ${t.table} wait until it is built (TimescaleDB refuses concurrent builds and ADD CONSTRAINT … USING INDEX on hypertables)`,
    };
    if (replaced) phases.catalog.push(dropOld);
    phases.catalog.push(step(add(k.name), [hazard]));
    return;
  }
  const index = replaced ? temporaryName("replace", k.name) : k.name;
  const dropIndex = `DROP INDEX CONCURRENTLY IF EXISTS ${t.schema}.${quoteIdent(index)}`;
  const [, keyword, columns] = /^(PRIMARY KEY|UNIQUE) (\(.*\))$/.exec(k.sql)!;
  phases.build.push(ownTransaction(`CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(index)} ON ${t.relation} ${columns}`, dropIndex));
  if (replaced) phases.finish.push(dropOld);
  phases.finish.push(step(`ALTER TABLE ${t.relation} ADD CONSTRAINT ${quoteIdent(k.name)} ${keyword} USING INDEX ${quoteIdent(index)}`, [], dropIndex));
}
