import type * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource, DeclaredRelation, RelationReference, resolveRelation } from "../core/resource";
import type { PartitionSetInput } from "./spec";

/** What {@link PartitionSet} reads of a parent table of the same program (`Table.declared`): its name and `partitionBy`. */
interface DeclaredParent extends DeclaredRelation {
  partitionBy?: pulumi.Input<{ strategy: string; keys: string[] } | undefined>;
}

/**
 * Inputs of {@link PartitionSet}: `parent` is a range-partitioned
 * {@link Table} of the same program (its declared `partitionBy` is then
 * checked at `check`, and the set depends on it) or the `{ schema, name }` of
 * one managed elsewhere (checked before any SQL).
 */
export type PartitionSetArgs = Omit<ResourceArgs<PartitionSetInput>, "schema" | "parent" | "declaredParent" | "premadeAhead"> & {
  parent: RelationReference<DeclaredParent>;
};

/**
 * A pg_partman 5 partition set: partitions made `premake` intervals ahead,
 * old ones removed after `retention`, maintenance on a pg_cron schedule.
 * ID: `schema.parent`. `premadeAhead` is false when the partitions do not
 * reach now + premake × interval (maintenance stopped): drift that the next
 * `up` heals with a maintenance pass. Deleting it stops pg_partman's
 * management and removes the job; partitions and rows stay.
 */
export class PartitionSet extends DatabaseResource {
  declare readonly premadeAhead: pulumi.Output<boolean>;

  constructor(name: string, args: PartitionSetArgs, opts?: pulumi.CustomResourceOptions) {
    const { parent, ...rest } = args;
    const resolved = resolveRelation(parent, opts);
    super("PartitionSet", name, { ...rest, schema: resolved.schema, parent: resolved.name, declaredParent: resolved.declared?.partitionBy }, resolved.opts);
  }
}
