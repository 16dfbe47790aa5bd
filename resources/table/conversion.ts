import type { PoolClient } from "pg";
import { quoteIdent } from "../core/quote";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { isStopped } from "../core/stopped";

/**
 * What converting one column's stored values to a new type does, as the
 * server answers it while planning: `changed` rows hold a value that the
 * explicit cast of `ALTER COLUMN … TYPE new USING col::new` alters (truncates,
 * rounds, drops a time of day: `CAST(CAST(col AS new) AS old) IS DISTINCT
 * FROM col`), `failed` rows hold one it cannot convert at all (`error` is the
 * server's message). Counts stop at `cap`. `changed` is undefined when the
 * server cannot compare the values (no cast back to the old type).
 */
export interface Conversion {
  column: string;
  changed?: number;
  failed: number;
  error?: string;
}

/** SQLSTATE class 22, data exception: a cast refused a value (invalid input, out of range, overflow). */
const isDataException = (error: unknown) => /^22/.test((error as { code?: string }).code ?? "");

/**
 * Counts, for each column whose type changes, the rows whose value its cast
 * would change or cannot convert, in `relation` (a quoted qualified name).
 * The casts are the provider's own (old and new types), never user SQL. One
 * statement per column; a column whose cast fails for some row costs a
 * second one that counts the failures with an exception handler per row, in
 * a transaction that is rolled back (its function is temporary). Throws the
 * server's error when it stopped a count (core/stopped.ts).
 */
export async function conversions(
  client: PoolClient,
  relation: string,
  changes: { column: string; from: string; to: string }[],
  cap: number,
): Promise<Conversion[]> {
  const result: Conversion[] = [];
  for (const { column, from, to } of changes) {
    const c = quoteIdent(column);
    try {
      // In a transaction (or a savepoint of the apply's) that is rolled back, so that a cast failing stops only this probe.
      const { rows } = await inRolledBackTransaction(client, () =>
        client.query<{ n: number }>(`SELECT count(*)::int AS n FROM (SELECT FROM ${relation} WHERE CAST(CAST(${c} AS ${to}) AS ${from}) IS DISTINCT FROM ${c} LIMIT ${cap}) s`),
      );
      result.push({ column, changed: rows[0].n, failed: 0 });
    } catch (error) {
      if (isStopped(error)) throw error; // no answer about the values (core/stopped.ts)
      const message = (error as Error).message;
      const failed = isDataException(error) ? await failingRows(client, relation, column, from, to, cap) : 0;
      result.push({ column, changed: undefined, failed, error: message });
    }
  }
  return result;
}

/** Rows of `relation` whose `column` value (type `from`) the cast to `to` refuses, up to `cap`. */
async function failingRows(client: PoolClient, relation: string, column: string, from: string, to: string, cap: number): Promise<number> {
  return inRolledBackTransaction(client, async () => {
    await runStatement(
      client,
      `CREATE FUNCTION pg_temp.pgstrata_cast_fails(v ${from}) RETURNS boolean LANGUAGE plpgsql AS $pgstrata_cast$
         BEGIN PERFORM CAST(v AS ${to}); RETURN false; EXCEPTION WHEN data_exception THEN RETURN true; END $pgstrata_cast$`,
    );
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT FROM ${relation} WHERE pg_temp.pgstrata_cast_fails(${quoteIdent(column)}) LIMIT ${cap}) s`,
    );
    return rows[0].n;
  });
}
