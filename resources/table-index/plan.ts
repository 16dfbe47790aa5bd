import { sameValue } from "../core/compare";
import { qualifiedName, quoteIdent, quoteLiteral } from "../core/quote";
import { Hazard, ownTransaction, Step, step } from "../core/step";
import { PARAMETERS } from "./methods";
import { IndexedTable, IndexFacts } from "./observe";
import { createIndexSql, parameterSql, partitionIndexName, temporaryName } from "./sql";
import { IndexSpec, IndexState } from "./spec";

/** The table as a plan from nothing sees it: created earlier in the same plan, so empty and plain. */
const NEW_TABLE: IndexedTable = { relkind: "r", hypertable: false, hasRows: false, columns: [], partitions: [] };

const label = (x: IndexSpec) => `Index ${x.schema}.${x.name}`;

/** Properties whose change is a new index (Pulumi replace): another table, or another name (the new index is built before the old is dropped). */
export function indexReplaces(old: IndexSpec, next: IndexSpec): (keyof IndexSpec)[] {
  return (["schema", "table", "name"] as const).filter((k) => old[k] !== next[k]);
}

/** Whether `live` must be built anew to become `desired`: it is INVALID, or a property that shapes the built index differs. */
function needsRebuild(live: IndexState, desired: IndexSpec): boolean {
  return (
    live.invalid === true ||
    (["method", "keys", "unique", "nullsNotDistinct", "include", "where", "tablespace"] as const).some((k) => !sameValue(live[k], desired[k])) ||
    Object.keys({ ...live.with, ...desired.with }).some((k) => PARAMETERS[k]?.rebuilds && live.with[k] !== desired.with[k])
  );
}

/**
 * The notice of an IVFFlat index built on an empty table (core/step.ts
 * `notice`). IVFFlat takes its lists' centroids from the rows present at
 * build time (k-means over a sample; pgvector README "IVFFlat": "create the
 * index after the table has some data"); built on no rows they come from no
 * data, and pgvector itself only raises the NOTICE "ivfflat index created
 * with little data". Measured (bench/vector-recall.ts, 20,000 × vector(64),
 * lists 20, probes 1): recall@10 23.1 % built before loading vs 62.5 % after
 * (overlapping clusters), 70.5 % vs 100 % (separated clusters).
 */
function emptyIvfflatNotice(x: IndexSpec, name: string): string {
  return (
    `IVFFlat index ${x.schema}.${name} is built on an empty table: its ${x.with.lists} lists' centroids come from no data, so recall will be poor ` +
    `(pgvector: "ivfflat index created with little data"). Build it after loading the data (declare the index once the table holds rows, or change with.lists to rebuild it then), ` +
    `or use method "hnsw", whose graph grows with the rows.`
  );
}

/** `s` with the session settings of `x.build` (core/step.ts `settings`). */
function withBuildSettings(s: Step, x: IndexSpec): Step {
  const b = x.build ?? {};
  const settings = Object.fromEntries(
    [
      ["maintenance_work_mem", b.maintenanceWorkMem],
      ["max_parallel_maintenance_workers", b.parallelWorkers === undefined ? undefined : String(b.parallelWorkers)],
      ["statement_timeout", b.statementTimeout],
    ].filter((e): e is [string, string] => e[1] !== undefined),
  );
  return Object.keys(settings).length > 0 ? { ...s, settings } : s;
}

/**
 * The steps that build `x` under `name` without blocking writes for longer
 * than a catalog change (PostgreSQL docs "CREATE INDEX", Building Indexes
 * Concurrently; TimescaleDB "CREATE INDEX (transaction per chunk)"):
 * - an empty table: plain `CREATE INDEX` (nothing to scan; in the plan's
 *   transaction); an IVFFlat index so built carries a notice (recall);
 * - a table with rows: `CREATE INDEX CONCURRENTLY`, outside a transaction;
 *   should it fail, the INVALID index it leaves is dropped again;
 * - a hypertable with rows: `WITH (timescaledb.transaction_per_chunk)`, one
 *   chunk per transaction (it refuses CONCURRENTLY); a UNIQUE index cannot be
 *   built so and blocks writes while it scans: a `blocking-lock` hazard;
 * - a partitioned table with rows: `CREATE INDEX … ON ONLY` the parent (and
 *   each partitioned partition), `CONCURRENTLY` on each leaf partition, then
 *   `ALTER INDEX … ATTACH PARTITION` (PostgreSQL refuses CONCURRENTLY on a
 *   partitioned table); the parent index turns valid once every partition's
 *   is attached. A failure drops what was built (the parent's index with
 *   whatever is attached to it, and the partition's own).
 */
