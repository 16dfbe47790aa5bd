import { z } from "zod";
import { quoteIdent, quoteLiteral } from "./quote";
import { identifier } from "./spec";
import { step, Step } from "./step";
import { thresholdSql } from "./time-column";
import { alterJob, HYPERTABLE_IDS_SQL, Job, jobSchedule } from "./timescaledb";

/**
 * The columnstore (compression) of a hypertable or continuous aggregate
 * (TimescaleDB community license): its settings and its policy job, as both
 * kinds declare, observe and plan them.
 */

/** The proc of TimescaleDB's columnstore (compression) policy job. */
export const COMPRESSION_PROC = "policy_compression";

/**
 * Columnstore (compression) settings of a hypertable or continuous aggregate
 * (TimescaleDB docs "ALTER TABLE (hypercore)": `timescaledb.enable_columnstore`,
 * `timescaledb.segmentby`, `timescaledb.orderby`). `segmentBy` / `orderBy` left
 * unset are TimescaleDB's own choice (it picks per chunk when compressing) and
 * are never diffed. `enabled: false` is the same as no `compression`.
 * `nulls` defaults as in PostgreSQL's ORDER BY: `LAST` for `ASC`, `FIRST` for `DESC`.
 */
export function columnstoreSettings() {
  const orderBy = z
    .strictObject({
      column: identifier(),
      order: z.enum(["ASC", "DESC"]).default("ASC"),
      nulls: z.enum(["FIRST", "LAST"]).optional(),
    })
    .transform((o) => ({ ...o, nulls: o.nulls ?? (o.order === "DESC" ? "FIRST" : "LAST") }));
  return z
    .strictObject({
      enabled: z.boolean().default(true),
      segmentBy: z.array(identifier()).optional(),
      orderBy: z.array(orderBy).optional(),
    })
    .optional()
    .transform((c) => (c?.enabled ? c : undefined));
}

export type ColumnstoreSettings = NonNullable<z.output<ReturnType<typeof columnstoreSettings>>>;

/** The live columnstore settings of `relation` (a quoted name): undefined when the columnstore is not enabled. */
export interface LiveColumnstore {
  enabled: boolean;
  segmentBy: string[] | null;
  orderBy: { column: string; order: "ASC" | "DESC"; nulls: "FIRST" | "LAST" }[] | null;
  /** Chunks currently in the columnstore. */
  compressedChunks: number;
}

/**
 * A JSON object (null when `$1.$2` is neither a hypertable nor a continuous
 * aggregate): whether the columnstore of hypertable `$1.$2` (of a continuous
 * aggregate: of its materialization hypertable) is enabled, its segmentby / orderby (from
 * `_timescaledb_catalog.compression_settings`, the arrays behind
 * `timescaledb_information.hypertable_columnstore_settings`), and how many of
 * its chunks are compressed. Read from TimescaleDB's catalog by the
 * hypertable's name (an index lookup), with the tests of
 * `timescaledb_information.hypertables` (`compression_enabled`: status bit 4)
 * and `timescaledb_information.chunks` (`is_compressed`: status bit 1, OSM
 * chunks left out): both views read every hypertable before they filter.
 */
export const COLUMNSTORE_SQL = `
(SELECT json_build_object(
          'enabled', (h.status & 4) = 4,
          'segmentBy', s.segmentby::text[],
          'orderBy', (SELECT json_agg(json_build_object('column', o.col, 'order', CASE WHEN o.des THEN 'DESC' ELSE 'ASC' END,
                                                        'nulls', CASE WHEN o.nf THEN 'FIRST' ELSE 'LAST' END) ORDER BY o.i)
                        FROM unnest(s.orderby::text[], s.orderby_desc, s.orderby_nullsfirst) WITH ORDINALITY o(col, des, nf, i)),
          'compressedChunks', (SELECT count(*)::int FROM _timescaledb_catalog.chunk c
                                WHERE c.hypertable_id = h.id AND c.osm_chunk IS FALSE AND (c.status & 1) = 1
                                  AND EXISTS (SELECT FROM pg_class r WHERE r.oid = c.relid)))
   FROM _timescaledb_catalog.hypertable h
   LEFT JOIN _timescaledb_catalog.compression_settings s ON s.relid = format('%I.%I', h.schema_name, h.table_name)::regclass
  WHERE h.id IN ${HYPERTABLE_IDS_SQL})`;

