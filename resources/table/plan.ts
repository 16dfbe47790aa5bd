import { qualifiedName, quoteIdent, quoteIdentList, quoteLiteral } from "../core/quote";
import { describeRows, Hazard, Step, step } from "../core/step";
import { sameValue } from "../core/compare";
import { typeChangeAvoidsRewrite } from "./column-type";
import { partitioningKeyProblems } from "../hypertable/spec";
import { ROW_COUNT_CAP, TableFacts } from "./observe";
import { rowSecuritySteps } from "./row-security";
import { ColumnSpec, TableSpec } from "./spec";

type Constraint = { name: string; sql: string };

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

/** Every constraint of the spec with its definition text, keyed by name. */
function constraintsOf(t: TableSpec): Constraint[] {
  return [
    ...(t.primaryKey ? [{ name: t.primaryKey.name!, sql: `PRIMARY KEY (${quoteIdentList(t.primaryKey.columns)})` }] : []),
    ...t.uniqueConstraints.map((u) => ({ name: u.name, sql: `UNIQUE (${quoteIdentList(u.columns)})` })),
    ...t.checkConstraints.map((c) => ({ name: c.name, sql: `CHECK (${c.expression})` })),
  ];
}

/** `CREATE TABLE <relation> (columns…, CONSTRAINT … )` */
export function createTableSql(relation: string, t: TableSpec, suffix = ""): string {
  const parts = [...t.columns.map(columnDefinition), ...constraintsOf(t).map((k) => `CONSTRAINT ${quoteIdent(k.name)} ${k.sql}`)];
  return `CREATE TABLE ${relation} (\n  ${parts.join(",\n  ")}\n)${suffix}`;
}

function commentStep(relation: string, t: TableSpec): Step {
  return step(`COMMENT ON TABLE ${relation} IS ${t.comment === undefined ? "NULL" : quoteLiteral(t.comment)}`);
}

/**
 * Moves the identity sequences of `relation` (a quoted qualified name; only
 * `column`'s when given) past the values already stored, so that the next
 * generated value is free: needed after rows were copied in, or after an
 * existing column became an identity (its sequence starts at 1).
 */
export function syncIdentitySequences(relation: string, column?: string): Step {
  return step(
    `SELECT setval(s.seq::regclass, (SELECT COALESCE(max(v), 0) + 1 FROM (SELECT (to_jsonb(t) ->> a.attname)::bigint AS v FROM ${relation} t) m), false)
       FROM pg_attribute a, LATERAL (SELECT pg_get_serial_sequence(${quoteLiteral(relation)}, a.attname) AS seq) s
      WHERE a.attrelid = ${quoteLiteral(relation)}::regclass AND a.attidentity <> '' AND s.seq IS NOT NULL` +
      (column === undefined ? "" : ` AND a.attname = ${quoteLiteral(column)}`),
  );
}

const dimensions = (type: string) => /^(vector|halfvec|sparsevec)\((\d+)\)$/.exec(type);

/** The steps that change one existing column in place; throws when one cannot work with the live data. */
function alterColumn(relation: string, table: string, from: ColumnSpec, to: ColumnSpec, facts: TableFacts): Step[] {
  const rows = facts.rows;
  const alter = (clause: string, hazards: Hazard[] = []) => step(`ALTER TABLE ${relation} ALTER COLUMN ${quoteIdent(to.name)} ${clause}`, hazards);
  const steps: Step[] = [];
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
    steps.push(alter(`TYPE ${to.type} USING ${quoteIdent(to.name)}::${to.type}`, hazards));
  }
  if (to.default !== undefined && from.default !== to.default) steps.push(alter(`SET DEFAULT ${to.default}`));
  if (from.nullable !== to.nullable) steps.push(alter(to.nullable ? "DROP NOT NULL" : "SET NOT NULL"));
  if (to.identity && from.identity && from.identity !== to.identity) steps.push(alter(`SET GENERATED ${to.identity.toUpperCase()}`));
  if (to.identity && !from.identity) steps.push(alter(`ADD GENERATED ${to.identity.toUpperCase()} AS IDENTITY`), syncIdentitySequences(relation, to.name));
  return steps;
}

