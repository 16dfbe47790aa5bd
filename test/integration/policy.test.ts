import { Client } from "pg";
import { providerFor } from "../../resources/core/provider";
import { policyKind } from "../../resources/policy/kind";
import { conformanceCycle } from "../support/conformance";
import { expectOneStatementPreview } from "../support/statements";
import { createRoles } from "../support/roles";
import { scratchDatabase } from "../support/scratch";

let db: Awaited<ReturnType<typeof scratchDatabase>>;
beforeAll(async () => {
  db = await scratchDatabase("policy");
  await createRoles(db.sql);
  await db.sql.query(`CREATE SCHEMA app;
    CREATE TABLE app.docs (id bigint PRIMARY KEY, tenant_id uuid NOT NULL, owner text, body text);
    ALTER TABLE app.docs ENABLE ROW LEVEL SECURITY`);
});
afterAll(() => db.close());

const provider = providerFor(policyKind);
const TENANT = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid";
const TENANT_CANONICAL = "(tenant_id = (NULLIF(current_setting('app.tenant_id'::text, true), ''::text))::uuid)";

const policies = async (sql: Client, table = "app.docs") =>
  (
    await sql.query(
      `SELECT polname, polcmd, polpermissive, ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END FROM unnest(polroles) r ORDER BY 1) AS roles,
              pg_get_expr(polqual, polrelid) AS using, pg_get_expr(polwithcheck, polrelid) AS with_check
         FROM pg_policy WHERE polrelid = to_regclass($1) ORDER BY polname`,
      [table],
    )
  ).rows;

describe("Policy conformance cycle", () => {
  conformanceCycle(() => db.sql, () => {
    const base = { connection: { url: db.url }, schema: "app", table: "docs", name: "tenant_isolation", roles: ["app_user"], using: TENANT };
    return {
      provider,
      inputs: base,
      verifyCreated: async (sql) =>
        expect(await policies(sql)).toEqual([{ polname: "tenant_isolation", polcmd: "*", polpermissive: true, roles: ["app_user"], using: TENANT_CANONICAL, with_check: null }]),
      drift: { sql: "ALTER POLICY tenant_isolation ON app.docs TO public", property: "roles" },
      update: {
        // command and mode cannot be altered: dropped and re-created in one transaction
        inputs: { ...base, command: "select", mode: "restrictive", roles: ["app_user", "app_readonly"] },
        verify: async (sql) =>
          expect(await policies(sql)).toEqual([{ polname: "tenant_isolation", polcmd: "r", polpermissive: false, roles: ["app_readonly", "app_user"], using: TENANT_CANONICAL, with_check: null }]),
      },
      replace: { inputs: { ...base, name: "tenant_rows" }, property: "name" },
      verifyDeleted: async (sql) => expect(await policies(sql)).toEqual([]),
    };
  });
});

test("roles and expressions change in place with ALTER POLICY; the canonical text of an expression is no diff", async () => {
  const base = { connection: { url: db.url }, schema: "app", table: "docs", name: "owner_writes", command: "update", roles: ["app_user"], using: TENANT, withCheck: "owner = current_user" };
  const { id, outs } = await provider.create((await provider.check!({}, base)).inputs);
  expect(outs.appliedSql).toEqual([`CREATE POLICY "owner_writes" ON "app"."docs" AS PERMISSIVE FOR UPDATE TO "app_user" USING (${TENANT_CANONICAL}) WITH CHECK ((owner = CURRENT_USER))`]);
  // the server's own text, declared back, is the same policy
  const canonical = { ...base, using: TENANT_CANONICAL, withCheck: "(owner = CURRENT_USER)" };
  expect((await provider.diff!(id, outs, (await provider.check!(outs, canonical)).inputs)).changes).toBe(true); // inputs differ as text…
  const same = await provider.update!(id, outs, (await provider.check!(outs, canonical)).inputs);
  expect(same.outs.appliedSql).toEqual([]); // …but the server sees the same policy: nothing to run

  const changed = { ...base, roles: ["app_user", "app_readonly"], withCheck: "owner = session_user" };
  const updated = await provider.update!(id, same.outs, (await provider.check!(same.outs, changed)).inputs);
  expect(updated.outs.appliedSql).toEqual([`ALTER POLICY "owner_writes" ON "app"."docs" TO "app_readonly", "app_user" WITH CHECK ((owner = SESSION_USER))`]);
  expect(await policies(db.sql)).toContainEqual(expect.objectContaining({ polname: "owner_writes", roles: ["app_readonly", "app_user"], with_check: "(owner = SESSION_USER)" }));

  const noCheck = { ...changed, withCheck: undefined };
  const dropped = await provider.update!(id, updated.outs, (await provider.check!(updated.outs, noCheck)).inputs);
  expect(dropped.outs.appliedSql).toEqual([
    `DROP POLICY "owner_writes" ON "app"."docs"`,
    `CREATE POLICY "owner_writes" ON "app"."docs" AS PERMISSIVE FOR UPDATE TO "app_readonly", "app_user" USING (${TENANT_CANONICAL})`,
  ]);
  await provider.delete!(id, dropped.outs);
  expect(await policies(db.sql)).toEqual([]);
});

