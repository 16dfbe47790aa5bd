import type { PoolClient } from "pg";
import { prepared } from "../core/prepared";
import type { Previous } from "../core/kind";
import { qualifiedName } from "../core/quote";
import { cappedRowCount } from "../core/row-count";
import { COLUMNSTORE_SQL, COMPRESSION_PROC, LiveColumnstore, liveColumnstore, observedColumnstore, observedColumnstorePolicy } from "../core/columnstore";
import { canonicalIntervals, Job, JOBS_SQL, License, LICENSE_SQL, licenseOf, rememberJobs } from "../core/timescaledb";
import { Dimension, DIMENSIONS_SQL, timescaleMissing } from "../core/dimensions";
import { INTEGER_NOW_SQL } from "../core/time-column";
import { HypertableSpec } from "./spec";

/**
 * Live dimensions of the hypertable (timescaledb_information.dimensions), its
 * columnstore settings and its columnstore policy job, in one statement;
 * undefined when the table is not a hypertable. `integerNow` is observed when
 * declared (unset leaves the live function undiffed). `migrateData` and
 * `declaredTable` are echoed from `desired`, and so are `segmentBy` /
 * `orderBy` / `scheduleInterval` that `desired` leaves to TimescaleDB. The
 * jobs read with it are kept for the `jobs` output ({@link observedJobs}).
 */
export async function observeHypertable(client: PoolClient, desired: HypertableSpec): Promise<HypertableSpec | undefined> {
  const { rows } = await client
    .query<{ dimensions: Dimension[]; columnstore: LiveColumnstore | null; jobs: Job[]; integer_now: string | null }>(
      prepared(
        `SELECT ${DIMENSIONS_SQL} AS dimensions, ${COLUMNSTORE_SQL} AS columnstore, ${JOBS_SQL} AS jobs, ${INTEGER_NOW_SQL} AS integer_now`,
        [desired.schema, desired.table],
      ),
    )
    .catch((error: unknown) => {
      if (!timescaleMissing(error)) throw error;
      throw new Error(
        `Hypertable ${desired.schema}.${desired.table}: the TimescaleDB extension is not installed in this database: run CREATE EXTENSION timescaledb (it must be in shared_preload_libraries).`,
      );
    });
  const { dimensions, columnstore, jobs, integer_now } = rows[0];
  const time = dimensions.find((d) => d.dimension_type === "Time");
  if (!time) return undefined;
  const hash = dimensions.find((d) => d.dimension_type === "Space");
  const job = jobs.find((j) => j.proc === COMPRESSION_PROC);
  return rememberJobs(jobs, {
    schema: desired.schema,
    table: desired.table,
    timeColumn: time.column_name,
    chunkInterval: time.time_interval ?? Number(time.integer_interval),
    hashDimension: hash ? { column: hash.column_name, partitions: hash.num_partitions ?? 0 } : undefined,
    compression: observedColumnstore(liveColumnstore(columnstore), desired.compression),
    columnstorePolicy: observedColumnstorePolicy(job, desired.columnstorePolicy),
    integerNow: desired.integerNow && (integer_now ?? undefined),
    migrateData: desired.migrateData,
    declaredTable: desired.declaredTable,
  });
}

/** What planning a hypertable needs to know about its table. */
export interface HypertableFacts {
  tableExists: boolean;
  /** pg_class.relkind of the relation named `table` (`r` a table, `v` a view, `p` a partitioned table, …); unset when it does not exist. */
  relkind?: string;
  /** The time column's type in the server's spelling (`date`, `timestamp with time zone`); unset when the table has no such column. */
  timeColumnType?: string;
  /** Rows in the table, exact up to the table kind's count cap. */
  rows: number;
  /** The live PRIMARY KEY / UNIQUE constraints of the table. */
  keys: { name: string; columns: string[]; primary: boolean }[];
  /**
   * What turning the hypertable back into a plain table must re-create, as
   * statements the server wrote for this relation: comment, owner, grants
   * (table and column), storage parameters (the table's and its TOAST
   * table's), per-column statistics targets and options (`n_distinct`),
   * extended statistics (CREATE STATISTICS, with their targets), row
   * security, policies, indexes other than the keys', triggers other than
   * TimescaleDB's own. Column storage and compression are copied by the
   * conversion's `CREATE TABLE … LIKE`.
   */
  carried: string[];
  /** The server's TimescaleDB license. */
  license: License;
  /** Whether the table has row-level security enabled (TimescaleDB refuses the columnstore there). */
  rowSecurity: boolean;
  /** Chunks in the columnstore. */
  compressedChunks: number;
  /** The columnstore policy job, if any. */
  policyJob?: Job;
  /** The hypertable's integer-now function (`schema.name`), if set. */
  integerNow?: string;
}

