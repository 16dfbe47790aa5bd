import type { PoolClient } from "pg";
import { unchangedSince } from "../core/canonical";
import type { Previous } from "../core/kind";
import { prepared } from "../core/prepared";
import { ROW_COUNT_CAP } from "../core/step";
import { qualifiedName } from "../core/quote";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { stoppedError } from "../core/stopped";
import { boundSql, parseBound } from "./bound";
import { PartitionSpec } from "./spec";

const label = (p: { schema: string; name: string }) => `Partition ${p.schema}.${p.name}`;
const parentOf = (p: PartitionSpec) => qualifiedName(p.schema, p.parent);

/**
 * Live state of the partition, in one round trip: its bound as the server
 * prints it and whether a concurrent detach of it is pending. Undefined when
 * no relation of that name is attached to the parent (it may exist as a
 * plain table: planning then attaches it). Throws when it is a partition of
 * another table.
 */
export async function observePartition(client: PoolClient, desired: PartitionSpec): Promise<PartitionSpec | undefined> {
  const { rows } = await client.query<{ ofParent: boolean | null; bound: string | null; pending: boolean | null }>(
    prepared(
      `SELECT i.inhparent = to_regclass($2) AS "ofParent", pg_get_expr(c.relpartbound, c.oid) AS bound, i.inhdetachpending AS pending
         FROM pg_class c LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
        WHERE c.oid = to_regclass($1)`,
      [qualifiedName(desired.schema, desired.name), parentOf(desired)],
    ),
  );
  const r = rows[0];
  if (!r || r.bound === null) return undefined;
  if (!r.ofParent) {
    throw new Error(`${label(desired)}: ${desired.schema}.${desired.name} is a partition of another table, not of ${desired.schema}.${desired.parent}: detach it there first, or declare another name`);
  }
  return { ...desired, bound: parseBound(r.bound), detachPending: r.pending ?? false };
}

/**
 * Builds the declared bound on a scratch copy of the parent (a temporary
 * table `LIKE` it, partitioned by its `pg_get_partkeydef`) inside a
 * transaction that is rolled back, and reads back the server's bound text and
 * the partition constraint it implies (`pg_get_partition_constraintdef`).
 * Throws, naming the partition and the fix, when the parent is missing or not
 * partitioned, or the bound does not fit its key; saying to run again when
 * the server stopped the check (core/stopped.ts).
 */
async function scratchBound(client: PoolClient, desired: PartitionSpec): Promise<{ bound: string; constraint: string | null }> {
  const stopped = (error: unknown) => stoppedError(label(desired), `checking the bound on a scratch copy of ${desired.schema}.${desired.parent}`, error);
  return inRolledBackTransaction(client, async () => {
    // pg_get_partkeydef waits for a lock on the parent too.
    const { rows } = await client.query<{ key: string | null }>("SELECT pg_get_partkeydef(to_regclass($1)) AS key", [parentOf(desired)]).catch((error) => {
      throw stopped(error) ?? error;
    });
    if (!rows[0]?.key) {
      throw new Error(
        `${label(desired)}: parent: ${desired.schema}.${desired.parent} is not a partitioned table${rows[0] ? "" : " (it does not exist)"}: declare it with a Table whose partitionBy is set and pass that Table as \`parent\`.`,
      );
    }
    try {
      await runStatement(client, `CREATE TEMP TABLE pgstrata_parent (LIKE ${parentOf(desired)}) PARTITION BY ${rows[0].key}`);
      await runStatement(client, `CREATE TEMP TABLE pgstrata_bound PARTITION OF pgstrata_parent ${boundSql(desired.bound)}`);
    } catch (error) {
      throw stopped(error) ?? new Error(`${label(desired)}: bound: ${(error as Error).message}. Give values of the key's type (${rows[0].key}), one per key column.`);
    }
    const read = await client.query<{ bound: string; constraint: string | null }>(
      "SELECT pg_get_expr(relpartbound, oid) AS bound, pg_get_partition_constraintdef(oid) AS constraint FROM pg_class WHERE oid = 'pg_temp.pgstrata_bound'::regclass",
    );
    return read.rows[0];
  });
}

