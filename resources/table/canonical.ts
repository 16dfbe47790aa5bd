import type { PoolClient } from "pg";
import { canonicalFixedPoint, previousCanonical } from "../core/canonical";
import { sameValue } from "../core/compare";
import type { Previous } from "../core/kind";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { stoppedError, unlessStopped } from "../core/stopped";
import { observeRelation } from "./observe";
import { createTableSql, partitionClause } from "./plan";
import { TableSpec } from "./spec";

/**
 * `desired` with its column defaults, CHECK expressions and partition key in the server's
 * canonical text: the table is built as a temporary table inside a
 * transaction that is rolled back, and read back with the same catalog query
 * as the live table, until a fixed point (core/canonical.ts). Costs one
 * transaction per round, usually one or two; none when the table does not
 * exist or `previous` knows every text (see {@link fromPrevious}). Throws, naming the
 * table, when an expression is not valid SQL or references what does not exist.
 */
export async function canonicalizeTable(client: PoolClient, desired: TableSpec, live?: TableSpec, previous?: Previous<TableSpec>): Promise<TableSpec> {
  // Nothing to compare an absent table with: it is created from the declared text.
  if (!live || (desired.columns.every((c) => c.default === undefined) && desired.checkConstraints.length === 0 && !desired.partitionBy)) return desired;
  const known = previous && fromPrevious(desired, previous);
  if (known) return known;
  return canonicalFixedPoint(desired, (current) => buildAndReadBack(client, current));
}

/**
 * `live` with each column default and CHECK expression whose text differs
 * from `desired`'s (canonical) brought to its own fixed point the same way,
 * built over the declared columns: a hand-made `s IN ('a','b')` over varchar
 * prints as the first round's text, the declaration settles on the second's,
 * and both meet here. Usually nothing differs and no SQL runs. An expression
 * that does not build over the declared columns is left as it is; one the
 * server stopped throws (core/stopped.ts).
 */
export async function canonicalizeLiveTable(client: PoolClient, live: TableSpec, desired: TableSpec): Promise<TableSpec> {
  const liveDefault = (name: string) => live.columns.find((c) => c.name === name)?.default;
  const defaults = desired.columns.filter((c) => liveDefault(c.name) !== undefined && liveDefault(c.name) !== c.default).map((c) => c.name);
  const checks = live.checkConstraints.filter((k) => desired.checkConstraints.some((d) => d.name === k.name && d.expression !== k.expression));
  if (defaults.length === 0 && checks.length === 0) return live;
  const scratch: TableSpec = { ...desired, columns: desired.columns.map((c) => ({ ...c, default: defaults.includes(c.name) ? liveDefault(c.name) : undefined })), checkConstraints: checks };
  const canonical = await canonicalFixedPoint(scratch, (current) => buildAndReadBack(client, current)).catch(unlessStopped);
  if (!canonical) return live;
  return {
    ...live,
    columns: live.columns.map((c) => (defaults.includes(c.name) ? { ...c, default: canonical.columns.find((x) => x.name === c.name)?.default } : c)),
    checkConstraints: live.checkConstraints.map((k) => canonical.checkConstraints.find((x) => x.name === k.name) ?? k),
  };
}

async function buildAndReadBack(client: PoolClient, desired: TableSpec): Promise<TableSpec> {
  // Keys and foreign keys hold no expressions; a temporary table cannot reference a permanent one.
  const scratch = { ...desired, primaryKey: undefined, uniqueConstraints: [], foreignKeys: undefined, columns: desired.columns.map((c) => ({ ...c, identity: undefined })) };
  const canonical = await inRolledBackTransaction(client, async () => {
    try {
      await runStatement(client, createTableSql("pg_temp.pgstrata_canonical", scratch, partitionClause(desired.partitionBy)));
    } catch (error) {
      const table = `Table ${desired.schema}.${desired.name}`;
      throw (
        stoppedError(table, "checking the declared columns, CHECK constraints and partition key on a scratch table", error) ??
        new Error(
          `${table}: the declared columns, CHECK constraints and partition key do not build: ${(error as Error).message}. ` +
            `Fix the default, CHECK expression, partition key or type it names (objects outside pg_catalog and public must be schema-qualified; extension types need their extension).`,
        )
      );
    }
    return (await observeRelation(client, "pg_temp.pgstrata_canonical", desired))!;
  });
  return {
    ...desired,
    columns: desired.columns.map((c) => ({ ...c, default: canonical.columns.find((x) => x.name === c.name)?.default })),
    checkConstraints: canonical.checkConstraints,
    partitionBy: canonical.partitionBy,
  };
}

/**
 * `desired` with the canonical text the previous apply observed for each
 * default, CHECK and partition key it declared in the same words, or that is
 * already that text; undefined when some text is new, or when a column's type changed
 * (a default's and a CHECK's canonical text depend on the column types: an
 * IN list over varchar prints with casts).
 */
function fromPrevious(desired: TableSpec, previous: Previous<TableSpec>): TableSpec | undefined {
  const { declared, observed } = previous;
  const byName = <T extends { name: string }>(list: T[] | undefined, name: string) => list?.find((x) => x.name === name);
  if (desired.columns.some((c) => byName(declared.columns, c.name) && byName(declared.columns, c.name)!.type !== c.type)) return undefined;
  const columns = desired.columns.map((c) =>
    c.default === undefined ? c : { ...c, default: previousCanonical(c.default, byName(declared.columns, c.name)?.default, byName(observed.columns, c.name)?.default) },
  );
  const checkConstraints = desired.checkConstraints.map((k) => ({
    ...k,
    expression: previousCanonical(k.expression, byName(declared.checkConstraints, k.name)?.expression, byName(observed.checkConstraints, k.name)?.expression),
  }));
  if (columns.some((c, i) => c.default === undefined && desired.columns[i].default !== undefined) || checkConstraints.some((k) => k.expression === undefined)) return undefined;
  if (desired.partitionBy && !(sameValue(desired.partitionBy, declared.partitionBy) && observed.partitionBy)) return undefined;
  return { ...desired, columns, checkConstraints: checkConstraints as TableSpec["checkConstraints"], partitionBy: desired.partitionBy && observed.partitionBy };
}
