import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource, DeclaredRelation } from "../core/resource";
import type { DeclaredTable } from "../core/spec";
import type { ContinuousAggregateInput } from "./spec";

/** What {@link ContinuousAggregate} reads of its source (a `Hypertable` of the program, `Hypertable.declared`): the table's name and declared row security. */
type SourceHypertable = pulumi.CustomResource & { readonly declared: DeclaredRelation & { table?: pulumi.Output<DeclaredTable | undefined> } };

/**
 * Inputs of {@link ContinuousAggregate}: the properties of
 * `continuousAggregateSpec` plus `connection` and `allowHazards`, and
 * `source`: the `Hypertable` of the same program that the query aggregates
 * (optional). With it the aggregate depends on the hypertable, and when the
 * hypertable's table is a `Table` of the program that declares
 * `rowLevelSecurity.enabled`, `check` fails (TimescaleDB refuses continuous
 * aggregates there).
 */
export type ContinuousAggregateArgs = Omit<ResourceArgs<ContinuousAggregateInput>, "declaredSource"> & { source?: SourceHypertable };

/**
 * A TimescaleDB continuous aggregate with its refresh policy (community
 * license). ID: `schema.name`. Give its source Hypertable as `source` (or
 * make it depend on the ContinuousAggregate it is built on with `dependsOn`).
 * A changed query replaces it: a `data-loss` hazard while it holds rows its
 * source no longer has.
 */
export class ContinuousAggregate extends DatabaseResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: ContinuousAggregateArgs, opts?: pulumi.CustomResourceOptions) {
    const { source, ...rest } = args;
    if (!source) {
      super("ContinuousAggregate", name, rest, opts);
      return;
    }
    const { schema, name: table, table: declared } = source.declared;
    const declaredSource = declared && pulumi.all([schema, table, declared]).apply(([s, t, d]) => d && { schema: s, table: t, rowLevelSecurity: d.rowLevelSecurity ?? false });
    super("ContinuousAggregate", name, { ...rest, declaredSource }, pulumi.mergeOptions(opts, { dependsOn: source }));
  }
}
