import { qualifiedName, quoteIdent, quoteIdentList, quoteLiteral } from "../core/quote";
import { describeRows, Hazard, ROW_COUNT_CAP, Step, step } from "../core/step";
import { syncIdentitySequences } from "../core/identity";
import { truncateIdentifier } from "../core/spec";
import { sameValue } from "../core/compare";
import { typeChangeAvoidsRewrite } from "../core/column-type";
import { HYPERTABLE_PARTITIONING_RULE, partitioningKeyProblems } from "../core/partitioning";
import type { Conversion } from "./conversion";
import { TableFacts } from "./observe";
import { rowSecuritySteps } from "./row-security";
import { addConstraint, Constraint, constraintsOf, Phases, setNotNull } from "./constraints";
import { referencedKeyProblem } from "./foreign-key";
import { ColumnSpec, isColumnKey, TableSpec } from "./spec";

/** `"name" type [NOT NULL] [DEFAULT expr] [GENERATED … AS IDENTITY]` */
function columnDefinition(c: ColumnSpec): string {
  return [
    quoteIdent(c.name),
    c.type,
    c.nullable ? "" : "NOT NULL",
    c.default === undefined ? "" : `DEFAULT ${c.default}`,
    c.identity ? `GENERATED ${c.identity.toUpperCase()} AS IDENTITY` : "",
  ].filter(Boolean).join(" ");
}

/** `CREATE TABLE <relation> (columns…, CONSTRAINT … )` */
export function createTableSql(relation: string, t: TableSpec, suffix = ""): string {
  const parts = [...t.columns.map(columnDefinition), ...constraintsOf(t).map((k) => `CONSTRAINT ${quoteIdent(k.name)} ${k.sql}`)];
  return `CREATE TABLE ${relation} (\n  ${parts.join(",\n  ")}\n)${suffix}`;
}

/** ` PARTITION BY RANGE (at, (lower(region)))`, or `""` for a plain table; keys that are not plain column names are parenthesized expressions. */
export function partitionClause(p: TableSpec["partitionBy"]): string {
  if (!p) return "";
  return ` PARTITION BY ${p.strategy.toUpperCase()} (${p.keys.map((k) => (isColumnKey(k) ? quoteIdent(k) : `(${k})`)).join(", ")})`;
}

const describePartitioning = (p: TableSpec["partitionBy"]) => (p ? `partitioned by ${p.strategy} (${p.keys.join(", ")})` : "a plain table");

/** Dollar-quote tag of the row-count check's DO block. */
const VERIFY_TAG = "$pgstrata_verify$";

/**
 * Rebuilds the table when its partitioning changes (PostgreSQL cannot
 * re-partition a table in place), in one transaction: lock the table
 * EXCLUSIVE (reads go on, writes wait), create the new table under a
 * temporary name with a catch-all partition (`DEFAULT`, or `modulus 1` for
 * hash), copy the rows of the columns both versions have, verify the row
 * count, and only then drop the old table and give the new one its name,
 * keys, comment, row security and identity sequences. Declared `Partition`s then move their
 * rows out of the catch-all partition when they are attached.
 */
