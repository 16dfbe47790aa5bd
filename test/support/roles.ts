import type { Client } from "pg";

/**
 * The roles of the stacks model, created with SQL as `@pulumi/postgresql`
 * would create them (its plugin cannot run here): `app_owner` (owns what the
 * migrations create), `app_user` (the application, LOGIN, no BYPASSRLS),
 * `app_readonly`. Roles are cluster-wide and every test file shares the
 * server, so creating them is idempotent. Passwords are the role's name.
 */
export const ROLES = ["app_owner", "app_user", "app_readonly"] as const;

export async function createRoles(sql: Client): Promise<void> {
  for (const role of ROLES) {
    await sql.query(
      `DO $$ BEGIN
         IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN NOBYPASSRLS PASSWORD '${role}'; END IF;
       END $$`,
    );
  }
}

/** `url` with `role` (and its password) as the user. */
export function urlAs(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = role;
  return u.toString();
}