function buildSteps(x: IndexSpec, name: string, t: IndexedTable): Step[] {
  const index = qualifiedName(x.schema, name);
  if (!t.hasRows) {
    const built = withBuildSettings(step(createIndexSql(x, { name })), x);
    return [x.method === "ivfflat" ? { ...built, notice: emptyIvfflatNotice(x, name) } : built];
  }
  if (t.hypertable) {
    const hazards: Hazard[] = x.unique
      ? [{ kind: "blocking-lock", message: `building UNIQUE index ${x.schema}.${name} on hypertable ${x.schema}.${x.table} holds a SHARE lock on each chunk while it is scanned, which blocks writes (TimescaleDB builds UNIQUE indexes neither concurrently nor per chunk)` }]
      : [];
    return [withBuildSettings(ownTransaction(createIndexSql(x, { name, perChunk: !x.unique }), `DROP INDEX IF EXISTS ${index}`, hazards), x)];
  }
  if (t.relkind === "p") {
    const own = (p: { schema: string; name: string }) => qualifiedName(p.schema, partitionIndexName(name, p.name));
    const parentIndex = (p: { schema: string; name: string }) => (p.schema === x.schema && p.name === x.table ? index : own(p));
    const steps = t.partitions.flatMap((p) => {
      const on = { schema: p.schema, name: p.name };
      const build = p.partitioned
        ? ownTransaction(createIndexSql(x, { name: partitionIndexName(name, p.name), on, only: true }), `DROP INDEX IF EXISTS ${own(p)}`)
        : withBuildSettings(ownTransaction(createIndexSql(x, { name: partitionIndexName(name, p.name), on, concurrently: true }), `DROP INDEX CONCURRENTLY IF EXISTS ${own(p)}`), x);
      return [build, ownTransaction(`ALTER INDEX ${parentIndex(p.parent)} ATTACH PARTITION ${own(p)}`)];
    });
    // The parent's index goes last among the undo statements (they run for the failed step and every later one).
    const parent = ownTransaction(createIndexSql(x, { name, only: true }), `DROP INDEX IF EXISTS ${index}`);
    if (steps.length === 0) return [parent];
    const last = steps.pop()!;
    return [parent, ...steps, { ...last, abandon: `DROP INDEX IF EXISTS ${index}` }];
  }
  return [withBuildSettings(ownTransaction(createIndexSql(x, { name, concurrently: true }), `DROP INDEX CONCURRENTLY IF EXISTS ${index}`), x)];
}

/**
 * `DROP INDEX`: concurrently on a plain table with rows. A partitioned index
 * (PostgreSQL) and a hypertable's (TimescaleDB 2.2x: "DROP INDEX CONCURRENTLY
 * does not support dropping multiple objects", its chunks' indexes) refuse
 * CONCURRENTLY: there the drop is a catalog change under a brief ACCESS
 * EXCLUSIVE lock, bounded by `lock_timeout`.
 */
function dropSteps(x: { schema: string; name: string }, t: IndexedTable | undefined): Step[] {
  const index = qualifiedName(x.schema, x.name);
  if (t && t.hasRows && t.relkind !== "p" && !t.hypertable) return [ownTransaction(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`)];
  return [step(`DROP INDEX IF EXISTS ${index}`)];
}

const commentStep = (x: IndexSpec) => step(`COMMENT ON INDEX ${qualifiedName(x.schema, x.name)} IS ${x.comment === undefined ? "NULL" : quoteLiteral(x.comment)}`);

/**
 * Steps from `live` (undefined: absent) to `desired`. A new index is built as
 * {@link buildSteps} says. A change of what shapes the index (keys, method,
 * operator class, predicate, INCLUDE, uniqueness, tablespace, HNSW `m` /
 * `ef_construction`, IVFFlat `lists`, BRIN `pages_per_range`) or an INVALID
 * live index builds the new index under a temporary name, drops the old one
 * (concurrently where the table holds rows) and renames the new one, so
 * queries always have an index. Other storage parameters change in place
 * (`ALTER INDEX … SET/RESET`), as does the comment. Throws before any SQL
 * when the table is missing, or when the name belongs to an index on another
 * table.
 */
export function planIndex(live: IndexState | undefined, desired: IndexSpec, facts: IndexFacts | undefined): Step[] {
  // No facts: a plan from nothing, where the table is created earlier in the same plan (empty).
  const t = facts ? facts.table : NEW_TABLE;
  if (!t) throw new Error(`${label(desired)}: table ${desired.schema}.${desired.table} does not exist: declare it with a Table resource and pass that resource as \`table\`.`);
  const comment = desired.comment === undefined ? [] : [commentStep(desired)];
  if (!live) return [...buildSteps(desired, desired.name, t), ...comment];
  if (live.table !== desired.table) {
    throw new Error(`${label(desired)}: an index of that name already exists on table ${desired.schema}.${live.table}, not ${desired.table}: choose another name, or drop that index.`);
  }
  const index = qualifiedName(desired.schema, desired.name);
  if (needsRebuild(live, desired)) {
    const temporary = temporaryName(desired.name);
    const renames = t.relkind === "p" ? t.partitions.map((p) => step(`ALTER INDEX ${qualifiedName(p.schema, partitionIndexName(temporary, p.name))} RENAME TO ${quoteIdent(partitionIndexName(desired.name, p.name))}`)) : [];
    return [
      ...(facts?.leftover ? dropSteps({ schema: desired.schema, name: temporary }, t) : []),
      ...buildSteps(desired, temporary, t),
      ...dropSteps(desired, t),
      step(`ALTER INDEX ${qualifiedName(desired.schema, temporary)} RENAME TO ${quoteIdent(desired.name)}`),
      ...renames,
      ...comment,
    ];
  }
  const steps: Step[] = [];
  const changed = Object.keys({ ...live.with, ...desired.with }).filter((k) => live.with[k] !== desired.with[k]);
  const set = changed.filter((k) => desired.with[k] !== undefined);
  const reset = changed.filter((k) => desired.with[k] === undefined);
  if (set.length > 0) steps.push(step(`ALTER INDEX ${index} SET (${set.map((k) => parameterSql(k, desired.with[k])).join(", ")})`));
  if (reset.length > 0) steps.push(step(`ALTER INDEX ${index} RESET (${reset.map(quoteIdent).join(", ")})`));
  if (live.comment !== desired.comment) steps.push(commentStep(desired));
  return steps;
}

/** Dropping an index loses no data: `DROP INDEX CONCURRENTLY` where the table holds rows. */
export function dropIndex(live: IndexState, facts: IndexFacts | undefined): Step[] {
  return dropSteps(live, facts?.table);
}
