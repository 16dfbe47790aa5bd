import { z } from "zod";
import { identifier, schemaName } from "../core/spec";

/** `MINVALUE` / `MAXVALUE`: the unbounded ends of a range bound (docs "CREATE TABLE", partition_bound_spec). */
const UNBOUNDED = ["MINVALUE", "MAXVALUE"];

/** One value of a bound: a string or number literal of the key's type (`'2024-01-01'`, `10`), or `MINVALUE`/`MAXVALUE` in a range bound. Stored as text. */
function boundValue() {
  return z.union([z.string().min(1, "a bound value cannot be empty"), z.number().finite()]).transform((v) => {
    const text = String(v);
    return UNBOUNDED.includes(text.toUpperCase()) ? text.toUpperCase() : text;
  });
}

/** One value, or one per key column for a multi-column key. */
const boundValues = () => z.union([boundValue().transform((v) => [v]), z.array(boundValue()).min(1, "give one value per key column")]);

/**
 * A partition bound (docs "CREATE TABLE … PARTITION OF", partition_bound_spec):
 * - range: `{ from, to }`, each a value or one per key column; `from` is
 *   inclusive, `to` exclusive; `MINVALUE`/`MAXVALUE` for unbounded ends;
 *   timestamptz values are read in UTC;
 * - list: `{ in: [...] }` (`null` matches NULL keys);
 * - hash: `{ modulus, remainder }` (modulus ≥ 1, 0 ≤ remainder < modulus);
 * - `"default"`: the partition for rows no other partition accepts.
 * Compared by the server's canonical text (`pg_get_expr(relpartbound)`), so
 * `'2024-01-01'` and `'2024-01-01 00:00:00+00'` are the same bound.
 */
export function bound() {
  return z.union(
    [
      z.literal("default"),
      z.strictObject({ from: boundValues(), to: boundValues() }),
      z.strictObject({ in: z.array(z.union([boundValue(), z.null()])).min(1, "list at least one value") }),
      z
        .strictObject({ modulus: z.number().int().min(1), remainder: z.number().int().min(0) })
        .refine((h) => h.remainder < h.modulus, { error: "remainder must be less than modulus" }),
    ],
    { error: 'a bound is { from, to } (range), { in: [...] } (list), { modulus, remainder } (hash) or "default"' },
  );
}

/**
 * A declared partition of a partitioned table (docs §5.12 "Table
 * Partitioning"). It lives in its parent's schema. `detachPending` is not an
 * input: it is true when a `DETACH … CONCURRENTLY` of it was interrupted
 * (`pg_inherits.inhdetachpending`), which is drift that the next apply
 * finalizes and re-attaches.
 */
export function partitionSpec() {
  return z.strictObject({
    /** Schema of the parent table (and of the partition). Changing it replaces the partition. */
      schema: schemaName(),
      /** The partitioned table. Changing it replaces the partition. */
      parent: identifier(),
      /** Name of the partition. Changing it replaces the partition. */
      name: identifier(),
      /** The partition bound; changes in place (detach, then attach with the new bound, in one transaction). */
      bound: bound(),
      /** Not an input (only `false` is accepted, so that outputs validate again): see above. */
      detachPending: z.literal(false, { error: "detachPending is reported, not declared: remove it" }).default(false),
    });
}

export type PartitionSpec = Omit<z.output<ReturnType<typeof partitionSpec>>, "detachPending"> & { detachPending: boolean };
export type PartitionInput = z.input<ReturnType<typeof partitionSpec>>;
export type Bound = PartitionSpec["bound"];
