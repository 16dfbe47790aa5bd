import { z } from "zod";
import { identifier, schemaName, sqlExpression } from "../core/spec";
import { containsNode, expressionTree } from "../core/sql-expression";
import { INDEX_METHODS, IndexMethod, METHOD_TRAITS, PARAMETERS, withDefaults } from "./methods";
import { hnswParameterProblem, isVectorMethod, vectorKeyProblems } from "./vector";

/** A memory size as PostgreSQL reads it (docs §20.1.1): `64MB`, `2GB`, `512kB`. */
const MEMORY = /^\d+\s*(kB|MB|GB|TB)$/;
/** A duration as PostgreSQL reads it: `30min`, `2h`. */
const DURATION = /^\d+\s*(ms|s|min|h|d)$/;

/** An SQL expression that PostgreSQL's parser reads as exactly one expression without a subquery (an index may hold neither). */
function indexExpression(what: string) {
  return sqlExpression().superRefine((text, ctx) => {
    if (containsNode(expressionTree(text), "SubLink")) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(text)} holds a subquery, which PostgreSQL does not allow in ${what} (docs "CREATE INDEX"): use a column, an immutable function of columns, or a separate column kept up to date` });
    }
  });
}

function key() {
  return z
    .strictObject({
      /** The key column. Give `column` or `expression`. */
      column: identifier().optional(),
      /** The key as an SQL expression of the table's columns, e.g. `lower(email)` or `(embedding::halfvec(3072))`; compared by the server's canonical text. */
      expression: indexExpression("index expressions").optional(),
      /** Operator class, e.g. `jsonb_path_ops`, `vector_cosine_ops`; default: the type's default for the method (HNSW and IVFFlat have none: required). */
      opclass: identifier().optional(),
      /** `asc` (default) or `desc` (btree only). */
      order: z.enum(["asc", "desc"]).optional(),
      /** `first` or `last`; default `last` for `asc`, `first` for `desc` (btree only). */
      nulls: z.enum(["first", "last"]).optional(),
    })
    .refine((k) => (k.column === undefined) !== (k.expression === undefined), { error: "give exactly one of column or expression" });
}

/** A storage parameter value as written: `16`, `false`, `"auto"`. */
const parameterValue = z.union([z.number(), z.boolean(), z.string()]);

/**
 * An index on a table, partitioned table or hypertable (docs "CREATE INDEX";
 * pgvector README for `hnsw` and `ivfflat`). Checked at `check`: the access
 * method supports what is asked (UNIQUE, several keys, INCLUDE, ordering),
 * storage parameters are known and in range (pgvector: m 2–100,
 * ef_construction 4–1000 and ≥ 2·m, lists 1–32768), the predicate and key
 * expressions are single expressions without subqueries; and, when the table
 * is declared in the program (`declaredTable`), that key and INCLUDE columns
 * exist and that HNSW/IVFFlat keys have an operator class matching the
 * column type and at most 2,000 (`vector`) / 4,000 (`halfvec`) dimensions.
 */
export function indexSpec() {
  return z
    .strictObject({
      /** Schema of the table; the index lives there too. Changing it replaces the index. */
      schema: schemaName(),
      /** The indexed table. Changing it replaces the index. */
      table: identifier(),
      /** Index name (unique within the schema). Changing it replaces the index (the new one is built before the old one is dropped). */
      name: identifier(),
      /** Access method. Default `btree`. */
      method: z.enum(INDEX_METHODS).default("btree"),
      /** Key columns or expressions, in order. */
      keys: z.array(key()).min(1, "list at least one key, e.g. [{ column: 'id' }]"),
      /** `CREATE UNIQUE INDEX` (btree only). Default false. */
      unique: z.boolean().default(false),
      /** `NULLS NOT DISTINCT` (PostgreSQL 15+): a unique index treats NULLs as equal. Default false. */
      nullsNotDistinct: z.boolean().default(false),
      /** Covering (non-key) columns: `INCLUDE (…)` (btree, gist, spgist). */
      include: z.array(identifier()).default([]),
      /** Partial index predicate (`WHERE …`), a boolean SQL expression of the table's columns without subqueries. */
      where: indexExpression("an index predicate").optional(),
      /** Storage parameters (`WITH (…)`): `fillfactor`, `fastupdate`, `pages_per_range`, HNSW `m` and `ef_construction`, IVFFlat `lists`… Unset ones take the method's defaults (HNSW m 16, ef_construction 64; IVFFlat lists 100). */
      with: z.record(z.string(), parameterValue).default({}),
      /** Tablespace of the index; unset: the database's default. A change rebuilds the index. */
      tablespace: identifier().optional(),
      /** `COMMENT ON INDEX`. Unset or empty: no comment. */
      comment: z.string().optional().transform((c) => (c === "" ? undefined : c)),
      /**
       * Settings of the session that builds the index, for that session only:
       * `maintenanceWorkMem` (`maintenance_work_mem`, e.g. `'2GB'`; an HNSW
       * build is much slower once its graph outgrows it), `parallelWorkers`
       * (`max_parallel_maintenance_workers`, 0–1024; also bounded by the
       * server's `max_parallel_workers`), `statementTimeout` (e.g. `'4h'`;
       * default the connection's). Not compared with the database.
       */
      build: z
        .strictObject({
          maintenanceWorkMem: z.string().regex(MEMORY, "write a memory size such as '512MB' or '2GB'").optional(),
          parallelWorkers: z.number().int().min(0).max(1024).optional(),
          statementTimeout: z.string().regex(DURATION, "write a duration such as '30min' or '4h'").optional(),
        })
        .optional(),
      /** The table's declared columns (name and type in the server's spelling), filled in by {@link Index} from a {@link Table} of the same program. */
      declaredTable: z.strictObject({ columns: z.array(z.strictObject({ name: identifier(), type: z.string() })) }).optional(),
    })
    .superRefine((x, ctx) => {
      for (const p of indexProblems(x, x.declaredTable?.columns)) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
    })
    .transform((x) => ({
      ...x,
      keys: x.keys.map(canonicalKey),
      with: withDefaults(x.method, Object.fromEntries(Object.entries(x.with).map(([k, v]) => [k, String(v)]))),
    }));
}

/** A key with the server's defaults left out: `asc`, and `nulls` where it is the default for the order. */
function canonicalKey(k: z.output<ReturnType<typeof key>>) {
  const desc = k.order === "desc";
  const nulls = k.nulls === undefined || k.nulls === (desc ? "first" : "last") ? undefined : k.nulls;
  return { column: k.column, expression: k.expression, opclass: k.opclass, order: desc ? ("desc" as const) : undefined, nulls };
}

type IndexShape = {
  schema: string;
  table: string;
  method: IndexMethod;
  keys: { column?: string; expression?: string; opclass?: string; order?: string; nulls?: string }[];
  unique: boolean;
  nullsNotDistinct: boolean;
  include: string[];
  with: Record<string, unknown>;
};

/**
 * Every problem of an index declaration, with the path of the property at
 * fault: what the method supports, storage parameters, and — when `columns`
 * (the table's columns, name and type) are known — missing columns and the
 * pgvector rules. Used at `check` with the declared table, and before any SQL
 * with the live one.
 */
export function indexProblems(x: IndexShape, columns: { name: string; type: string }[] | undefined): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const traits = METHOD_TRAITS[x.method];
  const table = `${x.schema}.${x.table}`;
  if (x.unique && !traits.unique) problems.push({ path: ["unique"], message: `${x.method} indexes cannot be UNIQUE (only btree can): use method btree or drop unique` });
  if (x.nullsNotDistinct && !x.unique) problems.push({ path: ["nullsNotDistinct"], message: "nullsNotDistinct applies to a unique index only: set unique: true or drop it" });
  if (x.keys.length > 1 && !traits.multiColumn) problems.push({ path: ["keys"], message: `${x.method} indexes take one key, not ${x.keys.length}: declare one index per key` });
  if (x.include.length > 0 && !traits.include) problems.push({ path: ["include"], message: `${x.method} indexes have no INCLUDE columns (btree, gist and spgist do): drop include` });
  x.keys.forEach((k, i) => {
    if (!traits.ordered && (k.order !== undefined || k.nulls !== undefined)) problems.push({ path: ["keys", i, "order"], message: `${x.method} indexes are not ordered: drop order and nulls (btree only)` });
  });
  for (const [name, value] of Object.entries(x.with)) {
    const problem = parameterProblem(x.method, name, value);
    if (problem) problems.push({ path: ["with", name], message: problem });
  }
  if (x.method === "hnsw") {
    const problem = hnswParameterProblem(Object.fromEntries(Object.entries(x.with).map(([k, v]) => [k, String(v)])));
    if (problem) problems.push({ path: ["with", "ef_construction"], message: problem });
  }
  const typeOf = (column: string) => columns?.find((c) => c.name === column)?.type;
  if (columns) {
    const names = columns.map((c) => c.name).join(", ");
    x.keys.forEach((k, i) => {
      if (k.column !== undefined && typeOf(k.column) === undefined) problems.push({ path: ["keys", i, "column"], message: `table ${table} has no column "${k.column}": name one of ${names}` });
    });
    x.include.forEach((c, i) => {
      if (typeOf(c) === undefined) problems.push({ path: ["include", i], message: `table ${table} has no column "${c}": name one of ${names}` });
    });
  }
  const method = x.method;
  if (isVectorMethod(method)) {
    x.keys.forEach((k, i) => {
      const type = k.column === undefined ? undefined : typeOf(k.column);
      if (k.column !== undefined && columns && type === undefined) return;
      for (const p of vectorKeyProblems(method, k, type)) problems.push({ path: ["keys", i, p.property], message: p.message });
    });
  }
  return problems;
}

function parameterProblem(method: IndexMethod, name: string, value: unknown): string | undefined {
  const p = PARAMETERS[name];
  const known = Object.keys(PARAMETERS).filter((k) => PARAMETERS[k].methods.includes(method));
  if (!p || !p.methods.includes(method)) return `${method} indexes have no storage parameter "${name}": use ${known.length > 0 ? known.join(", ") : "none"}`;
  const text = String(value);
  if (p.type === "integer") {
    const n = Number(text);
    return Number.isInteger(n) && n >= p.min && n <= p.max ? undefined : `${name} must be an integer from ${p.min} to ${p.max}, not ${JSON.stringify(value)}`;
  }
  if (p.type === "boolean") return ["true", "false", "on", "off"].includes(text) ? undefined : `${name} is a boolean (true or false), not ${JSON.stringify(value)}`;
  return p.values.includes(text) ? undefined : `${name} is one of ${p.values.join(", ")}, not ${JSON.stringify(value)}`;
}

export type IndexSpec = z.output<ReturnType<typeof indexSpec>>;
export type IndexInput = z.input<ReturnType<typeof indexSpec>>;
/** The live state adds what only the database can say: an index left INVALID by an interrupted build. */
export type IndexState = IndexSpec & { invalid?: true };
