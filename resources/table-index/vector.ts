import type { IndexMethod } from "./methods";

/**
 * pgvector's rules for HNSW and IVFFlat indexes (pgvector 0.8 README, "HNSW",
 * "IVFFlat", "Half-Precision Indexing", "Binary Vectors", "Sparse Vectors";
 * operator classes as `pg_opclass` lists them).
 */

const VECTOR_TYPE = /^(vector|halfvec|bit|sparsevec)(?:\((\d+)\))?$/;

/** Operator classes by method and column type. */
const OPCLASSES: Record<"hnsw" | "ivfflat", Record<string, string[]>> = {
  hnsw: {
    vector: ["vector_l2_ops", "vector_ip_ops", "vector_cosine_ops", "vector_l1_ops"],
    halfvec: ["halfvec_l2_ops", "halfvec_ip_ops", "halfvec_cosine_ops", "halfvec_l1_ops"],
    bit: ["bit_hamming_ops", "bit_jaccard_ops"],
    sparsevec: ["sparsevec_l2_ops", "sparsevec_ip_ops", "sparsevec_cosine_ops", "sparsevec_l1_ops"],
  },
  ivfflat: {
    vector: ["vector_l2_ops", "vector_ip_ops", "vector_cosine_ops"],
    halfvec: ["halfvec_l2_ops", "halfvec_ip_ops", "halfvec_cosine_ops"],
    bit: ["bit_hamming_ops"],
  },
};

/** Most dimensions an HNSW or IVFFlat index takes, by type (sparsevec: up to 1,000 non-zero elements, checked by pgvector per row). */
const MAX_DIMENSIONS: Record<string, number> = { vector: 2_000, halfvec: 4_000, bit: 64_000 };

export const isVectorMethod = (method: IndexMethod): method is "hnsw" | "ivfflat" => method === "hnsw" || method === "ivfflat";

/**
 * Problems of one HNSW/IVFFlat key: its operator class (required; must match
 * the column type) and the column's dimensions. `type` is the column's type in
 * the server's spelling (`vector(1536)`), undefined for an expression or an
 * unknown column (the server checks those when the index is built on a
 * scratch copy). Each message names the column and the fix.
 */
export function vectorKeyProblems(method: "hnsw" | "ivfflat", key: { column?: string; opclass?: string }, type: string | undefined): { property: "opclass" | "column"; message: string }[] {
  const match = type === undefined ? undefined : VECTOR_TYPE.exec(type);
  const base = match?.[1];
  const valid = base ? OPCLASSES[method][base] : Object.values(OPCLASSES[method]).flat();
  const column = key.column === undefined ? "the expression" : `column "${key.column}"`;
  if (type !== undefined && (!base || !valid)) {
    const types = Object.keys(OPCLASSES[method]).join(", ");
    return [{ property: "column", message: `${column} is ${type}; a ${method} index takes ${types} columns${method === "ivfflat" ? " (sparsevec needs hnsw)" : ""}` }];
  }
  if (key.opclass === undefined) {
    return [{ property: "opclass", message: `${method === "hnsw" ? "an HNSW" : "an IVFFlat"} key needs an operator class (the distance it serves): use one of ${valid!.join(", ")}` }];
  }
  if (!valid!.includes(key.opclass)) {
    return [{ property: "opclass", message: `operator class ${key.opclass} does not index ${type ?? "this key"} with ${method}: use one of ${valid!.join(", ")}` }];
  }
  const problems: { property: "column"; message: string }[] = [];
  if (base && match && base !== "sparsevec") {
    const dimensions = match[2] === undefined ? undefined : Number(match[2]);
    const max = MAX_DIMENSIONS[base];
    if (dimensions === undefined) {
      problems.push({ property: "column", message: `${column} is ${base} without dimensions, which pgvector cannot index ("column does not have dimensions"): declare it ${base}(n)` });
    } else if (dimensions > max) {
      const fix = base === "vector"
        ? `index it as halfvec (up to 4,000 dimensions): declare the column halfvec(${dimensions}), or index the expression (${key.column ?? "column"}::halfvec(${dimensions})) with halfvec_* operator classes`
        : base === "halfvec" ? "reduce the dimensions (e.g. a shorter embedding), or index a binary quantization (binary_quantize(column)::bit(n)) with bit_hamming_ops" : "reduce the dimensions";
      problems.push({ property: "column", message: `${column} has ${dimensions} dimensions; ${method} indexes ${base} of at most ${max.toLocaleString("en-US")}: ${fix}` });
    }
  }
  return problems;
}

/** The pgvector parameter rule that spans two parameters: ef_construction ≥ 2·m (the server checks it only at build time). */
export function hnswParameterProblem(parameters: Record<string, string>): string | undefined {
  const m = Number(parameters.m ?? 16);
  const ef = Number(parameters.ef_construction ?? 64);
  return ef < 2 * m ? `ef_construction (${ef}) must be at least 2·m (${2 * m}) (pgvector): raise ef_construction or lower m` : undefined;
}