/** What {@link COLUMNSTORE_SQL} yields, for a relation that is not a hypertable too. */
export function liveColumnstore(json: LiveColumnstore | null): LiveColumnstore {
  return json ?? { enabled: false, segmentBy: null, orderBy: null, compressedChunks: 0 };
}

/** `live` in the canonical shape of `desired`: unset segmentBy / orderBy are echoed (TimescaleDB's choice is not diffed). */
export function observedColumnstore(live: LiveColumnstore, desired: ColumnstoreSettings | undefined): ColumnstoreSettings | undefined {
  if (!live.enabled) return undefined;
  return {
    enabled: true,
    segmentBy: desired?.segmentBy && (live.segmentBy ?? []),
    orderBy: desired?.orderBy && (live.orderBy ?? []),
  };
}

/**
 * Steps taking the columnstore of `relation` (quoted qualified name;
 * `ALTER TABLE` or `ALTER MATERIALIZED VIEW` per `objectType`) from `live` to
 * `desired`. Changed settings apply to chunks compressed later: the step says
 * so in a comment (shown in `appliedSql`). Throws, naming the resource and the
 * fix, when disabling it while chunks are compressed (TimescaleDB: "cannot
 * disable columnstore on hypertable with columnstore chunks").
 */
export function planColumnstore(
  resource: string,
  objectType: "TABLE" | "MATERIALIZED VIEW",
  relation: string,
  live: ColumnstoreSettings | undefined,
  desired: ColumnstoreSettings | undefined,
  compressedChunks: number,
): Step[] {
  if (!desired) {
    if (!live) return [];
    if (compressedChunks > 0) {
      throw new Error(
        `${resource}: compression cannot be disabled while ${compressedChunks} chunk${compressedChunks === 1 ? " is" : "s are"} compressed ` +
          `(TimescaleDB: "cannot disable columnstore on hypertable with columnstore chunks"). Decompress them first ` +
          `(SELECT decompress_chunk(c) FROM show_chunks(${quoteLiteral(relation)}) c; it needs the disk space of the uncompressed rows), then apply again.`,
      );
    }
    return [step(`ALTER ${objectType} ${relation} SET (timescaledb.enable_columnstore = false)`)];
  }
  const options: string[] = [];
  if (!live) options.push("timescaledb.enable_columnstore = true");
  if (desired.segmentBy && JSON.stringify(desired.segmentBy) !== JSON.stringify(live?.segmentBy)) {
    options.push(`timescaledb.segmentby = ${quoteLiteral(desired.segmentBy.map(quoteIdent).join(", "))}`);
  }
  if (desired.orderBy && JSON.stringify(desired.orderBy) !== JSON.stringify(live?.orderBy)) {
    options.push(`timescaledb.orderby = ${quoteLiteral(desired.orderBy.map((o) => `${quoteIdent(o.column)} ${o.order} NULLS ${o.nulls}`).join(", "))}`);
  }
  if (options.length === 0) return [];
  const note = live && compressedChunks > 0
    ? `/* new settings apply to chunks compressed from now on; the ${compressedChunks} compressed chunk(s) keep theirs until decompressed and compressed again */ `
    : "";
  return [step(`${note}ALTER ${objectType} ${relation} SET (${options.join(", ")})`)];
}

