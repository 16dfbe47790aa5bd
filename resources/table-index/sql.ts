import { createHash } from "node:crypto";
import { MAX_IDENTIFIER_BYTES } from "../core/spec";
import { qualifiedName, quoteIdent, quoteIdentList, quoteLiteral } from "../core/quote";
import type { IndexSpec } from "./spec";

/**
 * `base` when it fits in an identifier, otherwise its head plus a hash of the
 * whole (deterministic, so a plan names the same objects every time).
 */
export function boundedName(base: string): string {
  if (Buffer.byteLength(base) <= MAX_IDENTIFIER_BYTES) return base;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 8);
  return `${Buffer.from(base).subarray(0, MAX_IDENTIFIER_BYTES - 9).toString().replace(/\uFFFD+$/, "")}_${hash}`;
}

/** The name a rebuild builds the new index under before it takes the old one's name. */
export const temporaryName = (name: string) => boundedName(`${name}_pgstrata_new`);

/** The name of the index built on one partition for a partitioned index `index`. */
export const partitionIndexName = (index: string, partition: string) => boundedName(`${index}_${partition}`);

/** `key` as it appears in the key list: column or `(expression)`, operator class, ordering. */
function keySql(k: IndexSpec["keys"][number]): string {
  return [
    k.column !== undefined ? quoteIdent(k.column) : `(${k.expression})`,
    k.opclass ? quoteIdent(k.opclass) : "",
    k.order === "desc" ? "DESC" : "",
    k.nulls ? `NULLS ${k.nulls.toUpperCase()}` : "",
  ].filter(Boolean).join(" ");
}

/** `name = value` of a storage parameter: numbers bare, other values as literals. */
export function parameterSql(name: string, value: string): string {
  return `${quoteIdent(name)} = ${/^\d+$/.test(value) ? value : quoteLiteral(value)}`;
}

/** `WITH (…)` list: every parameter of the spec plus `extra` (e.g. `timescaledb.transaction_per_chunk`). */
function withSql(parameters: Record<string, string>, extra: string[]): string {
  const items = [...Object.entries(parameters).map(([k, v]) => parameterSql(k, v)), ...extra];
  return items.length > 0 ? ` WITH (${items.join(", ")})` : "";
}

/**
 * `CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON [ONLY] table USING method
 * (keys) [INCLUDE (…)] [NULLS NOT DISTINCT] [WITH (…)] [TABLESPACE …] [WHERE …]`.
 * `on` overrides the table (a partition), `name` the index name.
 */
export function createIndexSql(
  x: IndexSpec,
  options: { name?: string; on?: { schema: string; name: string }; concurrently?: boolean; only?: boolean; perChunk?: boolean } = {},
): string {
  const on = options.on ?? { schema: x.schema, name: x.table };
  const table = on.schema === "pg_temp" ? `pg_temp.${quoteIdent(on.name)}` : qualifiedName(on.schema, on.name);
  return [
    `CREATE ${x.unique ? "UNIQUE " : ""}INDEX ${options.concurrently ? "CONCURRENTLY " : ""}${quoteIdent(options.name ?? x.name)}`,
    ` ON ${options.only ? "ONLY " : ""}${table} USING ${x.method} (${x.keys.map(keySql).join(", ")})`,
    x.include.length > 0 ? ` INCLUDE (${quoteIdentList(x.include)})` : "",
    x.nullsNotDistinct ? " NULLS NOT DISTINCT" : "",
    withSql(x.with, options.perChunk ? ["timescaledb.transaction_per_chunk"] : []),
    x.tablespace ? ` TABLESPACE ${quoteIdent(x.tablespace)}` : "",
    x.where !== undefined ? ` WHERE (${x.where})` : "",
  ].join("");
}
