import { quoteIdent, quoteLiteral, qualifiedName } from "../core/quote";
import { truncateIdentifier } from "../core/spec";
import { scheduleInDatabase, unschedule } from "../core/cron";
import { describeRows, Hazard, ROW_COUNT_CAP, Step, step } from "../core/step";
import { jobName, parentTable, PartitionSetFacts, SetContext } from "./observe";
import { PartitionSetSpec } from "./spec";

const label = (s: PartitionSetSpec) => `PartitionSet ${parentTable(s)}`;

/**
 * What planning assumes without reading the database (the SQL plan of a set
 * whose parent an earlier step of the same plan creates): pg_partman in schema
 * `partman`, pg_cron in its default database `postgres`, a time control column.
 */
const UNREAD: PartitionSetFacts = {
  context: { partman: "partman", database: "(this database)", cronDatabase: "postgres", parentExists: true, strategy: "r", defaultPartition: null, controlType: "timestamp with time zone" },
  template: null,
  defaultRows: 0,
  expiring: [],
};

/** Properties pg_partman 5 cannot change in place. */
export function partitionSetReplaces(old: PartitionSetSpec, next: PartitionSetSpec): (keyof PartitionSetSpec)[] {
  return (["schema", "parent", "control", "interval"] as const).filter((k) => old[k] !== next[k]);
}

/**
 * At `check`: a change of `control` or `interval` would replace the set, and
 * the new `create_parent` cannot work while the old partitions stay (pg_partman:
 * "partition … would overlap partition …"), after the replace's delete has
 * already stopped maintenance. Refused before anything runs.
 */
export function partitionSetChangeProblems(old: PartitionSetSpec, next: PartitionSetSpec): { property: "control" | "interval"; reason: string }[] {
  return (["control", "interval"] as const)
    .filter((k) => old.schema === next.schema && old.parent === next.parent && old[k] !== next[k])
    .map((property) => ({
      property,
      reason: `pg_partman 5 cannot change the ${property} of a partition set (${JSON.stringify(old[property])} → ${JSON.stringify(next[property])}): its existing partitions stay and new ones would overlap them. Keep ${JSON.stringify(old[property])}, or move the rows to a new partitioned table with its own set.`,
    }));
}

/**
 * The job steps: `cron.schedule_in_database` (which updates a job of the same
 * name) made active, running `partman.run_maintenance(<parent>)` in this
 * database; or `cron.unschedule` when maintenance is no longer declared.
 * Throws, naming the alternative, when pg_cron is not loaded.
 */
function jobSteps(desired: PartitionSetSpec, context: SetContext): Step[] {
  const name = jobName(context, desired);
  if (!desired.maintenance) return [unschedule(context, name)];
  if (!context.cronDatabase) {
    throw new Error(
      `${label(desired)}: maintenance: pg_cron is not loaded on this server (cron.database_name is unset), so no job can be scheduled. ` +
        `Add pg_cron to shared_preload_libraries and CREATE EXTENSION pg_cron in its database, or remove maintenance and run pg_partman's background worker ` +
        `(shared_preload_libraries = 'pg_partman_bgw', pg_partman_bgw.dbname = '${context.database}', pg_partman_bgw.interval = 3600).`,
    );
  }
  const command = `SELECT ${quoteIdent(context.partman)}.run_maintenance(${quoteLiteral(parentTable(desired))})`;
  return [scheduleInDatabase(context, name, desired.maintenance.schedule, command, true)];
}

/** `UPDATE part_config` with the declared premake and retention; `infinite_time_partitions` so that partitions are made ahead by the clock even while no rows arrive. */
function configure(desired: PartitionSetSpec, partman: string): Step {
  return step(
    `UPDATE ${quoteIdent(partman)}.part_config SET premake = ${desired.premake}, retention = ${desired.retention === undefined ? "NULL" : quoteLiteral(desired.retention)}, ` +
      `retention_keep_table = ${desired.retentionKeepTable}, infinite_time_partitions = true WHERE parent_table = ${quoteLiteral(parentTable(desired))}`,
  );
}

const maintain = (desired: PartitionSetSpec, partman: string) => step(`SELECT ${quoteIdent(partman)}.run_maintenance(${quoteLiteral(parentTable(desired))})`);

