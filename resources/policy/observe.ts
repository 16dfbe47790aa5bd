import type { PoolClient } from "pg";
import { prepared } from "../core/prepared";
import { canonicalFixedPoint, previousCanonical } from "../core/canonical";
import type { Previous } from "../core/kind";
import { qualifiedName } from "../core/quote";
import { inRolledBackTransaction, runStatement } from "../core/session";
import { stoppedError, unlessStopped } from "../core/stopped";
import { PolicySpec } from "./spec";

/** `pg_policy.polcmd` → command. */
const COMMANDS: Record<string, PolicySpec["command"]> = { "*": "all", r: "select", a: "insert", w: "update", d: "delete" };

const label = (p: PolicySpec) => `Policy ${p.schema}.${p.table}.${p.name}`;
/** What the scratch check of a policy does, for an error when the server stops it (core/stopped.ts). */
const checking = (p: PolicySpec) => `checking the policy on a scratch copy of ${p.schema}.${p.table}`;

/**
 * The live policy named by `desired`, from `pg_policy` in one round trip
 * (expressions by `pg_get_expr` in a pgstrata session, roles sorted, `public`
 * for PUBLIC); undefined when the table has no such policy.
 */
export async function observePolicy(client: PoolClient, desired: PolicySpec): Promise<PolicySpec | undefined> {
  const { rows } = await client.query<{ cmd: string; permissive: boolean; roles: string[]; using: string | null; with_check: string | null }>(
    prepared(
      `SELECT p.polcmd AS cmd, p.polpermissive AS permissive,
              ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(p.polroles) r) AS roles,
              pg_get_expr(p.polqual, p.polrelid) AS using, pg_get_expr(p.polwithcheck, p.polrelid) AS with_check
         FROM pg_policy p WHERE p.polrelid = to_regclass($1) AND p.polname = $2`,
      [qualifiedName(desired.schema, desired.table), desired.name],
    ),
  );
  if (rows.length === 0) return undefined;
  const r = rows[0];
  return {
    schema: desired.schema,
    table: desired.table,
    name: desired.name,
    command: COMMANDS[r.cmd],
    mode: r.permissive ? "permissive" : "restrictive",
    roles: [...r.roles].sort(),
    using: r.using ?? undefined,
    withCheck: r.with_check ?? undefined,
  };
}

/**
 * `desired` with `using` and `withCheck` in the server's canonical text: each
 * is built as a policy on a temporary copy of the table (`LIKE` it) inside a
 * transaction that is rolled back, and read back with `pg_get_expr`, until a
 * fixed point (core/canonical.ts). Planning never evaluates them. Throws,
 * naming the policy and the property, when an expression does not build
 * (syntax error, unknown column or function) or the table does not exist.
 * No round trip when the previous apply declared both texts in the same
 * words (see {@link fromPrevious}).
 */
export async function canonicalizePolicy(client: PoolClient, desired: PolicySpec, _live?: PolicySpec, previous?: Previous<PolicySpec>): Promise<PolicySpec> {
  const known = previous && fromPrevious(desired, previous);
  if (known) return known;
  return canonicalFixedPoint(desired, (current) =>
    inRolledBackTransaction(client, async () => {
      const table = qualifiedName(desired.schema, desired.table);
      try {
        await runStatement(client, `CREATE TEMP TABLE pgstrata_canonical (LIKE ${table})`);
      } catch (error) {
        throw stoppedError(label(desired), checking(desired), error) ?? new Error(`${label(desired)}: table: ${(error as Error).message}: declare the table with a Table resource and pass that resource as \`table\`.`);
      }
      return { ...current, using: await canonicalExpression(client, desired, "using", current.using), withCheck: await canonicalExpression(client, desired, "withCheck", current.withCheck) };
    }),
  );
}

/**
 * `desired` with the canonical `using` and `withCheck` the previous apply
 * observed for the texts it declared in the same words (core/canonical.ts
 * `previousCanonical`); undefined when one is new.
 */
function fromPrevious(desired: PolicySpec, { declared, observed }: Previous<PolicySpec>): PolicySpec | undefined {
  const using = desired.using === undefined ? undefined : previousCanonical(desired.using, declared.using, observed.using);
  const withCheck = desired.withCheck === undefined ? undefined : previousCanonical(desired.withCheck, declared.withCheck, observed.withCheck);
  if (using === undefined && desired.using !== undefined) return undefined;
  if (withCheck === undefined && desired.withCheck !== undefined) return undefined;
  return { ...desired, using, withCheck };
}

/**
 * `live` with `using` and `withCheck`, where they differ from `desired`'s
 * canonical text, brought to their own fixed point the same way (see
 * Kind.canonicalizeLive): a hand-made policy then compares equal to its
 * declaration. Left as they are when they do not build; throws when the
 * server stopped the check (core/stopped.ts).
 */
export async function canonicalizeLivePolicy(client: PoolClient, live: PolicySpec, desired: PolicySpec): Promise<PolicySpec> {
  if (live.using === desired.using && live.withCheck === desired.withCheck) return live;
  const canonical = await canonicalizePolicy(client, { ...desired, using: live.using, withCheck: live.withCheck }).catch(unlessStopped);
  return canonical ? { ...live, using: canonical.using, withCheck: canonical.withCheck } : live;
}

async function canonicalExpression(client: PoolClient, policy: PolicySpec, property: "using" | "withCheck", expression: string | undefined): Promise<string | undefined> {
  if (expression === undefined) return undefined;
  const scratch = `pgstrata_${property.toLowerCase()}`;
  try {
    await runStatement(client, `CREATE POLICY ${scratch} ON pg_temp.pgstrata_canonical USING (${expression})`);
  } catch (error) {
    throw (
      stoppedError(label(policy), checking(policy), error) ??
      new Error(
        `${label(policy)}: ${property}: ${(error as Error).message}. ` +
          `Write one boolean SQL expression over the table's columns (objects outside pg_catalog and public must be schema-qualified).`,
      )
    );
  }
  const { rows } = await client.query<{ expr: string }>(
    "SELECT pg_get_expr(polqual, polrelid) AS expr FROM pg_policy WHERE polrelid = 'pg_temp.pgstrata_canonical'::regclass AND polname = $1",
    [scratch],
  );
  return rows[0].expr;
}

/** What planning a policy needs to know besides the policy itself. */
export interface PolicyFacts {
  /** Declared roles that do not exist. */
  missingRoles: string[];
}

/** The declared roles that do not exist, in one round trip. */
export async function policyFacts(client: PoolClient, desired: PolicySpec): Promise<PolicyFacts> {
  const { rows } = await client.query<{ missing: string[] }>(
    `SELECT ARRAY(SELECT r FROM unnest($1::text[]) r WHERE r <> 'public' AND NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) ORDER BY 1) AS missing`,
    [desired.roles],
  );
  return { missingRoles: rows[0].missing };
}
