import type * as pulumi from "@pulumi/pulumi";

/**
 * The provider a resource hands to Pulumi: a reference to the installed
 * library, not a copy of it.
 *
 * `dynamic.Resource` serializes its provider into every resource's
 * `__provider` input, which the state stores twice per resource and every
 * gRPC message carries; a provider closing over this project's modules is
 * serialized with all of them by value (31–73 KB each). This one holds only
 * the kind's type name and a `configure` method. The SDK's provider host
 * evaluates `__provider` and calls `configure` once, before any other method
 * (`cmd/dynamic-provider`, `getProvider`); `configure` then loads the real
 * provider by package name and takes its methods. `require` in the evaluated
 * text has no file name to start from, so `pgstrata` resolves from the host's
 * working directory, the Pulumi project root: the code that runs is the
 * installed `pgstrata`, as with any provider plugin (notes:
 * pulumi-dynamic-providers, "Serialization pitfalls"). State written by the
 * by-value providers of pgschema 0.1 keeps its own `__provider` for refresh
 * and delete; the next update stores this one.
 *
 * @param type the kind's Pulumi type name (`Table`): a key of `providers` in `providers.ts`.
 */
export function referencedProvider(type: string): pulumi.dynamic.ResourceProvider {
  const reference = {
    type,
    configure: function (this: { type: string }): void {
      Object.assign(this, require("pgstrata/dist/providers").providers[this.type]);
    },
  };
  return reference as unknown as pulumi.dynamic.ResourceProvider;
}