function rebuild(live: TableSpec, desired: TableSpec, f: TableFacts): Step[] {
  const relation = qualifiedName(desired.schema, desired.name);
  const table = `${desired.schema}.${desired.name}`;
  const what = `${describePartitioning(live.partitionBy)} to ${describePartitioning(desired.partitionBy)}`;
  if (f.rows > 0 && !desired.migrateData) {
    throw new Error(
      `Table ${table}: partitionBy: changing ${table} from ${what} rebuilds it, and it holds ${describeRows(f.rows, ROW_COUNT_CAP)}. ` +
        `Set migrateData: true and allowHazards: ["table-rewrite"] to copy them into the rebuilt table (one transaction; writes wait while it runs).`,
    );
  }
  const temporary = (suffix: string) => truncateIdentifier(`pgstrata_${suffix}_${desired.name}`);
  const scratch = qualifiedName(desired.schema, temporary("new"));
  if (scratch.includes(VERIFY_TAG) || relation.includes(VERIFY_TAG)) throw new Error(`Table ${table}: its name contains ${VERIFY_TAG}, which pgstrata's row-count check uses as a quote: rename it`);
  const catchAll = desired.partitionBy && qualifiedName(desired.schema, temporary("default"));
  const lost = live.columns.filter((c) => !desired.columns.some((d) => d.name === c.name));
  const copied = quoteIdentList(desired.columns.filter((c) => live.columns.some((l) => l.name === c.name)).map((c) => c.name));
  const hazards: Hazard[] = f.rows > 0
    ? [
        { kind: "table-rewrite", message: `changing ${table} from ${what} copies its ${describeRows(f.rows, ROW_COUNT_CAP)} into a new table in one transaction that holds an EXCLUSIVE lock on ${table} throughout (reads continue, writes wait), then ACCESS EXCLUSIVE to swap; indexes, grants, policies and triggers of the old table are not carried over` },
        ...lost.map((c): Hazard => ({ kind: "data-loss", message: `rebuilding ${table} without column "${c.name}" discards its values in ${describeRows(f.rows, ROW_COUNT_CAP)}` })),
      ]
    : [];
  const unkeyed = { ...desired, primaryKey: undefined, uniqueConstraints: [] };
  const keys = constraintsOf(desired).filter((k) => k.kind === "key");
  return [
    step(`LOCK TABLE ${relation} IN EXCLUSIVE MODE`, hazards),
    step(createTableSql(scratch, unkeyed, partitionClause(desired.partitionBy))),
    ...(catchAll ? [step(`CREATE TABLE ${catchAll} PARTITION OF ${scratch} ${desired.partitionBy!.strategy === "hash" ? "FOR VALUES WITH (modulus 1, remainder 0)" : "DEFAULT"}`)] : []),
    ...(copied ? [step(`INSERT INTO ${scratch} (${copied}) OVERRIDING SYSTEM VALUE SELECT ${copied} FROM ${relation}`)] : []),
    step(
      `DO ${VERIFY_TAG} DECLARE copied bigint := (SELECT count(*) FROM ${scratch}); kept bigint := (SELECT count(*) FROM ${relation}); ` +
        `BEGIN IF copied <> kept THEN RAISE EXCEPTION 'rebuilding ${table.replace(/'/g, "''")}: copied % of % rows; nothing was dropped', copied, kept; END IF; END ${VERIFY_TAG}`,
    ),
    step(`DROP TABLE ${relation}`),
    step(`ALTER TABLE ${scratch} RENAME TO ${quoteIdent(desired.name)}`),
    ...(catchAll ? [step(`ALTER TABLE ${catchAll} RENAME TO ${quoteIdent(truncateIdentifier(`${desired.name}_default`))}`)] : []),
    ...keys.map((k) => step(`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.sql}`)),
    ...(desired.comment === undefined ? [] : [commentStep(relation, desired)]),
    ...rowSecuritySteps(relation, table, undefined, desired.rowLevelSecurity, []),
    syncIdentitySequences(relation),
  ];
}

function commentStep(relation: string, t: TableSpec): Step {
  return step(`COMMENT ON TABLE ${relation} IS ${t.comment === undefined ? "NULL" : quoteLiteral(t.comment)}`);
}

const dimensions = (type: string) => /^(vector|halfvec|sparsevec)\((\d+)\)$/.exec(type);

/**
 * What the cast of a type change does to the stored values (facts read by
 * table/conversion.ts): refused before any SQL when it cannot convert some
 * row; a `data-loss` hazard counting the rows whose value it changes
 * (truncated, rounded, a time of day dropped), or that the server could not
 * compare.
 */
