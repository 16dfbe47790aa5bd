/** pgstrata: PostgreSQL objects as Pulumi dynamic resources. */
export { Schema, SchemaArgs } from "./schema";
export { ForeignKeyArgs, Table, TableArgs } from "./table";
export { Hypertable, HypertableArgs } from "./hypertable";
export { Policy, PolicyArgs } from "./policy";
export { Partition, PartitionArgs } from "./partition";
export { PartitionSet, PartitionSetArgs } from "./partition-set";
export { RetentionPolicy, RetentionPolicyArgs } from "./retention";
export { ContinuousAggregate, ContinuousAggregateArgs } from "./continuous-aggregate";
export { requireRowLevelSecurity, RowLevelSecurityRequirement } from "./row-level-security-requirement";
export { Index, IndexArgs } from "./table-index";
export type { Connection } from "./core/connection";
export { HAZARD_KINDS, HazardKind } from "./core/step";
export { interval } from "./core/spec";
