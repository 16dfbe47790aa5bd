import * as pulumi from "@pulumi/pulumi";
import type { ResourceArgs } from "../core/provider";
import { DatabaseResource, DeclaredRelation, RelationReference, resolveRelation } from "../core/resource";
import type { PolicyInput } from "./spec";

/**
 * Inputs of {@link Policy}. `table` is a {@link Table} of the same program
 * (the policy then depends on it) or the `{ schema, name }` of a table
 * managed elsewhere; `roles` may hold a `@pulumi/postgresql` `Role`'s `name`
 * output, which orders the role before the policy.
 */
export type PolicyArgs = Omit<ResourceArgs<PolicyInput>, "schema" | "table" | "roles"> & {
  table: RelationReference<DeclaredRelation>;
  roles?: pulumi.Input<pulumi.Input<string>[]>;
};

/**
 * A row-level security policy (`CREATE POLICY`). ID: `schema.table.name`.
 * Takes effect only while the table's `rowLevelSecurity.enabled` is true.
 */
export class Policy extends DatabaseResource {
  declare readonly command: pulumi.Output<string>;
  declare readonly roles: pulumi.Output<string[]>;
  /** The table it applies to, as declared (for {@link requireRowLevelSecurity}). */
  readonly target: { schema: pulumi.Input<string>; name: pulumi.Input<string> };

  constructor(name: string, args: PolicyArgs, opts?: pulumi.CustomResourceOptions) {
    const { table, ...rest } = args;
    const resolved = resolveRelation(table, opts);
    super("Policy", name, { ...rest, schema: resolved.schema, table: resolved.name }, resolved.opts);
    this.target = { schema: resolved.schema, name: resolved.name };
  }
}
