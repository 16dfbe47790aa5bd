import type { PoolClient } from "pg";
import { SchemaSpec } from "./spec";

/** Live state of the schema named by `desired`, in one round trip; `cascade` is echoed, `owner` read only when managed. */
export async function observeSchema(client: PoolClient, desired: SchemaSpec): Promise<SchemaSpec | undefined> {
  const { rows } = await client.query<{ owner: string; comment: string | null }>(
    `SELECT pg_get_userbyid(n.nspowner) AS owner, obj_description(n.oid, 'pg_namespace') AS comment
       FROM pg_namespace n WHERE n.nspname = $1`,
    [desired.name],
  );
  if (rows.length === 0) return undefined;
  return {
    name: desired.name,
    owner: desired.owner === undefined ? undefined : rows[0].owner,
    comment: rows[0].comment ?? undefined,
    cascade: desired.cascade,
  };
}

/** What the schema holds: up to five object descriptions and the total count. */
export interface SchemaContents {
  total: number;
  examples: string[];
}

/**
 * Objects that live in the schema (tables, views, functions, types, …), not
 * counting those owned by another object (a table's row type, an identity
 * sequence), which go with their owner.
 */
export async function schemaContents(client: PoolClient, desired: SchemaSpec): Promise<SchemaContents> {
  const { rows } = await client.query<{ total: string; object: string }>(
    `SELECT count(*) OVER () AS total, pg_describe_object(d.classid, d.objid, 0) AS object
       FROM pg_depend d
      WHERE d.refclassid = 'pg_namespace'::regclass
        AND d.refobjid = (SELECT oid FROM pg_namespace WHERE nspname = $1)
        AND d.deptype = 'n'
        AND NOT EXISTS (SELECT FROM pg_depend o WHERE o.classid = d.classid AND o.objid = d.objid AND o.deptype IN ('i', 'a', 'e'))
      ORDER BY 2 LIMIT 5`,
    [desired.name],
  );
  return { total: rows.length === 0 ? 0 : Number(rows[0].total), examples: rows.map((r) => r.object) };
}
