import { z } from "zod";
import { identifier, schemaName, sqlExpression } from "../core/spec";

/** `FOR` commands (docs "CREATE POLICY"), in lower case as declared. */
export const POLICY_COMMANDS = ["all", "select", "insert", "update", "delete"] as const;

/**
 * A row-level security policy (docs "CREATE POLICY", §5.9 "Row Security
 * Policies") on a table of the program or one managed elsewhere.
 *
 * Rules checked at `check`, in PostgreSQL's words:
 * - `withCheck` on `select` or `delete`: "WITH CHECK cannot be applied to SELECT or DELETE";
 * - `using` on `insert`: "only WITH CHECK expression allowed for INSERT";
 * - a policy must say which rows it admits: `using` for `all`, `select`,
 *   `update`, `delete`; `withCheck` for `insert`.
 * A role that does not exist fails before any SQL, naming it.
 */
export function policySpec() {
  return z
    .strictObject({
      /** Schema of the table. */
      schema: schemaName(),
      /** The table the policy applies to. Changing it replaces the policy. */
      table: identifier(),
      /** Policy name, unique per table. Changing it replaces the policy (the new one is created before the old one is dropped). */
      name: identifier(),
      /**
       * `FOR ALL | SELECT | INSERT | UPDATE | DELETE`; default `all`. A change
       * drops and re-creates the policy in one transaction (PostgreSQL cannot
       * alter it), so there is no moment without it.
       */
      command: z.enum(POLICY_COMMANDS, { error: `use one of ${POLICY_COMMANDS.join(", ")}` }).default("all"),
      /**
       * `AS PERMISSIVE` (default: rows any permissive policy allows) or `AS
       * RESTRICTIVE` (rows must also pass every restrictive policy). A change
       * drops and re-creates the policy in one transaction.
       */
      mode: z.enum(["permissive", "restrictive"], { error: "use permissive or restrictive" }).default("permissive"),
      /**
       * Roles the policy applies to (`TO …`); default `["public"]` (every
       * role). Each a role name, or a `@pulumi/postgresql` `Role`'s `name`
       * output (Pulumi then creates the role first). Changes in place.
       */
      roles: z.array(identifier()).min(1, "list at least one role, or leave roles unset for public").default(["public"]),
      /** `USING (…)`: which existing rows are visible / may be updated or deleted. A boolean SQL expression over the table's columns, compared by the server's canonical text. Changes in place. */
      using: sqlExpression().optional(),
      /** `WITH CHECK (…)`: which new or updated rows may be written; unset on `all`/`update`: `using` applies. Compared by the server's canonical text. Changes in place. */
      withCheck: sqlExpression().optional(),
    })
    .superRefine((p, ctx) => {
      if (p.withCheck !== undefined && (p.command === "select" || p.command === "delete")) {
        ctx.addIssue({ code: "custom", path: ["withCheck"], message: `WITH CHECK cannot be applied to SELECT or DELETE (PostgreSQL): a ${p.command} policy only filters existing rows; move the expression to using` });
      }
      if (p.using !== undefined && p.command === "insert") {
        ctx.addIssue({ code: "custom", path: ["using"], message: "only WITH CHECK expression allowed for INSERT (PostgreSQL): an insert policy judges new rows; move the expression to withCheck" });
      }
      if (p.command === "insert" ? p.withCheck === undefined : p.using === undefined) {
        const property = p.command === "insert" ? "withCheck" : "using";
        ctx.addIssue({ code: "custom", path: [property], message: `required: a ${p.command} policy needs ${property}, the boolean expression of the rows it admits (e.g. "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid")` });
      }
    })
    .transform((p) => ({ ...p, roles: [...new Set(p.roles)].sort() }));
}

export type PolicySpec = z.output<ReturnType<typeof policySpec>>;
export type PolicyInput = z.input<ReturnType<typeof policySpec>>;