describe("bad input fails naming the property; nothing is created", () => {
  const base = { connection: { url: "postgres://nobody@127.0.0.1:9/nowhere" }, schema: "app", table: "docs", name: "bad" };
  test.each([
    ["withCheck on select", { command: "select", using: "true", withCheck: "true" }, "withCheck", /^WITH CHECK cannot be applied to SELECT or DELETE \(PostgreSQL\).*move the expression to using$/],
    ["withCheck on delete", { command: "delete", using: "true", withCheck: "true" }, "withCheck", /^WITH CHECK cannot be applied to SELECT or DELETE/],
    ["using on insert", { command: "insert", using: "true", withCheck: "true" }, "using", /^only WITH CHECK expression allowed for INSERT \(PostgreSQL\).*move the expression to withCheck$/],
    ["an unknown command", { command: "upsert", using: "true" }, "command", /use one of all, select, insert, update, delete/],
    ["no using on select", { command: "select" }, "using", /^required: a select policy needs using/],
    ["an unknown mode", { mode: "strict", using: "true" }, "mode", /use permissive or restrictive/],
    ["an empty role name", { roles: [""], using: "true" }, "roles[0]", /must not be empty: PostgreSQL identifiers are 1–63 bytes/],
    ["two statements", { using: "true); DROP TABLE app.docs; --" }, "using", /must be exactly one SQL expression: syntax error at or near "\)"/],
    ["a syntax error", { using: "tenant_id = = 1" }, "using", /must be exactly one SQL expression: syntax error at or near "="/],
  ])("%s", async (_label, props, property, reason) => {
    const { failures } = await provider.check!({}, { ...base, ...props });
    expect(failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
    await expect(provider.create({ ...base, ...props })).rejects.toThrow(`${property}: `);
    expect(await policies(db.sql)).toEqual([]);
  });

  test.each([
    ["an unknown column", { using: "true", withCheck: "tenant = 1" }, /^Policy app\.docs\.bad: withCheck: column "tenant" does not exist/],
    ["a missing role", { roles: ["app_user", "nobody_here"], using: "true" }, /^Policy app\.docs\.bad: roles: role "nobody_here" does not exist\. Create it first \(e\.g\. a @pulumi\/postgresql Role/],
    ["a missing table", { table: "nothing", using: "true" }, /^Policy app\.nothing\.bad: table: relation "app\.nothing" does not exist: declare the table with a Table resource/],
  ])("%s fails before any SQL", async (_label, props, error) => {
    const inputs = (await provider.check!({}, { ...base, connection: { url: db.url }, ...props })).inputs;
    await expect(provider.create(inputs)).rejects.toThrow(error);
    expect(await policies(db.sql)).toEqual([]);
  });
});

test("a no-op preview of a policy runs one statement (the canonical text of an unchanged expression comes from the last apply), and hand-edited USING is still drift", async () => {
  const inputs = (await provider.check!({}, { connection: { url: db.url }, schema: "app", table: "docs", name: "preview_reads", roles: ["app_user"], using: TENANT })).inputs;
  await expectOneStatementPreview(db.sql, provider, inputs, "ALTER POLICY preview_reads ON app.docs USING (owner = current_user)");
});
