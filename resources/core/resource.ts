import * as pulumi from "@pulumi/pulumi";
import type { Connection } from "./connection";
import type { DeclaredTable } from "./spec";
import { PROTO_KEY_REASON, protoKeyPaths } from "./proto-keys";
import { referencedProvider } from "./reference";

/** One referenced provider per kind: the SDK caches a provider's serialized text per object, so each kind is serialized once per program. */
const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/**
 * Base of every pgstrata resource: a dynamic resource of type
 * `pulumi-nodejs:dynamic/pgstrata:<type>` whose provider is referenced by
 * package name (core/reference.ts), whose `connection` input is a Pulumi
 * secret, and which answers to its pgschema 0.1 type token as an alias, so
 * stacks created before the rename keep their resources instead of replacing
 * them.
 */
export abstract class DatabaseResource extends pulumi.dynamic.Resource {
  /** @throws when an input holds a `__proto__` key (core/proto-keys.ts), which the SDK's serialization would drop silently. */
  protected constructor(type: string, name: string, inputs: pulumi.Inputs & { connection: pulumi.Input<Connection> }, opts?: pulumi.CustomResourceOptions) {
    const protoKeys = protoKeyPaths(inputs);
    if (protoKeys.length > 0) throw new Error(`${type} ${name}: ${protoKeys.map((path) => `${path}: ${PROTO_KEY_REASON}`).join("\n")}`);
    let provider = providers.get(type);
    if (!provider) providers.set(type, (provider = referencedProvider(type)));
    super(
      provider,
      name,
      // Its own URN, which dynamic providers are not given: the provider reports to the engine's log under it (core/engine-log.ts).
      { ...inputs, connection: pulumi.secret(inputs.connection), __urn: pulumi.createUrn(name, `pulumi-nodejs:dynamic/pgstrata:${type}`, opts?.parent) },
      pulumi.mergeOptions(opts, { aliases: [{ type: `pulumi-nodejs:dynamic/pgschema:${type}` }] }),
      "pgstrata",
      type,
    );
  }
}

/** The least a relation's declaration carries: its schema and name (a `Table`'s `declared` arguments have more). */
export interface DeclaredRelation {
  schema: pulumi.Input<string>;
  name: pulumi.Input<string>;
}

/**
 * A relation a resource builds on: a resource of the same program carrying
 * its declaration (a `Table`; `D` names what the kind reads of it, so kinds
 * need not import each other), or the `{ schema, name }` of one managed elsewhere.
 */
export type RelationReference<D extends DeclaredRelation> = (pulumi.CustomResource & { readonly declared: D }) | { schema: string; name: string };

/**
 * A table resource of the same program that states its declared columns,
 * keys and row security (a `Table`: `declaredShape()`), for kinds whose
 * `check` judges rules involving both (a hypertable's keys, its columnstore
 * and row security).
 */
export type ShapedTable = pulumi.CustomResource & { readonly declared: DeclaredRelation; declaredShape(): pulumi.Output<DeclaredTable | undefined> };

/**
 * The schema and name of `ref`, its declaration when it is a resource of this
 * program (so `check` can judge it), and `opts` made to depend on it.
 */
export function resolveRelation<D extends DeclaredRelation>(
  ref: RelationReference<D>,
  opts: pulumi.CustomResourceOptions | undefined,
): { schema: pulumi.Input<string>; name: pulumi.Input<string>; declared?: D; opts?: pulumi.CustomResourceOptions } {
  if (ref instanceof pulumi.CustomResource) return { schema: ref.declared.schema, name: ref.declared.name, declared: ref.declared, opts: pulumi.mergeOptions(opts, { dependsOn: ref }) };
  return { schema: ref.schema, name: ref.name, opts };
}
