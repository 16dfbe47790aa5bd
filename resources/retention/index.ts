import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource } from "../core/resource";
import type { Hypertable } from "../hypertable";
import type { RetentionInput } from "./spec";

/** Inputs of {@link RetentionPolicy}: the hypertable (a {@link Hypertable} of the program, or its `{ schema, table }`) and the properties of `retentionSpec`. */
export type RetentionPolicyArgs = Omit<ResourceArgs<RetentionInput>, "schema" | "table"> & {
  hypertable: Hypertable | { schema: string; table: string };
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
    const target = isResource ? { schema: (hypertable as Hypertable).schema, table: (hypertable as Hypertable).table } : (hypertable as { schema: string; table: string });
    super("RetentionPolicy", name, { ...rest, ...target }, isResource ? pulumi.mergeOptions(opts, { dependsOn: hypertable as Hypertable }) : opts);
  }
}