/** `desired` with its bound as the server prints it (see {@link scratchBound}); no round trip when it is unchanged since the previous apply (core/canonical.ts `unchangedSince`). */
export async function canonicalizePartition(client: PoolClient, desired: PartitionSpec, live?: PartitionSpec, previous?: Previous<PartitionSpec>): Promise<PartitionSpec> {
  if (unchangedSince(previous, desired, live, (x) => x.bound)) return { ...desired, bound: live.bound };
  return { ...desired, bound: parseBound((await scratchBound(client, desired)).bound) };
}

/** What planning a partition needs to know, read while planning only. */
export interface PartitionFacts {
  /** The constraint the desired bound implies, as SQL over the parent's columns (`(at IS NOT NULL) AND (at >= …)`); null for a default partition. */
  constraint: string | null;
  /** The parent's columns, in order. */
  columns: string[];
  /** The parent's default partition (quoted qualified name) when it has one other than this partition. */
  defaultPartition: string | null;
  /** A relation of the partition's name exists (attached or not). */
  exists: boolean;
  /** The parent has row security enabled: the partition gets it too, so a non-owner cannot read around the parent's policies by querying it directly. */
  parentRowSecurity: boolean;
  /** Rows in it (capped at {@link ROW_COUNT_CAP}). */
  rows: number;
  /** Rows in it outside the desired bound (capped). */
  outside: number;
  /** Rows in the default partition that belong to the desired bound (capped): attaching moves them. */
  inDefault: number;
}

/** Counts rows of `relation` where `condition` holds, up to the cap, as a scalar subquery. */
const capped = (relation: string, condition = "true") => `(SELECT count(*)::int FROM (SELECT 1 FROM ${relation} WHERE ${condition} LIMIT ${ROW_COUNT_CAP}) s)`;

/**
 * Reads the facts: the desired bound's constraint on a scratch copy (one
 * rolled-back transaction), then in one statement the parent's columns and
 * default partition, and the row counts at stake.
 */
export async function partitionFacts(client: PoolClient, desired: PartitionSpec): Promise<PartitionFacts> {
  const { constraint } = await scratchBound(client, desired);
  const relation = qualifiedName(desired.schema, desired.name);
  const { rows } = await client.query<{ columns: string[]; def: string | null; exists: boolean; rls: boolean }>(
    `SELECT ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = p.partrelid AND attnum > 0 AND NOT attisdropped ORDER BY attnum) AS columns,
            CASE WHEN p.partdefid <> 0 AND p.partdefid IS DISTINCT FROM to_regclass($2) THEN p.partdefid::regclass::text END AS def,
            to_regclass($2) IS NOT NULL AS exists,
            (SELECT relrowsecurity FROM pg_class WHERE oid = p.partrelid) AS rls
       FROM pg_partitioned_table p WHERE p.partrelid = to_regclass($1)`,
    [parentOf(desired), relation],
  );
  const { columns, def, exists, rls } = rows[0];
  // The default partition's name comes from the catalog (regclass text, quoted where needed) and the constraint from the server's deparser.
  const counts = [
    exists ? capped(relation) : "0",
    exists && constraint ? capped(relation, `NOT (${constraint})`) : "0",
    def && constraint ? capped(def, constraint) : "0",
  ];
  const { rows: n } = await client.query<{ rows: number; outside: number; in_default: number }>(`SELECT ${counts[0]} AS rows, ${counts[1]} AS outside, ${counts[2]} AS in_default`);
  return { constraint, columns, defaultPartition: def, exists, parentRowSecurity: rls, rows: n[0].rows, outside: n[0].outside, inDefault: n[0].in_default };
}
