/**
 * What each index access method supports, and its storage parameters:
 * PostgreSQL docs "CREATE INDEX" (Index Storage Parameters) and §64.2
 * "Index Access Method Functions" (amcanunique, amcanmulticol, amcaninclude,
 * amcanorder), pgvector README ("HNSW", "IVFFlat").
 */

export const INDEX_METHODS = ["btree", "hash", "gin", "gist", "spgist", "brin", "hnsw", "ivfflat"] as const;
export type IndexMethod = (typeof INDEX_METHODS)[number];

interface MethodTraits {
  unique: boolean;
  multiColumn: boolean;
  include: boolean;
  /** ASC/DESC and NULLS FIRST/LAST. */
  ordered: boolean;
}

export const METHOD_TRAITS: Record<IndexMethod, MethodTraits> = {
  btree: { unique: true, multiColumn: true, include: true, ordered: true },
  hash: { unique: false, multiColumn: false, include: false, ordered: false },
  gist: { unique: false, multiColumn: true, include: true, ordered: false },
  spgist: { unique: false, multiColumn: false, include: true, ordered: false },
  gin: { unique: false, multiColumn: true, include: false, ordered: false },
  brin: { unique: false, multiColumn: true, include: false, ordered: false },
  hnsw: { unique: false, multiColumn: false, include: false, ordered: false },
  ivfflat: { unique: false, multiColumn: false, include: false, ordered: false },
};

/** A storage parameter: an integer in a range, a boolean, or one of some words. */
export type Parameter = { methods: IndexMethod[]; rebuilds: boolean } & ({ type: "integer"; min: number; max: number } | { type: "boolean" } | { type: "enum"; values: string[] });

/**
 * Storage parameters by name. `rebuilds`: the parameter shapes the index built
 * from the data (HNSW graph, IVFFlat centroids, BRIN ranges), so a change
 * takes a new build; the others only steer later writes and change in place
 * with `ALTER INDEX … SET`.
 */
export const PARAMETERS: Record<string, Parameter> = {
  fillfactor: { methods: ["btree", "hash", "gist", "spgist"], rebuilds: false, type: "integer", min: 10, max: 100 },
  deduplicate_items: { methods: ["btree"], rebuilds: false, type: "boolean" },
  buffering: { methods: ["gist"], rebuilds: false, type: "enum", values: ["auto", "on", "off"] },
  fastupdate: { methods: ["gin"], rebuilds: false, type: "boolean" },
  gin_pending_list_limit: { methods: ["gin"], rebuilds: false, type: "integer", min: 64, max: 2_147_483_647 },
  pages_per_range: { methods: ["brin"], rebuilds: true, type: "integer", min: 1, max: 131_072 },
  autosummarize: { methods: ["brin"], rebuilds: false, type: "boolean" },
  // pgvector: m 2–100, ef_construction 4–1000 (and ≥ 2·m, checked with both), lists 1–32768.
  m: { methods: ["hnsw"], rebuilds: true, type: "integer", min: 2, max: 100 },
  ef_construction: { methods: ["hnsw"], rebuilds: true, type: "integer", min: 4, max: 1000 },
  lists: { methods: ["ivfflat"], rebuilds: true, type: "integer", min: 1, max: 32_768 },
};

/**
 * Defaults the server applies without storing them in `pg_class.reloptions`
 * (docs "CREATE INDEX"; pgvector: m = 16, ef_construction = 64, lists = 100).
 * Both the declared and the live parameters are filled in with them, so
 * `with: {}` and `with: { m: 16 }` are the same index.
 */
const DEFAULTS: Partial<Record<IndexMethod, Record<string, string>>> = {
  btree: { fillfactor: "90" },
  hash: { fillfactor: "75" },
  gist: { fillfactor: "90" },
  spgist: { fillfactor: "80" },
  brin: { pages_per_range: "128" },
  hnsw: { m: "16", ef_construction: "64" },
  ivfflat: { lists: "100" },
};

/** `parameters` with the method's unstored defaults filled in, keys sorted. */
export function withDefaults(method: IndexMethod, parameters: Record<string, string>): Record<string, string> {
  const all = { ...DEFAULTS[method], ...parameters };
  return Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
}
