import { describeRows, refuseDisallowedHazards, Step, step } from "../../resources/core/step";

const drop: Step = step(`ALTER TABLE "app"."t" DROP COLUMN "old"`, [{ kind: "data-loss", message: `dropping column "old" of app.t discards its values in 3 rows` }]);
const rewrite: Step = step(`ALTER TABLE "app"."t" ALTER COLUMN "v" TYPE integer USING "v"::integer`, [
  { kind: "table-rewrite", message: `changing column "v" of app.t from text to integer rewrites 3 rows under an ACCESS EXCLUSIVE lock` },
]);
const safe: Step = step(`COMMENT ON TABLE "app"."t" IS 'x'`);

const refusal = (steps: Step[], allowed: Parameters<typeof refuseDisallowedHazards>[2]): string => {
  try {
    refuseDisallowedHazards("Table app.t", steps, allowed);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a refusal");
};

describe("step()", () => {
  test("a transactional step, without hazards by default", () => {
    expect(step("SELECT 1")).toEqual({ sql: "SELECT 1", hazards: [], transactional: true });
  });
});

describe("refuseDisallowedHazards", () => {
  test("no hazards: nothing to refuse", () => {
    expect(() => refuseDisallowedHazards("Table app.t", [safe], [])).not.toThrow();
    expect(() => refuseDisallowedHazards("Table app.t", [], [])).not.toThrow();
  });

  test("every hazard allowed: nothing to refuse", () => {
    expect(() => refuseDisallowedHazards("Table app.t", [drop, rewrite, safe], ["data-loss", "table-rewrite"])).not.toThrow();
  });

  test("the message names the resource, says nothing changed, lists each hazard and gives the allowHazards fix", () => {
    expect(refusal([safe, drop], [])).toBe(
      "Table app.t: refusing to apply a plan with hazards this resource does not allow; nothing was changed.\n" +
        `  [data-loss] dropping column "old" of app.t discards its values in 3 rows\n` +
        `To proceed, set allowHazards: ["data-loss"] on this resource (a delete or replace reads it from the state of the last \`pulumi up\`, so apply that change first).`,
    );
  });

  test("two kinds: both hazards listed, both kinds in the fix, in plan order", () => {
    const message = refusal([rewrite, drop], []);
    expect(message).toMatch(/^Table app\.t: refusing/);
    expect(message).toContain(`  [table-rewrite] changing column "v" of app.t from text to integer rewrites 3 rows under an ACCESS EXCLUSIVE lock\n  [data-loss] dropping column "old"`);
    expect(message).toMatch(/To proceed, set allowHazards: \["table-rewrite", "data-loss"\] on this resource \(a delete or replace/);
  });

  test("only the disallowed kind is refused and named", () => {
    const message = refusal([rewrite, drop], ["data-loss"]);
    expect(message).toContain("[table-rewrite]");
    expect(message).not.toContain("[data-loss]");
    expect(message).toMatch(/allowHazards: \["table-rewrite"\] on this resource \(a delete or replace/);
  });

  test("several hazards of one kind: each listed, the kind once in the fix", () => {
    const drop2 = step(`ALTER TABLE "app"."t" DROP COLUMN "older"`, [{ kind: "data-loss", message: `dropping column "older" of app.t discards its values in 3 rows` }]);
    const message = refusal([drop, drop2], []);
    expect(message.match(/\[data-loss\]/g)).toHaveLength(2);
    expect(message).toMatch(/allowHazards: \["data-loss"\] on this resource \(a delete or replace/);
  });
});

describe("describeRows", () => {
  test.each([
    [0, "0 rows"],
    [1, "1 row"],
    [2, "2 rows"],
    [9_999, "9999 rows"],
    [10_000, "at least 10000 rows"],
  ])("%p with cap 10000 → %j", (n, text) => {
    expect(describeRows(n, 10_000)).toBe(text);
  });
});
