import * as pulumi from "@pulumi/pulumi";
import { Connection, Policy, Table } from "pgstrata";

/**
 * The tenant of a session: `SET app.tenant_id = '<uuid>'` (or `SET LOCAL` per
 * transaction). `current_setting(…, true)` is NULL when it was never set and
 * `''` after a RESET, so `NULLIF` makes both mean "no tenant" (no rows, no
 * writes) instead of an error casting `''` to uuid.
 */
export const TENANT_EXPRESSION = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid";

/** The column every tenant table carries. */
export const TENANT_COLUMN = { name: "tenant_id", type: "uuid", nullable: false } as const;

/** Row security of a tenant table: enabled, and forced so that the table's owner is subject to it too. */
export const TENANT_ROW_SECURITY = { enabled: true, forced: true } as const;

/**
 * The tenant policy of `table`: every command, for `roles`, admits the rows
 * of the session's tenant (`using`, also the check of new rows).
 */
export function tenantPolicy(connection: pulumi.Input<Connection>, table: Table, roles: pulumi.Input<string>[]): Policy {
  return new Policy(`${table.declared.schema}.${table.declared.name}.tenant_isolation`, { connection, table, name: "tenant_isolation", roles, using: TENANT_EXPRESSION });
}
