import type { PoolClient } from "pg";
import type { EngineLog } from "./engine-log";

/** How often a running step's progress is read and shown, in milliseconds (the first time after one interval: short steps show nothing). */
export const PROGRESS_INTERVAL_MS = 2_000;

/**
 * Who watches an apply: the engine's log of the resource (core/engine-log.ts)
 * and a reader of a running statement's progress by backend pid, run on
 * another session (the building one is busy), e.g. {@link indexBuildProgress}.
 */
export interface ApplyWatch {
  log: EngineLog;
  progress(pid: number): Promise<string | undefined>;
}

interface ProgressRow {
  command: string;
  phase: string;
  lockers_done: string;
  lockers_total: string;
  blocks_done: string;
  blocks_total: string;
  tuples_done: string;
  tuples_total: string;
  partitions_done: string;
  partitions_total: string;
}

const fraction = (done: string, total: string, what: string) => (Number(total) > 0 ? `${what} ${done}/${total} (${Math.floor((100 * Number(done)) / Number(total))} %)` : "");

/**
 * One line on the index build that backend `pid` runs, from
 * `pg_stat_progress_create_index` (PostgreSQL docs §27.4.4 "CREATE INDEX
 * Progress Reporting"): command, phase, and the counters the phase fills in
 * (transactions waited for, blocks scanned, tuples sorted or loaded,
 * partitions done), e.g. `CREATE INDEX CONCURRENTLY: building index: loading
 * tuples in tree, tuples 51200/100000 (51 %)`. Undefined when `pid` builds no
 * index.
 */
export async function indexBuildProgress(client: PoolClient, pid: number): Promise<string | undefined> {
  const { rows } = await client.query<ProgressRow>(
    `SELECT command, phase, lockers_done, lockers_total, blocks_done, blocks_total, tuples_done, tuples_total, partitions_done, partitions_total
       FROM pg_stat_progress_create_index WHERE pid = $1`,
    [pid],
  );
  if (rows.length === 0) return undefined;
  const r = rows[0];
  const counters = [
    fraction(r.lockers_done, r.lockers_total, "transactions waited for"),
    fraction(r.blocks_done, r.blocks_total, "blocks"),
    fraction(r.tuples_done, r.tuples_total, "tuples"),
    fraction(r.partitions_done, r.partitions_total, "partitions"),
  ].filter(Boolean);
  return `${r.command}: ${r.phase}${counters.length > 0 ? `, ${counters.join(", ")}` : ""}`;
}

/**
 * Shows the progress of backend `pid`'s running statement as the resource's
 * status line every {@link PROGRESS_INTERVAL_MS} until the returned function
 * is called. One read at a time: a read still waiting for a session (the
 * pool is busy) delays the next instead of queueing more; a failed read is
 * skipped.
 */
export function watchProgress(pid: number, watch: ApplyWatch): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout;
  const tick = () => {
    watch.progress(pid).then(
      (line) => {
        if (line && !stopped) watch.log.status(line);
      },
      () => undefined,
    ).finally(() => {
      if (!stopped) timer = setTimeout(tick, PROGRESS_INTERVAL_MS);
    });
  };
  timer = setTimeout(tick, PROGRESS_INTERVAL_MS);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
