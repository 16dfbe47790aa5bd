import type { PoolClient } from "pg";
import { prepared } from "../core/prepared";
import { cappedRowCount } from "../core/row-count";
import { ROW_COUNT_CAP } from "../core/step";
import { SchemaSpec } from "./spec";

/** Live state of the schema named by `desired`, in one round trip; `cascade` is echoed, `owner` read only when managed. */
export async function observeSchema(client: PoolClient, desired: SchemaSpec): Promise<SchemaSpec | undefined> {
  const { rows } = await client.query<{ owner: string; comment: string | null }>(
    prepared(
      `SELECT pg_get_userbyid(n.nspowner) AS owner, obj_description(n.oid, 'pg_namespace') AS comment
         FROM pg_namespace n WHERE n.nspname = $1`,
      [desired.name],
    ),
  );
  if (rows.length === 0) return undefined;
  return {
    name: desired.name,
    owner: desired.owner === undefined ? undefined : rows[0].owner,
    comment: rows[0].comment ?? undefined,
    cascade: desired.cascade,
  };
}

/** What the schema holds: up to five object descriptions, the total count, and the rows at stake. */
export interface SchemaContents {
  total: number;
  examples: string[];
  /** Tables (and materialized views) of the schema holding rows, with their row counts, exact up to {@link ROW_COUNT_CAP}. */
  rows: { table: string; rows: number }[];
}

/**
 * Objects that live in the schema (tables, views, functions, types, …), not
 * counting those owned by another object (a table's row type, an identity
 * sequence, a partition), which go with their owner; and the rows of its
 * tables (a partitioned table's include its partitions'), counted by the
 * server in the same statement, each count capped.
 */
export async function schemaContents(client: PoolClient, desired: SchemaSpec): Promise<SchemaContents> {
  const { rows } = await client.query<{ total: number; examples: string[] | null; rows: SchemaContents["rows"] | null }>(
    `WITH objects AS (
       SELECT pg_describe_object(d.classid, d.objid, 0) AS object
         FROM pg_depend d
        WHERE d.refclassid = 'pg_namespace'::regclass
          AND d.refobjid = (SELECT oid FROM pg_namespace WHERE nspname = $1)
          AND d.deptype = 'n'
          AND NOT EXISTS (SELECT FROM pg_depend o WHERE o.classid = d.classid AND o.objid = d.objid AND o.deptype IN ('i', 'a', 'e')
                                                    AND NOT (o.refclassid = d.classid AND o.refobjid = d.objid)))
     SELECT (SELECT count(*)::int FROM objects) AS total,
            ARRAY(SELECT object FROM objects ORDER BY 1 LIMIT 5) AS examples,
            (SELECT json_agg(json_build_object('table', t.name, 'rows', t.rows) ORDER BY t.name) FROM (
               SELECT n.nspname || '.' || c.relname AS name,
                      ${cappedRowCount("c.oid::regclass")} AS rows
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND (c.relkind <> 'm' OR c.relispopulated)) t
              WHERE t.rows > 0) AS rows`,
    [desired.name],
  );
  return { total: rows[0].total, examples: rows[0].examples ?? [], rows: rows[0].rows ?? [] };
}
