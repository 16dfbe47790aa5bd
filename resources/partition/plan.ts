import { sameValue } from "../core/compare";
import { qualifiedName, quoteIdent, quoteIdentList } from "../core/quote";
import { describeRows, Hazard, ROW_COUNT_CAP, Step, step } from "../core/step";
import { boundSql } from "./bound";
import { PartitionFacts } from "./observe";
import { PartitionSpec } from "./spec";

const label = (p: PartitionSpec) => `Partition ${p.schema}.${p.name}`;
const NO_FACTS: PartitionFacts = { constraint: null, columns: [], defaultPartition: null, exists: false, parentRowSecurity: false, rows: 0, outside: 0, inDefault: 0 };

/** A step that must commit on its own (`DETACH … CONCURRENTLY`, `… FINALIZE`): it cannot run inside a transaction block. */
const alone = (sql: string, hazards: Hazard[] = []): Step => ({ sql, hazards, transactional: false });

/** Properties PostgreSQL cannot change in place for a partition: it would be another relation. */
export function partitionReplaces(old: PartitionSpec, next: PartitionSpec): (keyof PartitionSpec)[] {
  return (["schema", "parent", "name"] as const).filter((k) => old[k] !== next[k]);
}

/**
 * Rows of the default partition that belong to the new bound, moved into
 * `relation` in one statement (`DELETE … RETURNING` feeding an `INSERT`), so
 * that attaching does not fail with "updated partition constraint for default
 * partition would be violated".
 */
function moveFromDefault(relation: string, f: PartitionFacts): Step[] {
  if (f.inDefault === 0 || !f.defaultPartition || !f.constraint) return [];
  const columns = quoteIdentList(f.columns);
  return [step(`WITH moved AS (DELETE FROM ${f.defaultPartition} WHERE ${f.constraint} RETURNING ${columns}) INSERT INTO ${relation} (${columns}) SELECT ${columns} FROM moved`)];
}

/**
 * Steps that attach the existing table `relation` with the desired bound.
 * Refused, with the count, when rows of it lie outside the bound. With rows,
 * a `CHECK` matching the bound is added `NOT VALID` and validated first (a
 * scan that blocks no reads or writes), so that `ATTACH` skips its scan under
 * the exclusive lock (docs §5.12.2.2); each statement then commits on its own.
 */
function attachExisting(desired: PartitionSpec, f: PartitionFacts): Step[] {
  const relation = qualifiedName(desired.schema, desired.name);
  const parent = qualifiedName(desired.schema, desired.parent);
  if (f.outside > 0) {
    throw new Error(
      `${label(desired)}: bound: ${desired.schema}.${desired.name} holds ${describeRows(f.outside, ROW_COUNT_CAP)} outside ${boundSql(desired.bound)}; ` +
        `move or delete them (rows outside: WHERE NOT (${f.constraint})), or declare a bound that holds them.`,
    );
  }
  const attach = step(`ALTER TABLE ${parent} ATTACH PARTITION ${relation} ${boundSql(desired.bound)}`);
  if (f.rows === 0 || !f.constraint) return [...moveFromDefault(relation, f), attach];
  const check = quoteIdent("pgstrata_bound");
  return [
    alone(`ALTER TABLE ${relation} ADD CONSTRAINT ${check} CHECK (${f.constraint}) NOT VALID`),
    alone(`ALTER TABLE ${relation} VALIDATE CONSTRAINT ${check}`),
    ...moveFromDefault(relation, f).map((s) => alone(s.sql)),
    alone(attach.sql),
    alone(`ALTER TABLE ${relation} DROP CONSTRAINT ${check}`),
  ];
}

/**
 * Steps from `live` (undefined: not attached) to `desired`:
 * - new: `CREATE TABLE … PARTITION OF` in one transaction, after moving the
 *   default partition's rows of the new bound into it, with row security
 *   enabled when the parent has it;
 * - an existing table of that name: attached (see `attachExisting`);
 * - a pending detach (drift): `DETACH … FINALIZE`, then attached again;
 * - another bound: detached and attached with the desired one, refused with
 *   the count when rows lie outside it.
 * Throws before any SQL when the bound cannot hold the rows.
 */
export function planPartition(live: PartitionSpec | undefined, desired: PartitionSpec, facts: PartitionFacts | undefined): Step[] {
  const f = facts ?? NO_FACTS;
  const relation = qualifiedName(desired.schema, desired.name);
  const parent = qualifiedName(desired.schema, desired.parent);
  // Row security of the parent does not reach a query on the partition itself (docs §5.9): close that path as Table.rowLevelSecurity does.
  const closed = f.parentRowSecurity ? [step(`ALTER TABLE ${relation} ENABLE ROW LEVEL SECURITY`)] : [];
  if (!live && !f.exists) {
    if (f.inDefault === 0) return [step(`CREATE TABLE ${relation} PARTITION OF ${parent} ${boundSql(desired.bound)}`), ...closed];
    return [step(`CREATE TABLE ${relation} (LIKE ${parent} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`), ...closed, ...moveFromDefault(relation, f), step(`ALTER TABLE ${parent} ATTACH PARTITION ${relation} ${boundSql(desired.bound)}`)];
  }
  if (!live) return [...attachExisting(desired, f), ...closed.map((s) => alone(s.sql))];
  if (live.detachPending) return [alone(`ALTER TABLE ${parent} DETACH PARTITION ${relation} FINALIZE`), ...attachExisting(desired, f).map((s) => alone(s.sql))];
  if (sameValue(live.bound, desired.bound)) return [];
  return [step(`ALTER TABLE ${parent} DETACH PARTITION ${relation}`), ...attachExisting(desired, f)];
}

/**
 * Detaches and drops the partition. `DETACH … CONCURRENTLY` (which takes only
 * SHARE UPDATE EXCLUSIVE on the parent) where PostgreSQL allows it: not for
 * the default partition nor when the parent has one (docs "ALTER TABLE",
 * DETACH PARTITION); a plain `DETACH` otherwise. With rows, a `data-loss`
 * hazard naming them.
 */
export function dropPartition(live: PartitionSpec, facts: PartitionFacts | undefined): Step[] {
  const f = facts ?? NO_FACTS;
  const relation = qualifiedName(live.schema, live.name);
  const parent = qualifiedName(live.schema, live.parent);
  const hazards: Hazard[] = f.rows > 0 ? [{ kind: "data-loss", message: `dropping partition ${live.schema}.${live.name} (${boundSql(live.bound)}) of ${live.schema}.${live.parent} discards its ${describeRows(f.rows, ROW_COUNT_CAP)}` }] : [];
  if (live.detachPending) return [alone(`ALTER TABLE ${parent} DETACH PARTITION ${relation} FINALIZE`, hazards), alone(`DROP TABLE ${relation}`)];
  if (live.bound === "default" || f.defaultPartition) return [step(`ALTER TABLE ${parent} DETACH PARTITION ${relation}`, hazards), step(`DROP TABLE ${relation}`)];
  return [alone(`ALTER TABLE ${parent} DETACH PARTITION ${relation} CONCURRENTLY`, hazards), alone(`DROP TABLE ${relation}`)];
}
