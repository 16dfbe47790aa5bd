import { Client } from "pg";

/** What a {@link keepInserting} writer saw: inserts done, the longest wait of one (ms), and the errors (a lock timeout among them). */
export interface WriterReport {
  inserts: number;
  longestMs: number;
  errors: string[];
}

/**
 * A second connection that runs `insert` (one row) over and over until
 * stopped, timing each statement: the live traffic an online change must not
 * block. With `lockTimeout`, an insert that waits longer for a lock fails
 * ("canceling statement due to lock timeout") and is reported.
 */
export async function keepInserting(url: string, insert: string, lockTimeout?: string): Promise<{ stop(): Promise<WriterReport> }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  if (lockTimeout) await client.query(`SET lock_timeout = '${lockTimeout}'`);
  let running = true;
  const report: WriterReport = { inserts: 0, longestMs: 0, errors: [] };
  const loop = (async () => {
    while (running) {
      const t0 = process.hrtime.bigint();
      try {
        await client.query(insert);
        report.inserts++;
      } catch (error) {
        report.errors.push((error as Error).message);
      }
      report.longestMs = Math.max(report.longestMs, Number(process.hrtime.bigint() - t0) / 1e6);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return report;
    },
  };
}