/** Facts when the table does not exist. */
export const NO_TABLE: Omit<HypertableFacts, "license"> = { tableExists: false, rows: 0, keys: [], carried: [], rowSecurity: false, compressedChunks: 0 };

/**
 * What a conversion back to a plain table must re-create ({@link HypertableFacts.carried}),
 * as statements the server writes for the relation `c` (its pg_class row), named `$3` (quoted).
 */
const CARRIED_SQL = `
ARRAY(SELECT format('COMMENT ON TABLE %s IS %L', $3::text, obj_description(c.oid, 'pg_class')) WHERE obj_description(c.oid, 'pg_class') IS NOT NULL
                  UNION ALL SELECT format('ALTER TABLE %s OWNER TO %I', $3::text, pg_get_userbyid(c.relowner))
                  UNION ALL (SELECT format('GRANT %s ON %s TO %s%s', a.privilege_type, $3::text,
                                           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) END,
                                           CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                               FROM aclexplode(c.relacl) a WHERE a.grantee <> c.relowner ORDER BY 1)
                  UNION ALL SELECT format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', $3::text) WHERE c.relrowsecurity
                  UNION ALL SELECT format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', $3::text) WHERE c.relforcerowsecurity
                  UNION ALL (SELECT format('CREATE POLICY %I ON %s AS %s FOR %s TO %s%s%s', p.polname, $3::text,
                                           CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
                                           CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
                                           (SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ') FROM unnest(p.polroles) r),
                                           ' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')',
                                           ' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')')
                               FROM pg_policy p WHERE p.polrelid = c.oid ORDER BY p.polname)
                  UNION ALL (SELECT format('ALTER TABLE %s SET (%s)', $3::text, string_agg(o, ', '))
                               FROM (SELECT format('%I=%L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)) FROM unnest(c.reloptions) o
                                     UNION ALL SELECT 'toast.' || format('%I=%L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1))
                                                 FROM pg_class t, unnest(t.reloptions) o WHERE t.oid = c.reltoastrelid) r(o)
                             HAVING count(*) > 0)
                  UNION ALL (SELECT format('GRANT %s (%I) ON %s TO %s%s', x.privilege_type, a.attname, $3::text,
                                           CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(x.grantee)) END,
                                           CASE WHEN x.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                               FROM pg_attribute a, aclexplode(a.attacl) x
                              WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND x.grantee <> c.relowner ORDER BY 1)
                  UNION ALL (SELECT format('ALTER TABLE %s ALTER COLUMN %I SET STATISTICS %s', $3::text, a.attname, a.attstattarget)
                               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attstattarget >= 0 ORDER BY a.attnum)
                  UNION ALL (SELECT format('ALTER TABLE %s ALTER COLUMN %I SET (%s)', $3::text, a.attname,
                                           (SELECT string_agg(format('%I=%L', split_part(o, '=', 1), substr(o, strpos(o, '=') + 1)), ', ') FROM unnest(a.attoptions) o))
                               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attoptions IS NOT NULL ORDER BY a.attnum)
                  UNION ALL (SELECT s FROM pg_statistic_ext x JOIN pg_namespace n ON n.oid = x.stxnamespace,
                                    LATERAL (VALUES (1, pg_get_statisticsobjdef(x.oid)),
                                                    (2, CASE WHEN x.stxstattarget >= 0 THEN format('ALTER STATISTICS %I.%I SET STATISTICS %s', n.nspname, x.stxname, x.stxstattarget) END)) v(i, s)
                              WHERE x.stxrelid = c.oid AND s IS NOT NULL ORDER BY x.stxname, i)
                  UNION ALL (SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
                              WHERE i.indrelid = c.oid AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY 1)
                  UNION ALL (SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_proc f ON f.oid = t.tgfoid
                              WHERE t.tgrelid = c.oid AND NOT t.tgisinternal AND f.pronamespace::regnamespace::text NOT LIKE '\\_timescaledb%' ORDER BY 1))`;

/**
 * Reads, in one statement, whether the table exists, its time column's
 * type, its keys, the license, the columnstore's compressed chunks, the
 * policy job and the integer-now function; with `read.rows` its row count (capped), with `read.carried`
 * what a conversion back must carry over (a delete needs both; planning only
 * rows, and only for a table that is not a hypertable yet).
 */