/**
 * Steps from `live` (undefined: pg_partman does not manage the parent) to
 * `desired`. Creating: `create_parent`, the declared configuration, one
 * maintenance pass (so partitions exist right after `up`) and the job.
 * Updating: premake and retention in `part_config` in place; a maintenance
 * pass when coverage was missing or either changed; the default partition
 * added or removed; the job scheduled, changed or removed. Throws before any
 * SQL when the parent is missing, not range-partitioned, lacks the control
 * column, or maintenance is declared without pg_cron.
 */
export function planPartitionSet(live: PartitionSetSpec | undefined, desired: PartitionSetSpec, facts: PartitionSetFacts | undefined): Step[] {
  const f = facts ?? UNREAD;
  const { context } = f;
  const parent = quoteLiteral(parentTable(desired));
  if (!context.parentExists || context.strategy !== "r") {
    throw new Error(
      `${label(desired)}: parent: ${parentTable(desired)} ${context.parentExists ? `is ${context.strategy ? "not range-partitioned" : "not partitioned"}` : "does not exist"}; ` +
        `pg_partman sets need a range-partitioned parent: declare it with a Table whose partitionBy is { strategy: "range", keys: ["${desired.control}"] }.`,
    );
  }
  if (!context.controlType) throw new Error(`${label(desired)}: control: ${parentTable(desired)} has no column "${desired.control}"`);
  const wantedJob = (live?.maintenance?.schedule !== desired.maintenance?.schedule) ? jobSteps(desired, context) : [];
  if (!live) {
    const args = [
      `p_parent_table => ${parent}`,
      `p_control => ${quoteLiteral(desired.control)}`,
      `p_interval => ${quoteLiteral(desired.interval)}`,
      `p_premake => ${desired.premake}`,
      ...(desired.startPartition === undefined ? [] : [`p_start_partition => ${quoteLiteral(desired.startPartition)}`]),
      `p_default_table => ${desired.defaultPartition}`,
    ];
    return [step(`SELECT ${quoteIdent(context.partman)}.create_parent(${args.join(", ")})`), configure(desired, context.partman), maintain(desired, context.partman), ...wantedJob];
  }
  const steps: Step[] = [];
  const reconfigured = live.premake !== desired.premake || live.retention !== desired.retention || live.retentionKeepTable !== desired.retentionKeepTable;
  if (reconfigured) {
    const lost = desired.retentionKeepTable ? [] : f.expiring.filter((p) => p.rows > 0);
    const hazards: Hazard[] = live.retention !== desired.retention && lost.length > 0
      ? [{ kind: "data-loss", message: `retention ${desired.retention} on ${parentTable(desired)} makes the next maintenance drop ${lost.map((p) => `${p.partition} (${describeRows(p.rows, ROW_COUNT_CAP)})`).join(", ")}` }]
      : [];
    steps.push({ ...configure(desired, context.partman), hazards });
  }
  if (desired.defaultPartition && !context.defaultPartition) {
    steps.push(step(`CREATE TABLE ${qualifiedName(desired.schema, truncateIdentifier(`${desired.parent}_default`))} PARTITION OF ${qualifiedName(desired.schema, desired.parent)} DEFAULT`));
  }
  if (!desired.defaultPartition && context.defaultPartition) {
    const hazards: Hazard[] = f.defaultRows > 0 ? [{ kind: "data-loss", message: `removing the default partition ${context.defaultPartition} of ${parentTable(desired)} discards its ${describeRows(f.defaultRows, ROW_COUNT_CAP)}` }] : [];
    steps.push(step(`ALTER TABLE ${qualifiedName(desired.schema, desired.parent)} DETACH PARTITION ${context.defaultPartition}`, hazards), step(`DROP TABLE ${context.defaultPartition}`));
  }
  if (reconfigured || !live.premadeAhead) steps.push(maintain(desired, context.partman));
  return [...steps, ...wantedJob];
}

/**
 * Stops managing the set: removes its job and its `part_config` row and
 * pg_partman's template table. The parent and every partition stay, with
 * their rows; nothing is lost.
 */
export function dropPartitionSet(live: PartitionSetSpec, facts: PartitionSetFacts | undefined): Step[] {
  const f = facts ?? UNREAD;
  const { context } = f;
  return [
    step(`DELETE FROM ${quoteIdent(context.partman)}.part_config WHERE parent_table = ${quoteLiteral(parentTable(live))}`),
    ...(f.template ? [step(`DROP TABLE IF EXISTS ${f.template}`)] : []),
    ...(live.maintenance ? jobSteps({ ...live, maintenance: undefined }, context) : []),
  ];
}
