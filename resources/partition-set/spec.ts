import { z } from "zod";
import { identifier, interval, schemaName } from "../core/spec";

/** An integer step (`10000`, for an integer control column) or an interval in words (`'1 month'`, `'1 day'`). Stored as text. */
function step(what: string) {
  return z.union([
    z.number().int().positive(`${what} as an integer step must be positive`).transform(String),
    z.string().regex(/^\d+$/).refine((s) => Number(s) > 0, `${what} as an integer step must be positive`),
    interval(),
  ]);
}

/** pg_cron's schedule syntax: five cron fields, an `@` macro, or `N seconds` (pg_cron README "Cron syntax"). */
const CRON_SCHEDULE = /^(@(hourly|daily|weekly|monthly|yearly|annually|midnight)|([1-9]|[1-5][0-9]) seconds|[0-9*/,\-]+( [0-9*/,\-]+){4})$/;

/**
 * A pg_partman 5 partition set (pg_partman docs "create_parent",
 * "part_config"): keeps a range-partitioned table supplied with partitions
 * ahead of time and, optionally, drops the old ones.
 *
 * Cross-field rules when the parent is a {@link Table} of the same program
 * (`declaredParent`): it must be range-partitioned, by the control column alone.
 */
export function partitionSetSpec() {
  return z
    .strictObject({
      /** Schema of the parent table. */
      schema: schemaName(),
      /** The range-partitioned parent table. Changing it replaces the set. */
      parent: identifier(),
      /** The partition key column pg_partman partitions by: a time column (timestamptz, timestamp, date) or an integer. Cannot change once the set exists. */
      control: identifier(),
      /** Width of one partition: an interval (`'1 month'`, `'1 day'`) for a time control column, an integer step for an integer one. Cannot change once the set exists (refused at check: pg_partman 5 cannot, and new partitions would overlap the old). */
      interval: step("interval"),
      /** Partitions kept ready ahead of the current one (pg_partman `premake`). Default 4 (pg_partman's). Changes in place. */
      premake: z.number().int().min(1).max(1000).default(4),
      /** The first partition's start (`'2024-01-01'`, or an integer), for the partitions made when the set is created; unset: the current one. Used at creation only. */
      startPartition: z.union([z.string().min(1), z.number().int().transform(String)]).optional(),
      /** Partitions entirely older than this (an interval, or an integer for an integer control column) are removed at maintenance. Unset: keep every partition. Changes in place; shortening it past existing partitions is a `data-loss` hazard. */
      retention: step("retention").optional(),
      /**
       * Whether retention only detaches old partitions (keeping them as tables)
       * instead of dropping them. Default **false** here, unlike pg_partman's
       * `true`: detached tables still hold every row and its disk space, so
       * with pg_partman's default a retention frees nothing; keep them only
       * when something archives and drops them.
       */
      retentionKeepTable: z.boolean().default(false),
      /** Whether the parent has a default partition (rows outside every partition land there instead of failing). Default true (pg_partman's). Removing it is a `data-loss` hazard when it holds rows. */
      defaultPartition: z.boolean().default(true),
      /**
       * Runs maintenance (`partman.run_maintenance(<parent>)`) on a pg_cron
       * schedule: `{ schedule: "@hourly" }` (cron syntax, `@` macros, or
       * `N seconds`). The job lives in pg_cron's database
       * (`cron.database_name`) and is named `pgstrata partman <database>.<schema>.<parent>`.
       * Unset: no job; run pg_partman's background worker instead.
       */
      maintenance: z.strictObject({ schedule: z.string().regex(CRON_SCHEDULE, "write a cron schedule: five fields ('0 * * * *'), '@hourly', '@daily', or 'N seconds'") }).optional(),
      /** The parent's declared `partitionBy`, filled in by {@link PartitionSet} from a {@link Table} of the same program. */
      declaredParent: z.strictObject({ strategy: z.string(), keys: z.array(z.string()) }).optional(),
      /** Not an input (only `true` is accepted, so that outputs validate again): false when partitions do not reach now + premake × interval, i.e. maintenance has stopped; drift that the next apply heals by running maintenance. */
      premadeAhead: z.literal(true, { error: "premadeAhead is reported, not declared: remove it" }).default(true),
    })
    .superRefine((s, ctx) => {
      if (!s.declaredParent) return;
      const { strategy, keys } = s.declaredParent;
      if (strategy !== "range" || keys.length !== 1 || keys[0] !== s.control) {
        ctx.addIssue({
          code: "custom",
          path: ["control"],
          message: `pg_partman sets need a parent partitioned by range on the control column alone; ${s.schema}.${s.parent} is partitioned by ${strategy} (${keys.join(", ")}): declare its partitionBy as { strategy: "range", keys: ["${s.control}"] }`,
        });
      }
    });
}

export type PartitionSetSpec = Omit<z.output<ReturnType<typeof partitionSetSpec>>, "premadeAhead"> & { premadeAhead: boolean };
export type PartitionSetInput = z.input<ReturnType<typeof partitionSetSpec>>;