/**
 * The columnstore (compression) policy (TimescaleDB docs
 * "add_compression_policy" / "add_columnstore_policy"): chunks whose time
 * range ends more than `after` ago are compressed, every `scheduleInterval`
 * (default TimescaleDB's, 12 hours for daily chunks). `after` is what the
 * caller passes: `interval()` (core/spec.ts) where the time is always a timestamp (a
 * continuous aggregate), `timeThreshold` (core/time-column.ts) where it may be an integer
 * column (a hypertable: a positive whole number of the column's units).
 * Needs `compression` ({@link COLUMNSTORE_POLICY_NEEDS_COMPRESSION}).
 * Changes through `alter_job`; unset removes the policy.
 */
export function columnstorePolicy<T extends string | number>(after: z.ZodType<T>) {
  return z.strictObject({ after, ...jobSchedule() }).optional();
}

/** A columnstore policy, `after` an interval (`string`) or a number of an integer time column's units. */
export type ColumnstorePolicy<T extends string | number = string | number> = NonNullable<z.output<ReturnType<typeof columnstorePolicy<T>>>>;

/** The check failure of a `columnstorePolicy` declared without `compression`. */
export const COLUMNSTORE_POLICY_NEEDS_COMPRESSION =
  "a columnstore policy compresses chunks, which needs compression: declare compression: { segmentBy: [...] } (or {}), or remove columnstorePolicy";

/**
 * The live policy from its job, in the shape of `desired`: `after` as the job
 * keeps it (a number stays a number; of another kind than `desired`'s only
 * when written by hand, which then shows as drift), `scheduleInterval` left to
 * TimescaleDB is not diffed.
 */
export function observedColumnstorePolicy<T extends string | number>(job: Job | undefined, desired: ColumnstorePolicy<T> | undefined): ColumnstorePolicy<T> | undefined {
  const after = job?.config.compress_after;
  return job && { after: (typeof after === "number" ? after : String(after)) as T, scheduleInterval: desired?.scheduleInterval && job.scheduleInterval, scheduled: job.scheduled };
}

/** What a hypertable or continuous aggregate declares of its columnstore. */
export interface Columnstore {
  compression?: ColumnstoreSettings;
  columnstorePolicy?: ColumnstorePolicy;
}

/**
 * Steps taking the columnstore settings and policy of `relation` (quoted
 * qualified name of the hypertable or aggregate; `regclass` its
 * `'…'::regclass` for TimescaleDB's functions) from `live` to `desired`: the
 * policy is removed before the columnstore is disabled and added after it is
 * enabled; a policy changes through `alter_job` (never
 * `if_not_exists`, which keeps other arguments with only a WARNING).
 * `compressedChunks` and `policyJob` are read live. Throws as
 * {@link planColumnstore} does.
 */
export function planCompression(
  resource: string,
  objectType: "TABLE" | "MATERIALIZED VIEW",
  target: { relation: string; regclass: string },
  live: Columnstore | undefined,
  desired: Columnstore,
  facts: { compressedChunks: number; policyJob?: Job },
): Step[] {
  const settings = planColumnstore(resource, objectType, target.relation, live?.compression, desired.compression, facts.compressedChunks);
  const policy = planPolicy(target.regclass, live?.columnstorePolicy, desired.columnstorePolicy, facts.policyJob);
  return desired.columnstorePolicy ? [...settings, ...policy] : [...policy, ...settings];
}

function planPolicy(regclass: string, live: ColumnstorePolicy | undefined, want: ColumnstorePolicy | undefined, job: Job | undefined): Step[] {
  if (!want) return live ? [step(`SELECT remove_compression_policy(${regclass})`)] : [];
  if (!job || !live) {
    const add = `add_compression_policy(${regclass}, compress_after => ${thresholdSql(want.after)}` +
      (want.scheduleInterval ? `, schedule_interval => ${quoteLiteral(want.scheduleInterval)}::interval` : "") + ")";
    return [step(want.scheduled ? `SELECT ${add}` : `SELECT alter_job(${add}, scheduled => false)`)];
  }
  const alter = alterJob(job, { scheduleInterval: want.scheduleInterval, scheduled: want.scheduled, config: { ...job.config, compress_after: want.after } });
  return alter ? [alter] : [];
}
