import { z } from "zod";
import { identifier, interval, schemaName } from "../core/spec";
import { integerNowFunction, timeThreshold } from "../core/time-column";
import { jobSchedule } from "../core/timescaledb";

/**
 * A retention policy on a hypertable: chunks entirely older than `dropAfter`
 * (by their time range), or created more than `dropCreatedBefore` ago, are
 * dropped by a job (TimescaleDB docs "add_retention_policy", "drop_chunks").
 *
 * Engines: `timescaledb` (TimescaleDB's retention job; community license) or
 * `pg_cron` (a pg_cron job calling `drop_chunks` with the same arguments, for
 * servers on the Apache license, such as Azure's managed PostgreSQL; the job
 * lives in pg_cron's database, `cron.database_name`, and runs in this one). `auto`
 * (default) takes `timescaledb` on the community license and `pg_cron` on the
 * Apache one.
 */
export function retentionSpec() {
  return z
    .strictObject({
      /** Schema of the hypertable. */
      schema: schemaName(),
      /** The hypertable. */
      table: identifier(),
      /** Drop chunks whose whole time range is older than this: an interval (`'90 days'`) for time columns, an integer for integer time columns (which need `integerNow`). Exactly one of `dropAfter` / `dropCreatedBefore`; switching between them replaces the job. */
      dropAfter: timeThreshold(interval()).optional(),
      /** Drop chunks created longer ago than this interval, whatever their time range. */
      dropCreatedBefore: interval().optional(),
      ...jobSchedule(),
      /** pg_cron schedule of the `pg_cron` engine (cron syntax, UTC). Default `'0 3 * * *'` (daily, like TimescaleDB's retention job). */
      cronSchedule: z.string().regex(/^(\S+\s+){4}\S+$|^\d+ seconds$/, "write a cron schedule such as '0 3 * * *'").default("0 3 * * *"),
      /** For an integer time column: the function returning "now" in its units, schema-qualified (`'public.unix_now'`), set with `set_integer_now_func` (the same setting as the Hypertable's `integerNow`: declare it in one of them, or the same in both). */
      integerNow: integerNowFunction().optional(),
      /** `auto` (default), `timescaledb` or `pg_cron`: see {@link retentionSpec}. Changing the engine in use replaces the job. */
      engine: z.enum(["auto", "timescaledb", "pg_cron"]).default("auto"),
    })
    .superRefine((r, ctx) => {
      if ((r.dropAfter === undefined) === (r.dropCreatedBefore === undefined)) {
        ctx.addIssue({ code: "custom", path: ["dropAfter"], message: "give exactly one of dropAfter (by the chunks' time range) and dropCreatedBefore (by when chunks were created)" });
      }
    });
}

export type RetentionSpec = z.output<ReturnType<typeof retentionSpec>>;
export type RetentionInput = z.input<ReturnType<typeof retentionSpec>>;