function conversionHazards(table: string, from: ColumnSpec, to: ColumnSpec, conversion: Conversion | undefined): Hazard[] {
  if (!conversion) return [];
  const change = `column "${to.name}" of ${table} from ${from.type} to ${to.type}`;
  if (conversion.failed > 0) {
    throw new Error(
      `Table ${table}: columns[${to.name}].type: ${describeRows(conversion.failed, ROW_COUNT_CAP)} ${conversion.failed === 1 ? "holds" : "hold"} a value that ${from.type} to ${to.type} cannot convert (${conversion.error}). ` +
        `Update or delete ${conversion.failed === 1 ? "it" : "them"} first, or keep ${from.type}.`,
    );
  }
  if (conversion.changed === undefined) {
    return [{ kind: "data-loss", message: `changing ${change} may change stored values: the server cannot compare them (${conversion.error})` }];
  }
  if (conversion.changed === 0) return [];
  return [{ kind: "data-loss", message: `changing ${change} changes the stored value in ${describeRows(conversion.changed, ROW_COUNT_CAP)} (the cast truncates, rounds or drops what ${to.type} cannot hold)` }];
}

/** Adds the steps that change one existing column in place to `phases`; throws when one cannot work with the live data. */
function alterColumn(relation: string, table: string, from: ColumnSpec, to: ColumnSpec, facts: TableFacts, phases: Phases): void {
  const rows = facts.rows;
  const alter = (clause: string, hazards: Hazard[] = []) => step(`ALTER TABLE ${relation} ALTER COLUMN ${quoteIdent(to.name)} ${clause}`, hazards);
  const steps = phases.catalog;
  if (from.identity && !to.identity) steps.push(alter("DROP IDENTITY"));
  if (from.default !== undefined && from.default !== to.default) steps.push(alter("DROP DEFAULT"));
  if (from.type !== to.type && facts.partitioning.includes(to.name)) {
    throw new Error(
      `Table ${table}: columns[${to.name}].type: "${to.name}" partitions hypertable ${table}, so its type cannot change in place (TimescaleDB). ` +
        `Keep ${from.type}, or replace the hypertable on a new column.`,
    );
  }
  if (!to.nullable && from.nullable && facts.nullsIn.includes(to.name)) {
    throw new Error(
      `Table ${table}: columns[${to.name}].nullable: some rows hold NULL in "${to.name}", so it cannot become NOT NULL. ` +
        `Backfill them first (UPDATE ${table} SET ${to.name} = … WHERE ${to.name} IS NULL), then set nullable: false.`,
    );
  }
  if (from.type !== to.type) {
    const [fd, td] = [dimensions(from.type), dimensions(to.type)];
    if (rows > 0 && fd && td && fd[2] !== td[2]) {
      throw new Error(
        `Table ${table}: columns[${to.name}].type: changing ${from.type} to ${to.type} cannot convert the ${describeRows(rows, ROW_COUNT_CAP)} present (pgvector: "expected ${td[2]} dimensions"). ` +
          `Add a new ${to.type} column, backfill it, then drop "${to.name}".`,
      );
    }
    const hazards: Hazard[] = rows > 0 && !typeChangeAvoidsRewrite(from.type, to.type)
      ? [{ kind: "table-rewrite", message: `changing column "${to.name}" of ${table} from ${from.type} to ${to.type} rewrites ${describeRows(rows, ROW_COUNT_CAP)} under an ACCESS EXCLUSIVE lock` }]
      : [];
    hazards.push(...conversionHazards(table, from, to, facts.conversions.find((c) => c.column === to.name)));
    steps.push(alter(`TYPE ${to.type} USING ${quoteIdent(to.name)}::${to.type}`, hazards));
  }
  if (to.default !== undefined && from.default !== to.default) steps.push(alter(`SET DEFAULT ${to.default}`));
  if (to.nullable && !from.nullable) steps.push(alter("DROP NOT NULL"));
  if (to.identity && from.identity && from.identity !== to.identity) steps.push(alter(`SET GENERATED ${to.identity.toUpperCase()}`));
  // The server requires NOT NULL before ADD GENERATED.
  // Its sequence is then moved past the stored values: a scan inside the transaction that holds the ACCESS EXCLUSIVE lock.
  const scan: Hazard[] = rows > 0
    ? [{ kind: "blocking-lock", message: `making column "${to.name}" of ${table} an identity reads its ${describeRows(rows, ROW_COUNT_CAP)} for the largest stored value under an ACCESS EXCLUSIVE lock: reads and writes of ${table} wait for that scan` }]
    : [];
  const identity = to.identity && !from.identity ? [alter(`ADD GENERATED ${to.identity.toUpperCase()} AS IDENTITY`, scan), syncIdentitySequences(relation, to.name)] : [];
  if (!to.nullable && from.nullable) setNotNull(relation, to.name, rows, phases, identity);
  else steps.push(...identity);
}

