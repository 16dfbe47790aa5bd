import { z } from "zod";
import { qualifiedName, quoteIdent } from "../core/quote";
import { rowSecurityConflict } from "../core/timescaledb";
import { Step, step } from "../core/step";

/**
 * A partition or TimescaleDB chunk of a table with row security that a
 * non-owner can read around the table's policies (PostgreSQL applies a
 * table's policies only to queries that go through it: docs §5.9 "Row
 * Security Policies", §5.12 "Table Partitioning"): some role other than its
 * owner holds a privilege on it, and
 * - for a partition, its own row security is off (a partition gets no
 *   privilege from its parent, but `GRANT … ON ALL TABLES IN SCHEMA`, default
 *   privileges or pg_partman's `inherit_privileges` give it some);
 * - for a chunk, always
 *   (TimescaleDB copies the hypertable's grants to every chunk it creates,
 *   re-applies every later GRANT on the hypertable to all chunks, and refuses
 *   `ALTER TABLE <chunk> ENABLE ROW LEVEL SECURITY`: "operation not supported
 *   on chunk tables").
 */
export interface ExposedChild {
  schema: string;
  name: string;
  /** A TimescaleDB chunk (else a native partition). */
  chunk: boolean;
  /** Roles other than the owner holding privileges on it (`public` for PUBLIC). */
  grantees: string[];
}

/** Row security as declared, and as observed (with the children that escape it). */
export interface RowLevelSecurity {
  enabled: boolean;
  forced: boolean;
  /** Observed only: partitions and chunks readable around the policies; absent when there are none. */
  exposedChildren?: ExposedChild[];
}

/**
 * `Table.rowLevelSecurity`: `{ enabled, forced }` (`ALTER TABLE … ENABLE|DISABLE
 * ROW LEVEL SECURITY`, `FORCE|NO FORCE`), read from `pg_class.relrowsecurity`
 * and `relforcerowsecurity`. Unset: not managed.
 *
 * What users get wrong (docs §5.9 "Row Security Policies"):
 * - `enabled` with no policy denies every row to every role except the owner:
 *   declare at least one `Policy`;
 * - the table's owner bypasses its policies unless `forced: true`;
 * - superusers and roles with BYPASSRLS bypass row security always, forced or not.
 *
 * While enabled, pgstrata also closes the paths around the policies: a
 * partition on which a non-owner holds a privilege gets row security enabled
 * without a policy (a non-owner querying it directly sees no rows; rows
 * routed through the parent are unaffected), and every privilege of a
 * non-owner on a TimescaleDB chunk is revoked (a query through the hypertable
 * needs none). Chunks and partitions created or granted after the last `up`
 * are reported as drift (`exposedChildren`) by refresh and closed by the
 * next `up`.
 */
export function rowLevelSecuritySpec() {
  return z
    .strictObject({
      /** `ENABLE ROW LEVEL SECURITY`: non-owners see only rows a policy allows; with no policy, none. */
      enabled: z.boolean({ error: "required: true or false" }),
      /** `FORCE ROW LEVEL SECURITY`: the owner is subject to the policies too. Default false. */
      forced: z.boolean().default(false),
    })
    .refine((r) => r.enabled || !r.forced, { path: ["forced"], error: "forced: true has no effect while enabled is false: set enabled: true, or remove forced" })
    .transform((r): RowLevelSecurity => r)
    .optional();
}

/** What the catalogs say, as read by the table query ({@link ROW_SECURITY_COLUMNS}). */
export interface RowSecurityRow {
  rls: boolean;
  rls_forced: boolean;
  exposed: ExposedChild[];
}

/**
 * Columns of the table query (alias `c` is the table's pg_class row): its two
 * flags and its exposed children, partitions at every level
 * (`pg_partition_tree`) and chunks (inheritance children that are not partitions).
 */
export const ROW_SECURITY_COLUMNS = `
       c.relrowsecurity AS rls, c.relforcerowsecurity AS rls_forced,
       COALESCE((SELECT json_agg(json_build_object('schema', n.nspname, 'name', k.relname, 'chunk', NOT k.relispartition,
                   'grantees', ARRAY(SELECT DISTINCT CASE WHEN a.grantee = 0 THEN 'public' ELSE pg_get_userbyid(a.grantee)::text END
                                       FROM aclexplode(k.relacl) a WHERE a.grantee <> k.relowner ORDER BY 1)) ORDER BY n.nspname, k.relname)
                   FROM pg_class k JOIN pg_namespace n ON n.oid = k.relnamespace
                  WHERE k.oid IN (SELECT relid FROM pg_partition_tree(c.oid) WHERE level > 0 UNION SELECT inhrelid FROM pg_inherits WHERE inhparent = c.oid)
                    AND EXISTS (SELECT FROM aclexplode(k.relacl) a WHERE a.grantee <> k.relowner)
                    AND NOT (k.relispartition AND k.relrowsecurity)), '[]') AS exposed`;

/**
 * The observed `rowLevelSecurity`: undefined when `declared` is (not
 * managed); exposed children only while row security is declared enabled
 * (otherwise nothing is there to escape).
 */
export function observedRowSecurity(row: RowSecurityRow, declared: RowLevelSecurity | undefined): RowLevelSecurity | undefined {
  if (!declared) return undefined;
  return { enabled: row.rls, forced: row.rls_forced, exposedChildren: declared.enabled && row.exposed.length > 0 ? row.exposed : undefined };
}

/**
 * Steps from `live` to `desired` row security of `relation` (`table` as users
 * read it). Throws before any SQL when enabling it would meet TimescaleDB's
 * refusal: `blockers` names what is built on the table (columnstore,
 * continuous aggregates; see `rowSecurityConflict` in core/timescaledb.ts).
 */
export function rowSecuritySteps(relation: string, table: string, live: RowLevelSecurity | undefined, desired: RowLevelSecurity | undefined, blockers: string[]): Step[] {
  if (!desired) return [];
  const was = live ?? { enabled: false, forced: false };
  if (desired.enabled && !was.enabled && blockers.length > 0) {
    throw new Error(`Table ${table}: rowLevelSecurity: ${rowSecurityConflict(table, `rowLevelSecurity of Table ${table}`, blockers)}`);
  }
  const steps: Step[] = [];
  if (desired.enabled !== was.enabled) steps.push(step(`ALTER TABLE ${relation} ${desired.enabled ? "ENABLE" : "DISABLE"} ROW LEVEL SECURITY`));
  if (desired.forced !== was.forced) steps.push(step(`ALTER TABLE ${relation} ${desired.forced ? "FORCE" : "NO FORCE"} ROW LEVEL SECURITY`));
  if (desired.enabled) {
    for (const child of was.exposedChildren ?? []) {
      const target = qualifiedName(child.schema, child.name);
      steps.push(
        child.chunk
          ? step(`REVOKE ALL ON TABLE ${target} FROM ${child.grantees.map((g) => (g === "public" ? "PUBLIC" : quoteIdent(g))).join(", ")}`)
          : step(`ALTER TABLE ${target} ENABLE ROW LEVEL SECURITY`),
      );
    }
  }
  return steps;
}
