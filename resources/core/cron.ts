import type { PoolClient } from "pg";
import { Connection, inDatabase, withClient } from "./connection";
import { quoteLiteral } from "./quote";
import { Step } from "./step";

/**
 * pg_cron keeps the jobs of every database of a server in one database,
 * `cron.database_name` (pg_cron README "Setting up pg_cron"); jobs run in
 * another database through `cron.schedule_in_database`. This is where a
 * kind reads and writes them.
 */

/** This database and pg_cron's (`cron.database_name`; null when pg_cron is not loaded). */
export interface CronContext {
  database: string;
  cronDatabase: string | null;
}

/** The columns of {@link CronContext}, for the statement that reads it with more. */
export const CRON_CONTEXT_SQL = `current_database() AS database, current_setting('cron.database_name', true) AS "cronDatabase"`;


/** A pg_cron job as `cron.job` holds it. */
export interface CronJob {
  schedule: string;
  command: string;
  active: boolean;
}

/** pg error code for "invalid_schema_name" (pg_cron's extension is not created in its database). */
const INVALID_SCHEMA = "3F000";

/**
 * The job named `jobname`, read in pg_cron's database (over `connection`
 * with that database when it is another); undefined when there is none or
 * pg_cron is absent.
 */
export async function readCronJob(client: PoolClient, connection: Connection, resource: string, context: CronContext, jobname: string): Promise<CronJob | undefined> {
  if (!context.cronDatabase) return undefined;
  const read = async (c: PoolClient) => {
    try {
      return (await c.query<CronJob>("SELECT schedule, command, active FROM cron.job WHERE jobname = $1", [jobname])).rows[0];
    } catch (error) {
      if ((error as { code?: string }).code === INVALID_SCHEMA || /relation "cron.job" does not exist/.test((error as Error).message)) return undefined;
      throw error;
    }
  };
  return context.cronDatabase === context.database ? read(client) : withClient(resource, inDatabase(connection, context.cronDatabase), read);
}

/** A step run in pg_cron's database (core/step.ts `database`). */
function inCronDatabase(context: CronContext, sql: string): Step {
  return { sql, hazards: [], transactional: true, database: context.cronDatabase! };
}

/** Schedules (or, by the same name, updates) a job running `command` in this database, `active` or paused. */
export function scheduleInDatabase(context: CronContext, jobname: string, schedule: string, command: string, active: boolean): Step {
  return inCronDatabase(
    context,
    `SELECT cron.alter_job(cron.schedule_in_database(${quoteLiteral(jobname)}, ${quoteLiteral(schedule)}, ${quoteLiteral(command)}, ${quoteLiteral(context.database)}), active => ${active})`,
  );
}

/** Removes the job named `jobname`, if any. */
export function unschedule(context: CronContext, jobname: string): Step {
  return inCronDatabase(context, `SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname = ${quoteLiteral(jobname)}`);
}