export async function hypertableFacts(client: PoolClient, desired: HypertableSpec, read: { rows: boolean; carried: boolean }): Promise<HypertableFacts> {
  const relation = qualifiedName(desired.schema, desired.table);
  const { rows } = await client.query<{
    license: string | null;
    relkind: string | null;
    time_column_type: string | null;
    row_security: boolean;
    keys: HypertableFacts["keys"] | null;
    rows: number | null;
    carried: string[] | null;
    columnstore: LiveColumnstore | null;
    jobs: Job[];
    integer_now: string | null;
  }>(
    prepared(
      `SELECT ${LICENSE_SQL} AS license, c.relkind, c.relrowsecurity AS row_security,
              (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attname = $6 AND a.attnum > 0 AND NOT a.attisdropped) AS time_column_type,
              (SELECT json_agg(json_build_object('name', k.conname, 'primary', k.contype = 'p',
                      'columns', ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(attnum, i)
                                         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum ORDER BY u.i)) ORDER BY k.conname)
                 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype IN ('p', 'u')) AS keys,
              CASE WHEN $4 AND c.relkind = 'r' THEN ${cappedRowCount("c.oid::regclass")} END AS rows,
              CASE WHEN $5 AND c.relkind = 'r' THEN ${CARRIED_SQL} END AS carried,
              ${COLUMNSTORE_SQL} AS columnstore, ${JOBS_SQL} AS jobs, ${INTEGER_NOW_SQL} AS integer_now
         FROM (SELECT to_regclass($3) AS oid) r LEFT JOIN pg_class c ON c.oid = r.oid`,
      [desired.schema, desired.table, relation, read.rows, read.carried, desired.timeColumn],
    ),
  );
  const f = rows[0];
  const license = licenseOf(f.license);
  if (f.relkind === null) return { ...NO_TABLE, license };
  if (f.relkind !== "r") return { ...NO_TABLE, tableExists: true, relkind: f.relkind, license };
  return {
    tableExists: true,
    relkind: f.relkind,
    timeColumnType: f.time_column_type ?? undefined,
    rows: f.rows ?? 0,
    keys: f.keys ?? [],
    carried: f.carried ?? [],
    license,
    rowSecurity: f.row_security,
    compressedChunks: liveColumnstore(f.columnstore).compressedChunks,
    policyJob: f.jobs.find((j) => j.proc === COMPRESSION_PROC),
    integerNow: f.integer_now ?? undefined,
  };
}

/**
 * `desired` with `chunkInterval` as TimescaleDB stores and prints it: the
 * dimension keeps microseconds with 30-day months, and the information view
 * prints them justified to days (`'1 month'` → `'30 days'`, `'1 year'` →
 * `'360 days'`, `'36 hours'` → `'1 day 12:00:00'`). No round trip when the
 * table is not a hypertable yet, or when the previous apply declared every
 * interval in the same words (see {@link fromPrevious}).
 */
export async function canonicalizeHypertable(client: PoolClient, desired: HypertableSpec, live?: HypertableSpec, previous?: Previous<HypertableSpec>): Promise<HypertableSpec> {
  // Nothing to compare a table that is not a hypertable yet with: it is converted with the declared text.
  if (!live) return desired;
  const known = previous && fromPrevious(desired, previous);
  if (known) return known;
  // An integer time column's chunkInterval is a number, stored as given.
  const chunkInterval =
    typeof desired.chunkInterval === "number"
      ? desired.chunkInterval
      : (
          await client.query<{ interval: string }>(
            `SELECT justify_hours(make_interval(days => m * 30) + (v - make_interval(months => m)))::text AS interval
               FROM (SELECT v, (EXTRACT(year FROM v) * 12 + EXTRACT(month FROM v))::int AS m FROM (SELECT $1::interval AS v) i) s`,
            [desired.chunkInterval],
          )
        ).rows[0].interval;
  const policy = desired.columnstorePolicy;
  if (!policy) return { ...desired, chunkInterval };
  // An integer time column's `after` is a number, kept by the job as given.
  const [after, scheduleInterval] = await canonicalIntervals(client, [typeof policy.after === "string" ? policy.after : undefined, policy.scheduleInterval]);
  return { ...desired, chunkInterval, columnstorePolicy: { ...policy, after: after ?? policy.after, scheduleInterval } };
}

/**
 * `desired` with the intervals the previous apply observed for the ones it
 * declared in the same words; undefined when one is new.
 */
function fromPrevious(desired: HypertableSpec, previous: Previous<HypertableSpec>): HypertableSpec | undefined {
  const { declared, observed } = previous;
  const same = (now: string | number | undefined, before: string | number | undefined, seen: string | number | undefined) => now === undefined || (now === before && seen !== undefined);
  const policy = desired.columnstorePolicy;
  if (!same(desired.chunkInterval, declared.chunkInterval, observed.chunkInterval)) return undefined;
  if (policy && !(same(policy.after, declared.columnstorePolicy?.after, observed.columnstorePolicy?.after) && same(policy.scheduleInterval, declared.columnstorePolicy?.scheduleInterval, observed.columnstorePolicy?.scheduleInterval))) {
    return undefined;
  }
  return {
    ...desired,
    chunkInterval: observed.chunkInterval,
    columnstorePolicy: policy && { ...policy, after: observed.columnstorePolicy!.after, scheduleInterval: policy.scheduleInterval && observed.columnstorePolicy!.scheduleInterval },
  };
}
