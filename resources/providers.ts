/**
 * The provider of every kind, keyed by Pulumi type name, built once per
 * process. Resources reach this module by package name through their
 * referenced provider (core/reference.ts); nothing here is serialized.
 */
import { KindProvider, providerFor } from "./core/provider";
import { continuousAggregateKind } from "./continuous-aggregate/kind";
import { hypertableKind } from "./hypertable/kind";
import { policyKind } from "./policy/kind";
import { partitionKind } from "./partition/kind";
import { partitionSetKind } from "./partition-set/kind";
import { retentionKind } from "./retention/kind";
import { schemaKind } from "./schema/kind";
import { tableKind } from "./table/kind";
import { indexKind } from "./table-index/kind";

export const providers: Record<string, KindProvider> = {
  Schema: providerFor(schemaKind),
  Table: providerFor(tableKind),
  Hypertable: providerFor(hypertableKind),
  Policy: providerFor(policyKind),
  Partition: providerFor(partitionKind),
  PartitionSet: providerFor(partitionSetKind),
  RetentionPolicy: providerFor(retentionKind),
  ContinuousAggregate: providerFor(continuousAggregateKind),
  Index: providerFor(indexKind),
};
