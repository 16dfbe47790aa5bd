import { createHash } from "node:crypto";
import { qualifiedName, quoteIdent, quoteIdentList } from "../core/quote";
import { describeRows, ownTransaction, ROW_COUNT_CAP, Step, step } from "../core/step";
import { ForeignKeySpec } from "./foreign-key";
import { TableFacts } from "./observe";
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
  /** `key`: PRIMARY KEY / UNIQUE, backed by a unique index; `check` and `foreign`: can be added NOT VALID and validated later. */
  kind: "key" | "check" | "foreign";
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
    `FOREIGN KEY (${quoteIdentList(fk.columns)}) REFERENCES ${qualifiedName(table.schema, table.name)} (${quoteIdentList(columns)})` +
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
    ...t.checkConstraints.map((c) => ({ name: c.name, sql: `CHECK (${c.expression})${validity(c)}`, kind: "check" as const })),
    ...(t.foreignKeys ?? []).map((f) => ({ name: f.name, sql: `${foreignKeySql(f)}${validity(f)}`, kind: "foreign" as const })),
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
  /** The schema: where a concurrently built index lives. */
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
 *   constraint's name). On a partitioned table, which refuses both, the same
 *   on each partition, then a plain `ADD CONSTRAINT` on the parent, which
 *   attaches the partitions' constraints instead of building anything.
 * Where no online path exists it is a plain ADD CONSTRAINT with a
 * `blocking-lock` hazard: a key on a hypertable (TimescaleDB: "hypertables do
 * not support concurrent index creation", "… adding a constraint using an
 * existing index") or on a table with sub-partitions; a foreign key on a
 * partitioned table (PostgreSQL 17: "cannot add NOT VALID foreign key on
 * partitioned table").
 */
export function addConstraint(t: Target, k: Constraint, replaced: Constraint | undefined, phases: Phases): void {
  const add = (name: string, suffix = "") => `ALTER TABLE ${t.relation} ADD CONSTRAINT ${quoteIdent(name)} ${k.sql}${suffix}`;
  const dropOld = step(`ALTER TABLE ${t.relation} DROP CONSTRAINT IF EXISTS ${quoteIdent(k.name)}`);
  const rows = t.facts.rows;
  const blocking = rows > 0 ? blockingReason(t, k) : undefined;
  if (rows === 0 || blocking) {
    if (replaced) phases.catalog.push(dropOld);
    phases.catalog.push(step(add(k.name), blocking ? [{ kind: "blocking-lock", message: blocking }] : []));
    return;
  }
  if (k.kind !== "key") {
    const name = replaced ? temporaryName("replace", k.name) : k.name;
    const dropNew = `ALTER TABLE ${t.relation} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`;
    phases.catalog.push(step(add(name, " NOT VALID")));
    phases.validate.push(ownTransaction(`ALTER TABLE ${t.relation} VALIDATE CONSTRAINT ${quoteIdent(name)}`, dropNew));
    if (replaced) phases.finish.push(dropOld, step(`ALTER TABLE ${t.relation} RENAME CONSTRAINT ${quoteIdent(name)} TO ${quoteIdent(k.name)}`, [], dropNew));
    return;
  }
  const [, keyword, columns] = /^(PRIMARY KEY|UNIQUE) (\(.*\))$/.exec(k.sql)!;
  /** A unique index built concurrently on `relation`, then made its constraint `name` (which renames the index). */
  const viaIndex = (schema: string, relation: string, name: string, index: string) => {
    const dropIndex = `DROP INDEX CONCURRENTLY IF EXISTS ${qualifiedName(schema, index)}`;
    phases.build.push(ownTransaction(`CREATE UNIQUE INDEX CONCURRENTLY ${quoteIdent(index)} ON ${relation} ${columns}`, dropIndex));
    return step(`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(name)} ${keyword} USING INDEX ${quoteIdent(index)}`, [], dropIndex);
  };
  if (t.facts.partitions) {
    const attached = t.facts.partitions.map((p) => {
      const name = temporaryName(k.name, `${p.schema}.${p.name}`);
      return viaIndex(p.schema, qualifiedName(p.schema, p.name), name, name);
    });
    phases.finish.push(...(replaced ? [dropOld] : []), ...attached, step(add(k.name)));
    return;
  }
  const finish = viaIndex(t.schema, t.relation, k.name, replaced ? temporaryName("replace", k.name) : k.name);
  phases.finish.push(...(replaced ? [dropOld] : []), finish);
}

/** Why `k` cannot be added to the table (which holds rows) without blocking writes, as a hazard message; undefined when an online path exists. */
function blockingReason(t: Target, k: Constraint): string | undefined {
  const rows = describeRows(t.facts.rows, ROW_COUNT_CAP);
  const subPartitioned = t.facts.partitions?.some((p) => p.partitioned);
  if (k.kind === "key" && t.facts.partitioning.length > 0) {
    return (
      `adding ${k.sql} as ${k.name} to hypertable ${t.table} builds its index on every chunk of ${rows} under an ACCESS EXCLUSIVE lock: ` +
      `reads and writes of ${t.table} wait until it is built (TimescaleDB refuses concurrent builds and ADD CONSTRAINT … USING INDEX on hypertables)`
    );
  }
  if (k.kind === "key" && subPartitioned) {
    return `adding ${k.sql} as ${k.name} to partitioned table ${t.table}, whose partitions are partitioned again, builds its index on every partition of ${rows} under an ACCESS EXCLUSIVE lock: reads and writes wait until it is built`;
  }
  if (k.kind === "foreign" && t.facts.partitions) {
    return (
      `adding ${k.name} to partitioned table ${t.table} checks its ${rows} under a SHARE ROW EXCLUSIVE lock: writes to ${t.table} wait until every row is checked ` +
      `(PostgreSQL 17 refuses NOT VALID foreign keys on partitioned tables)`
    );
  }
  return undefined;
}
