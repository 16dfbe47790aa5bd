import * as pulumi from "@pulumi/pulumi";
import { Policy } from "./policy";
import { Table } from "./table";

/** Which schemas must be covered by row-level security. */
export interface RowLevelSecurityRequirement {
  /** Schemas every table of which must have row security enabled and forced, and at least one policy, e.g. `["app", "ops"]`. */
  schemas: string[];
}

/** A declared table, as far as the rule needs it. */
interface DeclaredTable {
  schema: string;
  name: string;
  rowLevelSecurity?: { enabled: boolean; forced?: boolean };
}

/**
 * One message per table of `schemas` that breaks the rule: row security not
 * enabled, not forced (its owner would bypass the policies), or no policy
 * declared for it (enabled with no policy is deny-all, which is never what a
 * multi-tenant table wants).
 */
function rowLevelSecurityProblems(schemas: string[], tables: DeclaredTable[], policies: { schema: string; name: string }[]): string[] {
  return tables
    .filter((t) => schemas.includes(t.schema))
    .flatMap((t) => {
      const name = `${t.schema}.${t.name}`;
      const problems = [
        ...(t.rowLevelSecurity?.enabled ? [] : ["rowLevelSecurity.enabled is not true"]),
        ...(t.rowLevelSecurity?.forced ? [] : ["rowLevelSecurity.forced is not true (its owner bypasses the policies)"]),
        ...(policies.some((p) => p.schema === t.schema && p.name === t.name) ? [] : ["no Policy is declared for it"]),
      ];
      return problems.length === 0 ? [] : [`table ${name}: ${problems.join("; ")}`];
    });
}

/** Whether `value` is a plain value (not an Output or a Promise, at any depth): what the rule can judge while the program runs. */
function isPlain(value: unknown): boolean {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise) && (typeof value !== "object" || value === null || Object.values(value).every(isPlain));
}

/**
 * Makes "row-level security on every tenant table" a rule of the program
 * rather than a checklist item: call it after declaring the tables and
 * policies (and export its result from the program). When a table of
 * `requirement.schemas` among `declared.tables` lacks `rowLevelSecurity: {
 * enabled: true, forced: true }` or a {@link Policy} among
 * `declared.policies`, it throws while the program runs, so `pulumi preview`
 * (and `up`) fails before any resource is changed, with one error naming each
 * such table and what it lacks. Tables of other schemas are not judged.
 *
 * The tables' `schema`, `name` and `rowLevelSecurity`, and the policies'
 * `table`, must be plain values (not outputs of other resources), so that the
 * rule is judged before anything runs; otherwise it throws saying which.
 *
 * @returns the covered tables (`schema.name`), sorted.
 */
export function requireRowLevelSecurity(requirement: RowLevelSecurityRequirement, declared: { tables: Table[]; policies: Policy[] }): string[] {
  const plain = <T>(what: string, value: pulumi.Input<T> | undefined): T | undefined => {
    if (!isPlain(value)) {
      throw new Error(`requireRowLevelSecurity: ${what} is not a plain value (an output of another resource): declare it literally so the rule can be judged before anything runs`);
    }
    return value as T | undefined;
  };
  const tables = declared.tables.map((t) => ({
    schema: plain(`the schema of table resource ${t.declared.name}`, t.declared.schema)!,
    name: plain("a table's name", t.declared.name)!,
    rowLevelSecurity: plain(`rowLevelSecurity of table ${t.declared.name}`, t.declared.rowLevelSecurity),
  }));
  const policies = declared.policies.map((p) => ({ schema: plain("the schema of a policy's table", p.target.schema)!, name: plain("a policy's table", p.target.name)! }));
  const problems = rowLevelSecurityProblems(requirement.schemas, tables, policies);
  if (problems.length > 0) {
    throw new Error(
      `requireRowLevelSecurity: every table of schemas ${requirement.schemas.join(", ")} must have rowLevelSecurity: { enabled: true, forced: true } and at least one Policy:\n  ` +
        problems.join("\n  ") +
        `\nDeclare them (or move the table out of these schemas).`,
    );
  }
  return tables.filter((t) => requirement.schemas.includes(t.schema)).map((t) => `${t.schema}.${t.name}`).sort();
}
