import * as pulumi from "@pulumi/pulumi";
import { canonicalColumnType } from "../core/column-type";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource, DeclaredRelation, RelationReference, resolveRelation } from "../core/resource";
import type { IndexInput, IndexSpec } from "./spec";

/** What {@link Index} reads of a table resource of the same program (`Table.declared`): its name and columns. */
interface DeclaredTable extends DeclaredRelation {
  columns: pulumi.Input<pulumi.Input<{ name: pulumi.Input<string>; type: pulumi.Input<string> }>[]>;
}

/**
 * Inputs of {@link Index}. `table` is a `Table` of the same program (its
 * declared columns are then checked at `check`: key and INCLUDE columns
 * exist, HNSW/IVFFlat operator classes and dimensions fit the column type;
 * the index depends on it) or the `{ schema, name }` of a table managed
 * elsewhere (the same checks run against the catalogs before any SQL).
 */
export type IndexArgs = Omit<ResourceArgs<IndexInput>, "schema" | "table" | "declaredTable"> & {
  table: RelationReference<DeclaredTable>;
};

/**
 * An index on a table, partitioned table or hypertable: btree, hash, gin,
 * gist, spgist, brin, pgvector hnsw and ivfflat. ID: `schema.name`. Built
 * without blocking writes (concurrently, per chunk on a hypertable, per
 * partition on a partitioned table); a change that needs a new index builds
 * it under a temporary name and swaps it in.
 */
export class Index extends DatabaseResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly method: pulumi.Output<string>;

  constructor(name: string, args: IndexArgs, opts?: pulumi.CustomResourceOptions) {
    const { table, ...rest } = args;
    const resolved = resolveRelation(table, opts);
    const inputs = { ...rest, schema: resolved.schema, table: resolved.name, declaredTable: resolved.declared && declaredColumns(resolved.declared) };
    super("Index", name, inputs, resolved.opts);
  }
}

/** The declared columns' names and types (the type as the table kind canonicalizes it: unknown spellings are left to the table's own check). */
function declaredColumns(t: DeclaredTable): pulumi.Output<IndexSpec["declaredTable"]> {
  return pulumi.output(t.columns).apply((columns) => ({ columns: columns.map((c) => ({ name: c.name, type: canonicalColumnType(c.type) ?? c.type })) }));
}
