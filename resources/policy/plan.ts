import { changedProperties } from "../core/compare";
import { qualifiedName, quoteIdent } from "../core/quote";
import { Step, step } from "../core/step";
import { PolicyFacts } from "./observe";
import { PolicySpec } from "./spec";

const on = (p: PolicySpec) => `${quoteIdent(p.name)} ON ${qualifiedName(p.schema, p.table)}`;
const to = (p: PolicySpec) => `TO ${p.roles.map((r) => (r === "public" ? "PUBLIC" : quoteIdent(r))).join(", ")}`;
const expressions = (p: PolicySpec) =>
  [p.using === undefined ? "" : ` USING (${p.using})`, p.withCheck === undefined ? "" : ` WITH CHECK (${p.withCheck})`].join("");

function createPolicy(p: PolicySpec): Step {
  return step(`CREATE POLICY ${on(p)} AS ${p.mode.toUpperCase()} FOR ${p.command.toUpperCase()} ${to(p)}${expressions(p)}`);
}

/**
 * Steps from `live` to `desired`. Roles and expressions change in place
 * (`ALTER POLICY`); a changed command or mode, or an expression removed
 * (which `ALTER POLICY` cannot do), drops and re-creates the policy in the
 * same transaction, so no moment is without it. Throws before any SQL when a
 * declared role does not exist.
 */
export function planPolicy(live: PolicySpec | undefined, desired: PolicySpec, facts: PolicyFacts | undefined): Step[] {
  const missing = facts?.missingRoles ?? [];
  if (missing.length > 0) {
    throw new Error(
      `Policy ${desired.schema}.${desired.table}.${desired.name}: roles: role${missing.length > 1 ? "s" : ""} ${missing.map((r) => `"${r}"`).join(", ")} do${missing.length > 1 ? "" : "es"} not exist. ` +
        `Create ${missing.length > 1 ? "them" : "it"} first (e.g. a @pulumi/postgresql Role, and pass its name output in roles), or fix the name.`,
    );
  }
  if (!live) return [createPolicy(desired)];
  const changed = changedProperties(live, desired, ["command", "mode", "roles", "using", "withCheck"]);
  if (changed.length === 0) return [];
  const removesExpression = (live.using !== undefined && desired.using === undefined) || (live.withCheck !== undefined && desired.withCheck === undefined);
  if (changed.includes("command") || changed.includes("mode") || removesExpression) return [dropPolicyStep(live), createPolicy(desired)];
  const roles = changed.includes("roles") ? ` ${to(desired)}` : "";
  const using = changed.includes("using") ? ` USING (${desired.using})` : "";
  const withCheck = changed.includes("withCheck") ? ` WITH CHECK (${desired.withCheck})` : "";
  return [step(`ALTER POLICY ${on(desired)}${roles}${using}${withCheck}`)];
}

function dropPolicyStep(p: PolicySpec): Step {
  return step(`DROP POLICY ${on(p)}`);
}

/**
 * `DROP POLICY`. Dropping the last policy of a table with row security
 * enabled is allowed and leaves the table deny-all for non-owners; in schemas
 * under `requireRowLevelSecurity` the program then fails preview instead.
 */
export function dropPolicy(live: PolicySpec): Step[] {
  return [dropPolicyStep(live)];
}
