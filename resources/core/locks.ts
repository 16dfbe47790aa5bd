import { createHash } from "crypto";
import type { PoolClient, QueryResult } from "pg";
import type { ApplyWatch } from "./progress";
import { applySteps, markOpenTransaction, sessionLost } from "./session";
import { Step } from "./step";

/**
 * What one apply locks, by object name (e.g. `relation events.event_store`,
 * `schema events`): `exclusive` the objects it changes, `shared` the objects
 * it needs to stay as they are (a table's schema). Two applies changing the
 * same object serialize; applies of independent objects, even in one schema,
 * run in parallel; an apply changing an object waits for the applies that
 * depend on it.
 */
export interface ObjectLocks {
  exclusive: string[];
  shared: string[];
}

/** The lock name of schema `name`. */
export const schemaLock = (name: string) => `schema ${name}`;
/** The lock name of relation `schema.name` (a table, and the hypertable over it). */
const relationLock = (schema: string, name: string) => `relation ${schema}.${name}`;

/** A relation (table, partition, index, view) by schema and name. */
export interface RelationName {
  schema: string;
  name: string;
}

/**
 * The locks of an apply whose steps take table-level locks (PostgreSQL docs
 * §13.3.1) on `relations`, and whatever lock it reads them under: each
 * relation's lock exclusively, so that applies touching the same relation
 * take turns and none waits, bounded by `lock_timeout`, on a table lock
 * another pgstrata apply holds (`CREATE INDEX CONCURRENTLY` conflicts with
 * itself, `ALTER TABLE … ADD FOREIGN KEY` locks the referenced table too);
 * their schemas' locks shared; and `own`, the object's own lock names. All
 * are taken in one order (see `ordered`), so that applies locking several
 * relations never deadlock.
 */
export function relationLocks(relations: readonly RelationName[], own: readonly string[] = []): ObjectLocks {
  return {
    exclusive: [...new Set([...relations.map((r) => relationLock(r.schema, r.name)), ...own])],
    shared: [...new Set(relations.map((r) => schemaLock(r.schema)))],
  };
}

/**
 * The advisory lock key of an object name: the first 8 bytes of its SHA-256,
 * a bigint (PostgreSQL docs §13.3.5 "Advisory Locks"). Two names sharing a key
 * only serialize more than needed.
 */
function keyOf(name: string): bigint {
  return createHash("sha256").update(`pgstrata ${name}`).digest().readBigInt64BE(0);
}

type Lock = { key: bigint; shared: boolean };

