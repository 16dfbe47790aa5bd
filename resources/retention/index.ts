import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import type { RetentionInput } from "./spec";

/** A hypertable resource of the same program (a `Hypertable`): its schema and table. */
type HypertableResource = pulumi.CustomResource & { readonly schema: pulumi.Output<string>; readonly table: pulumi.Output<string> };

/** Inputs of {@link RetentionPolicy}: the hypertable (a `Hypertable` of the program, or its `{ schema, table }`) and the properties of `retentionSpec`. */
export type RetentionPolicyArgs = Omit<ResourceArgs<RetentionInput>, "schema" | "table"> & {
  hypertable: HypertableResource | { schema: string; table: string };
};

/**
 * A retention policy on a hypertable: TimescaleDB's retention job (community
 * license) or, on the Apache license, a pg_cron job calling `drop_chunks` with
 * the same semantics. ID: `schema.table`. Shortening retention so that existing
 * chunks fall outside it is a `data-loss` hazard naming the chunks and rows.
 */
export class RetentionPolicy extends DatabaseResource {
  constructor(name: string, args: RetentionPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    const { hypertable, ...rest } = args;
    const isResource = pulumi.CustomResource.isInstance(hypertable);
    const target = isResource ? { schema: (hypertable as HypertableResource).schema, table: (hypertable as HypertableResource).table } : (hypertable as { schema: string; table: string });
    super("RetentionPolicy", name, { ...rest, ...target }, isResource ? pulumi.mergeOptions(opts, { dependsOn: hypertable as HypertableResource }) : opts);
  }
}
