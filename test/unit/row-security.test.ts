import { planPolicy } from "../../resources/policy/plan";
import { policySpec } from "../../resources/policy/spec";
import { rowSecuritySteps } from "../../resources/table/row-security";

const sql = (steps: { sql: string }[]) => steps.map((s) => s.sql);

describe("Table.rowLevelSecurity steps", () => {
  test("unset is not managed; enabling and forcing are two statements; disabling leaves children alone", () => {
    expect(rowSecuritySteps('"app"."t"', "app.t", { enabled: false, forced: false }, undefined, [])).toEqual([]);
    expect(sql(rowSecuritySteps('"app"."t"', "app.t", undefined, { enabled: true, forced: true }, []))).toEqual([
      'ALTER TABLE "app"."t" ENABLE ROW LEVEL SECURITY',
      'ALTER TABLE "app"."t" FORCE ROW LEVEL SECURITY',
    ]);
    const exposed = { enabled: true, forced: false, exposedChildren: [{ schema: "app", name: "t_1", chunk: false, grantees: [] }] };
    expect(sql(rowSecuritySteps('"app"."t"', "app.t", exposed, { enabled: false, forced: false }, []))).toEqual(['ALTER TABLE "app"."t" DISABLE ROW LEVEL SECURITY']);
  });

  test("chunks lose every non-owner privilege, PUBLIC included; partitions get row security", () => {
    const live = {
      enabled: true,
      forced: true,
      exposedChildren: [
        { schema: "_timescaledb_internal", name: "_hyper_1_1_chunk", chunk: true, grantees: ["app_user", "public"] },
        { schema: "app", name: "t_2024", chunk: false, grantees: ["app_user"] },
      ],
    };
    expect(sql(rowSecuritySteps('"app"."t"', "app.t", live, { enabled: true, forced: true }, []))).toEqual([
      'REVOKE ALL ON TABLE "_timescaledb_internal"."_hyper_1_1_chunk" FROM "app_user", PUBLIC',
      'ALTER TABLE "app"."t_2024" ENABLE ROW LEVEL SECURITY',
    ]);
  });

  test("enabling it on a hypertable with compression or a continuous aggregate is refused before any SQL, naming both", () => {
    const blockers = ["columnstore (compression) of hypertable events.t", "continuous aggregate events.t_hourly"];
    expect(() => rowSecuritySteps('"events"."t"', "events.t", { enabled: false, forced: false }, { enabled: true, forced: false }, blockers)).toThrow(
      /^Table events\.t: rowLevelSecurity: columnstore \(compression\) of hypertable events\.t, continuous aggregate events\.t_hourly and rowLevelSecurity of Table events\.t cannot both be declared on events\.t: TimescaleDB refuses/,
    );
    // already enabled (TimescaleDB let it be): nothing new to refuse
    expect(rowSecuritySteps('"events"."t"', "events.t", { enabled: true, forced: false }, { enabled: true, forced: false }, blockers)).toEqual([]);
  });
});

describe("Policy plan", () => {
  const spec = (p: Record<string, unknown>) => policySpec().parse({ schema: "app", table: "t", name: "p", using: "(a = 1)", ...p });
  test("roles are sorted and de-duplicated, so their order is no diff", () => {
    expect(spec({ roles: ["b", "a", "b"] }).roles).toEqual(["a", "b"]);
  });
  test("a change of roles and using is one ALTER POLICY; of command or mode, DROP and CREATE in the same transaction", () => {
    const live = spec({ roles: ["a"] });
    expect(sql(planPolicy(live, spec({ roles: ["a", "b"], using: "(a = 2)" }), undefined))).toEqual(['ALTER POLICY "p" ON "app"."t" TO "a", "b" USING ((a = 2))']);
    const replaced = planPolicy(live, spec({ roles: ["a"], mode: "restrictive" }), undefined);
    expect(sql(replaced)).toEqual(['DROP POLICY "p" ON "app"."t"', 'CREATE POLICY "p" ON "app"."t" AS RESTRICTIVE FOR ALL TO "a" USING ((a = 1))']);
    expect(replaced.every((s) => s.transactional)).toBe(true);
    expect(planPolicy(live, spec({ roles: ["a"] }), undefined)).toEqual([]);
  });
  test("missing roles are refused before any SQL, each named", () => {
    expect(() => planPolicy(undefined, spec({ roles: ["x", "y"] }), { missingRoles: ["x", "y"] })).toThrow(
      /^Policy app\.t\.p: roles: roles "x", "y" do not exist\. Create them first/,
    );
  });
});