/**
 * Throws, before any SQL, when a foreign key to be added cannot work: its
 * referenced table is missing, its referenced columns are not a key of it,
 * or rows of the table reference no row (facts read while planning).
 */
function refuseBrokenForeignKeys(table: string, desired: TableSpec, adding: Set<string>, facts: TableFacts | undefined): void {
  for (const fk of (desired.foreignKeys ?? []).filter((k) => adding.has(k.name))) {
    const target = `${fk.references.table.schema}.${fk.references.table.name}`;
    const self = target === table;
    const referenced = self ? undefined : facts?.referencedTables?.[target];
    if (!self && facts?.referencedTables && !referenced) {
      throw new Error(`Table ${table}: foreignKeys[${fk.name}].references.table: table ${target} does not exist: create it first (pass its Table resource as references.table, so that this table depends on it).`);
    }
    const problem = referenced && referencedKeyProblem(fk, referenced.columns, referenced.keys);
    if (problem) throw new Error(`Table ${table}: foreignKeys[${fk.name}].references.columns: ${problem}`);
    const orphans = facts?.orphans?.[fk.name] ?? 0;
    if (orphans > 0) {
      throw new Error(
        `Table ${table}: foreignKeys[${fk.name}]: ${describeRows(orphans, ROW_COUNT_CAP)} of ${table} reference no row of ${target} ((${fk.columns.join(", ")}) → (${fk.references.columns.join(", ")})), so the key cannot be validated. ` +
          `Delete or repair those rows (or set their columns NULL) first, then apply again.`,
      );
    }
  }
}

/**
 * Steps from `live` to `desired`, in an order PostgreSQL accepts: drop changed
 * or removed constraints, drop columns, add columns, alter columns, add
 * constraints, comment, row security. On a table with rows, constraints and NOT NULL are
 * added online (table/constraints.ts): the catalog changes in one
 * transaction, then each VALIDATE and each concurrent index build alone,
 * then one transaction that finishes them (core/step.ts); a changed
 * constraint keeps guarding the rows until its replacement is valid.
 * Dropping a column of a non-empty table is a `data-loss` hazard; a
 * rewriting type change, or adding an identity column or one with a volatile
 * default, to one is `table-rewrite`; a key added to a hypertable with rows
 * is `blocking-lock`.
 * Throws (before any SQL) when a step cannot work: a NOT NULL column without
 * default added to a table with rows, a vector dimension change with rows,
 * NOT NULL on a column holding NULLs, a type change of a hypertable's
 * partitioning column, a key on a hypertable without its partitioning columns,
 * a foreign key to a missing table or to columns that are not a key of it, or
 * one that rows of the table violate, a change of partitioning of a table
 * with rows without `migrateData`. A change of `partitionBy` rebuilds the
 * table (see `rebuild`).
 */