/** The locks in key order (the one order every pgstrata session takes them in, so two applies never deadlock), a name locked both ways only exclusively. */
function ordered(locks: ObjectLocks): Lock[] {
  const exclusive = new Set(locks.exclusive.map(keyOf));
  const all = new Map<bigint, Lock>();
  for (const key of exclusive) all.set(key, { key, shared: false });
  for (const key of locks.shared.map(keyOf)) if (!all.has(key)) all.set(key, { key, shared: true });
  return [...all.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Calls of `fn` (or `fn_shared`) for each lock, in order (keys are integers: no user text reaches the SQL). */
function lockCalls(fn: string, locks: Lock[], combine = ", "): string {
  return locks.map((l) => `${fn}${l.shared ? "_shared" : ""}('${l.key}'::int8)`).join(combine);
}

/**
 * Runs `fn` in a transaction holding `locks` (transaction-level advisory
 * locks, released at COMMIT or ROLLBACK). `fn` reads the live object and plans
 * under them, and hands its steps to `apply`: steps that all allow a
 * transaction run in this one, so observe, plan and apply are atomic; when one
 * cannot (`CREATE INDEX CONCURRENTLY`), the locks are taken at session level
 * too, the transaction (which only read) commits, and the steps run as
 * {@link applySteps} runs them, the locks released after `fn` returns.
 *
 * Taking the locks costs one statement when no other apply holds them;
 * otherwise the wait is bounded by `statement_timeout`, not by the short
 * `lock_timeout` meant for DDL on busy tables. A failure rolls the
 * transaction back. `watch`: who watches the steps run (see {@link applySteps}).
 */
export async function withObjectLocks<T>(
  client: PoolClient,
  resource: string,
  locks: ObjectLocks,
  fn: (apply: (steps: readonly Step[]) => Promise<void>) => Promise<T>,
  watch?: ApplyWatch,
): Promise<T> {
  const held = ordered(locks);
  let inTransaction = true;
  let sessionLocked = false;
  markOpenTransaction(client, true);
  try {
    if (!(await tryLocks(client, held))) await waitForLocks(client, held);
    const result = await fn(async (steps) => {
      if (steps.length === 0) return;
      if (inTransaction && steps.every((s) => s.transactional)) {
        inTransaction = false; // a failed step rolls the transaction back
        await applySteps(client, resource, steps, { inOpenTransaction: true, watch });
        inTransaction = true;
        return;
      }
      if (inTransaction) {
        await client.query(`SELECT ${lockCalls("pg_advisory_lock", held)}`);
        sessionLocked = true;
        await client.query("COMMIT");
        inTransaction = false;
        markOpenTransaction(client, false);
      }
      await applySteps(client, resource, steps, { watch });
    });
    if (inTransaction) {
      inTransaction = false;
      await client.query("COMMIT").catch((error: Error) => {
        throw sessionLost(error)
          ? new Error(`${resource}: the session was lost during COMMIT: ${error.message}\n  (whether the transaction committed is unknown: run \`pulumi refresh\` to read the live state, then \`pulumi up\` again)`)
          : new Error(`${resource}: COMMIT failed: ${error.message} (the transaction was rolled back; nothing was changed)`);
      });
    }
    if (sessionLocked) {
      sessionLocked = false;
      await client.query(`SELECT ${lockCalls("pg_advisory_unlock", held)}`);
    }
    return result;
  } catch (error) {
    // A lost session took its transaction and locks with it: only the first error matters.
    if (inTransaction) await client.query("ROLLBACK").catch(() => undefined);
    if (sessionLocked) await client.query(`SELECT ${lockCalls("pg_advisory_unlock", held)}`).catch(() => undefined);
    throw error;
  } finally {
    markOpenTransaction(client, false);
  }
}

/** Opens the transaction and tries to take `held` in it, in one round trip (simple protocol); false, the transaction still open, when another apply holds one of them. */
async function tryLocks(client: PoolClient, held: Lock[], comment = ""): Promise<boolean> {
  const results = (await client.query(`BEGIN; SELECT ${comment}${lockCalls("pg_try_advisory_xact_lock", held, " AND ")} AS ok`)) as unknown as QueryResult<{ ok: boolean }>[];
  return results[1].rows[0].ok;
}

/** Marks the statements of an apply waiting for another's locks, for `pg_stat_activity.query`. */
const WAITING = "/* pgstrata: waiting for another apply's locks */ ";

/**
 * Waits for locks another apply holds, bounded by `statement_timeout`: tries
 * all of them in a transaction of its own, backing off from 20 ms to 1 s
 * between tries, when no transaction is open. Not a blocking
 * `pg_advisory_xact_lock`: a statement waiting in it holds a snapshot, and
 * the apply holding the lock may be in a `CREATE INDEX CONCURRENTLY`, which
 * waits for every transaction with an older snapshot to end (PostgreSQL docs
 * "CREATE INDEX", Building Indexes Concurrently): a deadlock. Each try takes
 * all locks or none, so waiting applies never hold one another up.
 */
async function waitForLocks(client: PoolClient, held: Lock[]): Promise<void> {
  const { rows } = await client.query<{ ms: number }>(`${WAITING}ROLLBACK; SELECT setting::int AS ms FROM pg_settings WHERE name = 'statement_timeout'`).then((r) => (r as unknown as QueryResult<{ ms: number }>[])[1]);
  const deadline = rows[0].ms === 0 ? Infinity : Date.now() + rows[0].ms;
  for (let pause = 20; ; pause = Math.min(pause * 2, 1000)) {
    if (Date.now() + pause > deadline) {
      throw new Error(
        `another pgstrata apply held a lock this apply needs (advisory locks ${held.map((l) => l.key).join(", ")}, see pg_locks) for longer than statement_timeout (${rows[0].ms} ms); nothing was changed`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    if (await tryLocks(client, held, WAITING)) return;
    await client.query(`${WAITING}ROLLBACK`);
  }
}
