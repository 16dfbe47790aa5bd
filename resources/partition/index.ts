import type * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource, DeclaredRelation, RelationReference, resolveRelation } from "../core/resource";
import type { PartitionInput } from "./spec";

/**
 * Inputs of {@link Partition}: `parent` is a partitioned {@link Table} of the
 * same program (the partition then depends on it) or the `{ schema, name }`
 * of one managed elsewhere; `name` and `bound` as in `partitionSpec`.
 */
export type PartitionArgs = Omit<ResourceArgs<PartitionInput>, "schema" | "parent" | "detachPending"> & {
  parent: RelationReference<DeclaredRelation>;
};

/**
 * A declared partition of a partitioned table, in the parent's schema. ID:
 * `schema.name`. Attaching moves the default partition's rows of its bound
 * into it; an existing table of that name is attached (with a validated CHECK
 * first, so the attach does not scan under the exclusive lock). Deleting it
 * detaches (concurrently where allowed) and drops it: a `data-loss` hazard
 * when it holds rows.
 */
export class Partition extends DatabaseResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly detachPending: pulumi.Output<boolean>;

  constructor(name: string, args: PartitionArgs, opts?: pulumi.CustomResourceOptions) {
    const { parent, ...rest } = args;
    const resolved = resolveRelation(parent, opts);
    super("Partition", name, { ...rest, schema: resolved.schema, parent: resolved.name }, resolved.opts);
  }
}
