import type { Client } from "pg";

/**
 * The roles of the stacks model, created with SQL as `@pulumi/postgresql`
 * creates them from stacks/access.ts (its plugin cannot run here):
 * `app_owner` and `app_readonly` NOLOGIN (tests act as them with `SET
 * ROLE`), `app_user` LOGIN with password `app_user`; none BYPASSRLS. Roles
 * are cluster-wide and every test file shares the server, so creating them
 * is idempotent.
 */
export const ROLES = { app_owner: "NOLOGIN", app_user: "LOGIN PASSWORD 'app_user'", app_readonly: "NOLOGIN" } as const;

export async function createRoles(sql: Client): Promise<void> {
  for (const [role, attributes] of Object.entries(ROLES)) {
    await sql.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} NOBYPASSRLS ${attributes}; END IF; END $$`);
  }
}

/** `url` with `role` (password: its name) as the user. */
export function urlAs(url: string, role: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = role;
  return u.toString();
}
