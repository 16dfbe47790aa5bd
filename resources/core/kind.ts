import type { PoolClient } from "pg";
import type { z } from "zod";
import type { Connection } from "./connection";
import type { ObjectLocks } from "./locks";
import type { Step } from "./step";
import type { JobStatus } from "./timescaledb";

/** The state of the last apply or refresh: what the user declared then, and what the catalogs printed for it. */
export interface Previous<S> {
  declared: S;
  observed: S;
}

/**
 * What one kind of PostgreSQL object (schema, table, hypertable, …) tells the
 * generic adapter (core/provider.ts). A kind writes no Pulumi plumbing.
 *
 * `S` is the kind's canonical shape: what its zod schema yields and what
 * `observe` returns, so that declared and live states compare exactly.
 * `F` are facts about the data (row counts) that planners need for hazards;
 * they are read only when planning, never on refresh.
 */
export interface Kind<S extends object, F = undefined> {
  /** Pulumi type name: `Table` gives the token `pulumi-nodejs:dynamic/pgstrata:Table`. */
  readonly type: string;
  /** The zod schema of the object's properties (without `connection`/`allowHazards`); the same schema on every call (build it once, see core/once.ts). */
  schema(): z.ZodType<S>;
  /** The object's name as users read it and the resource ID, e.g. `events.event_store`. */
  identity(spec: S): string;
  /**
   * Properties that only feed `check` (e.g. a hypertable's view of its
   * table's declaration): validated there, then dropped from the checked
   * inputs and never compared by `diff`, so a change of them alone is no change
   * of this object.
   */
  readonly checkOnly?: readonly (keyof S & string)[];
  /** The advisory locks an apply of `spec` holds (core/locks.ts). Default: exclusive on `<type> <identity>`. */
  locks?(spec: S): ObjectLocks;
  /** Pure, at `check`: problems of changing `old` into `next` that no single spec shows (e.g. a replace that needs an option). */
  checkChange?(old: S, next: S): { property: keyof S & string; reason: string }[];
  /** Pure: the changed properties that PostgreSQL cannot change in place, so that the object must be replaced. */
  replaces(old: S, next: S): (keyof S & string)[];
  /**
   * Reads the live object named by `desired` in one round trip where possible;
   * undefined when it does not exist. Properties that are options rather than
   * state (e.g. `cascade`) are echoed from `desired`. `connection` reaches
   * other databases of the server (core/connection.ts `inDatabase`), for
   * state kept there (pg_cron's jobs).
   */
  observe(client: PoolClient, desired: S, connection: Connection): Promise<S | undefined>;
  /**
   * `desired` with its SQL expressions in the server's canonical form;
   * identity when it has none. `live` (undefined: absent) and `previous` let a
   * kind skip the round trips: an absent table is created from the declared
   * text, and a text the previous apply declared in the same context has the
   * canonical form it observed.
   */
  canonicalize?(client: PoolClient, desired: S, live: S | undefined, previous: Previous<S> | undefined): Promise<S>;
  /**
   * `live` with its SQL expressions that differ from `desired`'s (already
   * canonical) put through the same canonicalization, so that planning
   * compares fixed point with fixed point: a hand-written expression whose
   * printed text re-parses differently (an IN list over varchar) then equals
   * its declaration and is adopted without SQL. For planning only; what
   * `observe` returns (refresh, outputs) is untouched. Returns `live` as it is
   * when an expression does not build (it then differs, as it should).
   */
  canonicalizeLive?(client: PoolClient, live: S, desired: S): Promise<S>;
  /** Facts about the data, for hazards (e.g. rows at stake), read while planning a create, update or delete. */
  facts?(client: PoolClient, desired: S, live: S | undefined): Promise<F>;
  /** Facts read only before a drop (e.g. the rows of every table a schema holds), when they differ from {@link facts}; default `facts`. */
  dropFacts?(client: PoolClient, live: S): Promise<F>;
  /** Pure: the steps that take `live` (undefined: absent) to `desired`. Throws, naming the property and the fix, when no plan can work. */
  plan(live: S | undefined, desired: S, facts: F | undefined): Step[];
  /** The object's TimescaleDB policy jobs and their last run, reported as the `jobs` output after every create, update and refresh (status, not state: never diffed). */
  jobs?(client: PoolClient, live: S): Promise<JobStatus[]>;
  /** Pure: the steps that remove `live`, with their hazards. Throws when removal must be refused outright. */
  drop(live: S, facts: F | undefined): Step[];
}