export function planTable(live: TableSpec | undefined, desired: TableSpec, facts: TableFacts | undefined): Step[] {
  const relation = qualifiedName(desired.schema, desired.name);
  const table = `${desired.schema}.${desired.name}`;
  if (!live) {
    refuseBrokenForeignKeys(table, desired, new Set((desired.foreignKeys ?? []).map((k) => k.name)), facts);
    return [
      step(createTableSql(relation, desired, partitionClause(desired.partitionBy))),
      ...(desired.comment === undefined ? [] : [commentStep(relation, desired)]),
      ...rowSecuritySteps(relation, table, undefined, desired.rowLevelSecurity, []),
    ];
  }

  const f = facts ?? { rows: 0, volatileDefaults: [], nullsIn: [], conversions: [], partitioning: [], rowSecurityBlockers: [] };
  if (!sameValue(live.partitionBy, desired.partitionBy)) return rebuild(live, desired, f);
  const rows = f.rows;
  const liveColumns = new Map(live.columns.map((c) => [c.name, c]));
  const wanted = new Set(desired.columns.map((c) => c.name));
  const [liveConstraints, desiredConstraints] = [constraintsOf(live), constraintsOf(desired)];
  const same = (k: Constraint) => desiredConstraints.some((d) => d.name === k.name && d.sql === k.sql);
  const declared = new Set(desiredConstraints.map((k) => k.name));
  const phases: Phases = { catalog: [], validate: [], build: [], finish: [] };

  // With rows, a changed constraint is replaced online by addConstraint; only removed ones are dropped here.
  for (const k of liveConstraints.filter((k) => !same(k) && (rows === 0 || !declared.has(k.name)))) {
    phases.catalog.push(step(`ALTER TABLE ${relation} DROP CONSTRAINT ${quoteIdent(k.name)}`));
  }
  for (const c of live.columns.filter((c) => !wanted.has(c.name))) {
    const hazards: Hazard[] = rows > 0 ? [{ kind: "data-loss", message: `dropping column "${c.name}" of ${table} discards its values in ${describeRows(rows, ROW_COUNT_CAP)}` }] : [];
    phases.catalog.push(step(`ALTER TABLE ${relation} DROP COLUMN ${quoteIdent(c.name)}`, hazards));
  }
  for (const c of desired.columns) {
    const current = liveColumns.get(c.name);
    if (!current) {
      if (rows > 0 && !c.nullable && c.default === undefined && !c.identity) {
        throw new Error(
          `Table ${table}: columns[${c.name}]: a NOT NULL column without a default cannot be added to a table with ${describeRows(rows, ROW_COUNT_CAP)}. ` +
            `Give it a default, or add it nullable, backfill it, then set nullable: false.`,
        );
      }
      const rewrites = rows > 0 && (c.identity !== undefined || f.volatileDefaults.includes(c.name));
      const hazards: Hazard[] = rewrites
        ? [{ kind: "table-rewrite", message: `adding column "${c.name}" of ${table} with ${c.identity ? "an identity" : `the volatile default ${c.default}`} rewrites ${describeRows(rows, ROW_COUNT_CAP)} under an ACCESS EXCLUSIVE lock` }]
        : [];
      phases.catalog.push(step(`ALTER TABLE ${relation} ADD COLUMN ${columnDefinition(c)}`, hazards));
    } else if (!sameValue(current, c)) {
      alterColumn(relation, table, current, c, f, phases);
    }
  }
  const liveNames = new Set(liveConstraints.filter(same).map((k) => k.name));
  const addedKeys = [...(desired.primaryKey ? [desired.primaryKey] : []), ...desired.uniqueConstraints].filter((k) => !liveNames.has(k.name!));
  const keyProblems = partitioningKeyProblems(table, f.partitioning, addedKeys.map((k) => ({ name: k.name!, columns: k.columns })), HYPERTABLE_PARTITIONING_RULE);
  if (keyProblems.length > 0) throw new Error(`Table ${table}: ${keyProblems.join("\n")}`);
  const adding = desiredConstraints.filter((k) => !liveNames.has(k.name));
  refuseBrokenForeignKeys(table, desired, new Set(adding.map((k) => k.name)), facts);
  const target = { relation, table, schema: desired.schema, facts: f };
  for (const k of adding) addConstraint(target, k, rows > 0 ? liveConstraints.find((l) => l.name === k.name) : undefined, phases);
  if (live.comment !== desired.comment) phases.catalog.push(commentStep(relation, desired));
  phases.catalog.push(...rowSecuritySteps(relation, table, live.rowLevelSecurity, desired.rowLevelSecurity, f.rowSecurityBlockers));
  return [...phases.catalog, ...phases.validate, ...phases.build, ...phases.finish];
}

/** `DROP TABLE`; a `data-loss` hazard when the table holds rows. */
export function dropTable(live: TableSpec, facts: TableFacts | undefined): Step[] {
  const rows = facts?.rows ?? 0;
  const hazards: Hazard[] = rows > 0 ? [{ kind: "data-loss", message: `dropping table ${live.schema}.${live.name} discards its ${describeRows(rows, ROW_COUNT_CAP)}` }] : [];
  return [step(`DROP TABLE ${qualifiedName(live.schema, live.name)}`, hazards)];
}
