/**
 * The rule shared by every kind of partitioned relation: a unique key can only
 * be enforced per partition when it includes every partitioning column.
 * PostgreSQL docs §5.12.2.3 "Limitations" (declarative partitioning: "unique
 * constraint on partitioned table must include all partitioning columns"),
 * TimescaleDB docs "Hypertables and unique indexes".
 */

/** A PRIMARY KEY or UNIQUE constraint by name and columns. */
export interface UniqueKey {
  name: string;
  columns: string[];
}

/**
 * One message per (key, partitioning column) pair where `key` lacks the
 * column, naming the constraint, the column and the fix.
 *
 * @param relation `schema.name`, as users read it.
 * @param partitioning the partitioning columns.
 * @param keys the PRIMARY KEY / UNIQUE constraints to check.
 * @param owner who imposes the rule, e.g. `TimescaleDB` or `PostgreSQL`, with
 *   the kind of relation: `"TimescaleDB requires every primary key and unique constraint of a hypertable"`.
 */
export function partitioningKeyProblems(relation: string, partitioning: readonly string[], keys: readonly UniqueKey[], owner: string): string[] {
  return keys.flatMap((k) =>
    partitioning
      .filter((c) => !k.columns.includes(c))
      .map((c) => `constraint ${k.name} (${k.columns.join(", ")}) of ${relation} does not include partitioning column "${c}": ${owner} to include it. Add "${c}" to the constraint's columns.`),
  );
}

/** The wording of {@link partitioningKeyProblems} for native partitioned tables. */
export const NATIVE_PARTITIONING_RULE = "PostgreSQL requires every primary key and unique constraint of a partitioned table";
/** The wording of {@link partitioningKeyProblems} for hypertables. */
export const HYPERTABLE_PARTITIONING_RULE = "TimescaleDB requires every primary key and unique constraint of a hypertable";