/**
 * Steps from `live` to `desired`, in an order PostgreSQL accepts: drop changed
 * or removed constraints, drop columns, add columns, alter columns, add
 * constraints, comment, row security. Dropping a column of a non-empty table is a
 * `data-loss` hazard; a rewriting type change, or adding an identity column or
 * one with a volatile default, to one is `table-rewrite`.
 * Throws (before any SQL) when a step cannot work: a NOT NULL column without
 * default added to a table with rows, a vector dimension change with rows,
 * NOT NULL on a column holding NULLs, a type change of a hypertable's
 * partitioning column, a key on a hypertable without its partitioning columns.
 */
export function planTable(live: TableSpec | undefined, desired: TableSpec, facts: TableFacts | undefined): Step[] {
  const relation = qualifiedName(desired.schema, desired.name);
  const table = `${desired.schema}.${desired.name}`;
  if (!live) {
    return [
      step(createTableSql(relation, desired)),
      ...(desired.comment === undefined ? [] : [commentStep(relation, desired)]),
      ...rowSecuritySteps(relation, table, undefined, desired.rowLevelSecurity, []),
    ];
  }

  const f = facts ?? { rows: 0, volatileDefaults: [], nullsIn: [], partitioning: [], rowSecurityBlockers: [] };
  const rows = f.rows;
  const liveColumns = new Map(live.columns.map((c) => [c.name, c]));
  const wanted = new Set(desired.columns.map((c) => c.name));
  const [liveConstraints, desiredConstraints] = [constraintsOf(live), constraintsOf(desired)];
  const same = (k: Constraint) => desiredConstraints.some((d) => d.name === k.name && d.sql === k.sql);

  const steps: Step[] = liveConstraints.filter((k) => !same(k)).map((k) => step(`ALTER TABLE ${relation} DROP CONSTRAINT ${quoteIdent(k.name)}`));
  for (const c of live.columns.filter((c) => !wanted.has(c.name))) {
    const hazards: Hazard[] = rows > 0 ? [{ kind: "data-loss", message: `dropping column "${c.name}" of ${table} discards its values in ${describeRows(rows, ROW_COUNT_CAP)}` }] : [];
    steps.push(step(`ALTER TABLE ${relation} DROP COLUMN ${quoteIdent(c.name)}`, hazards));
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
      steps.push(step(`ALTER TABLE ${relation} ADD COLUMN ${columnDefinition(c)}`, hazards));
    } else if (!sameValue(current, c)) {
      steps.push(...alterColumn(relation, table, current, c, f));
    }
  }
  const liveNames = new Set(liveConstraints.filter(same).map((k) => k.name));
  const addedKeys = [...(desired.primaryKey ? [desired.primaryKey] : []), ...desired.uniqueConstraints].filter((k) => !liveNames.has(k.name!));
  const keyProblems = partitioningKeyProblems(table, f.partitioning, addedKeys.map((k) => ({ name: k.name!, columns: k.columns })));
  if (keyProblems.length > 0) throw new Error(`Table ${table}: ${keyProblems.join("\n")}`);
  steps.push(...desiredConstraints.filter((k) => !liveNames.has(k.name)).map((k) => step(`ALTER TABLE ${relation} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.sql}`)));
  if (live.comment !== desired.comment) steps.push(commentStep(relation, desired));
  steps.push(...rowSecuritySteps(relation, table, live.rowLevelSecurity, desired.rowLevelSecurity, f.rowSecurityBlockers));
  return steps;
}

/** `DROP TABLE`; a `data-loss` hazard when the table holds rows. */
export function dropTable(live: TableSpec, facts: TableFacts | undefined): Step[] {
  const rows = facts?.rows ?? 0;
  const hazards: Hazard[] = rows > 0 ? [{ kind: "data-loss", message: `dropping table ${live.schema}.${live.name} discards its ${describeRows(rows, ROW_COUNT_CAP)}` }] : [];
  return [step(`DROP TABLE ${qualifiedName(live.schema, live.name)}`, hazards)];
}
