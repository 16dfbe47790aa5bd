import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import type { ContinuousAggregateInput } from "./spec";

/** Inputs of {@link ContinuousAggregate}: the properties of `continuousAggregateSpec` plus `connection` and `allowHazards`. */
export type ContinuousAggregateArgs = ResourceArgs<ContinuousAggregateInput>;

/**
 * A TimescaleDB continuous aggregate with its refresh policy (community
 * license). ID: `schema.name`. Make it depend on its source (the Hypertable,
 * or the ContinuousAggregate it is built on) with `dependsOn`. A changed query
 * replaces it: a `data-loss` hazard while it holds rows its source no longer has.
 */
export class ContinuousAggregate extends DatabaseResource {
  declare readonly schema: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: ContinuousAggregateArgs, opts?: pulumi.CustomResourceOptions) {
    super("ContinuousAggregate", name, args, opts);
  }
}
