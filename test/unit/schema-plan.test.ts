import { Step } from "../../resources/core/step";
import { schemaKind } from "../../resources/schema/kind";
import { dropSchema, planSchema } from "../../resources/schema/plan";
import { SchemaInput, SchemaSpec, schemaSpec } from "../../resources/schema/spec";

/** planSchema / dropSchema as pure functions (docs "CREATE SCHEMA", "ALTER SCHEMA", "COMMENT", "DROP SCHEMA"). */

const spec = (input: Partial<SchemaInput> = {}): SchemaSpec => schemaSpec().parse({ name: "events", ...input });
const sqlOf = (steps: Step[]) => steps.map((s) => s.sql);

describe("create", () => {
  test("plain", () => {
    const steps = planSchema(undefined, spec());
    expect(sqlOf(steps)).toEqual([`CREATE SCHEMA "events"`]);
    expect(steps[0]).toEqual({ sql: `CREATE SCHEMA "events"`, hazards: [], transactional: true });
  });

  test("with owner and comment (quotes in the comment doubled)", () => {
    expect(sqlOf(planSchema(undefined, spec({ owner: "app_owner", comment: "the event's store" })))).toEqual([
      `CREATE SCHEMA "events" AUTHORIZATION "app_owner"`,
      `COMMENT ON SCHEMA "events" IS 'the event''s store'`,
    ]);
  });

  test("a backslash in a comment is literal (standard_conforming_strings = on)", () => {
    expect(sqlOf(planSchema(undefined, spec({ comment: "a\\b" })))[1]).toBe(`COMMENT ON SCHEMA "events" IS 'a\\b'`);
  });

  test("reserved words are quoted", () => {
    expect(sqlOf(planSchema(undefined, spec({ name: "user", owner: "select" })))).toEqual([`CREATE SCHEMA "user" AUTHORIZATION "select"`]);
  });
});

describe("update", () => {
  test("nothing changed: no steps", () => {
    expect(planSchema(spec({ comment: "c", owner: "o" }), spec({ comment: "c", owner: "o" }))).toEqual([]);
  });

  test("owner change", () => {
    expect(sqlOf(planSchema(spec({ owner: "old_owner" }), spec({ owner: "new_owner" })))).toEqual([`ALTER SCHEMA "events" OWNER TO "new_owner"`]);
  });

  test("an unmanaged owner (unset) is never changed", () => {
    // observe reports owner only when it is managed; a live owner with an unset desired one plans nothing.
    expect(planSchema(spec({ owner: "someone" }), spec())).toEqual([]);
  });

  test("comment set, changed, removed", () => {
    expect(sqlOf(planSchema(spec(), spec({ comment: "c" })))).toEqual([`COMMENT ON SCHEMA "events" IS 'c'`]);
    expect(sqlOf(planSchema(spec({ comment: "a" }), spec({ comment: "b" })))).toEqual([`COMMENT ON SCHEMA "events" IS 'b'`]);
    expect(sqlOf(planSchema(spec({ comment: "a" }), spec()))).toEqual([`COMMENT ON SCHEMA "events" IS NULL`]);
  });

  test("owner and comment together", () => {
    expect(sqlOf(planSchema(spec({ owner: "a", comment: "x" }), spec({ owner: "b", comment: "y" })))).toEqual([
      `ALTER SCHEMA "events" OWNER TO "b"`,
      `COMMENT ON SCHEMA "events" IS 'y'`,
    ]);
  });

  test("a name change is a replace, not an update", () => {
    expect(schemaKind.replaces(spec(), spec({ name: "events2" }))).toEqual(["name"]);
    expect(schemaKind.replaces(spec(), spec({ comment: "x", owner: "o", cascade: true }))).toEqual([]);
  });
});

describe("drop", () => {
  test("an empty schema: DROP SCHEMA without CASCADE", () => {
    expect(dropSchema(spec(), { total: 0, examples: [], rows: [] })).toEqual([{ sql: `DROP SCHEMA "events"`, hazards: [], transactional: true }]);
    expect(sqlOf(dropSchema(spec(), undefined))).toEqual([`DROP SCHEMA "events"`]);
  });

  test("with contents and without cascade: refused, listing what it holds and both fixes", () => {
    expect(() => dropSchema(spec(), { total: 2, examples: ["table events.a", "view events.v"], rows: [{ table: "events.a", rows: 10_000 }] })).toThrow(
      /^Schema events: refusing to drop it: it holds 2 objects \(table events\.a, view events\.v\), which would be dropped with it; rows at stake: events\.a at least 10000 rows\. Delete those resources first, or set cascade: true and allowHazards: \["data-loss"\] on this schema to drop them together\.$/,
    );
  });

  test("one object is singular", () => {
    expect(() => dropSchema(spec(), { total: 1, examples: ["table events.t"], rows: [] })).toThrow(/it holds 1 object \(table events\.t\), which would be dropped with it; no table in it holds rows\./);
  });

  test("more objects than examples: the list ends with …", () => {
    const examples = ["function events.f()", "table events.a", "table events.b", "table events.c", "type events.e"];
    expect(() => dropSchema(spec(), { total: 12, examples, rows: [] })).toThrow(
      /it holds 12 objects \(function events\.f\(\), table events\.a, table events\.b, table events\.c, type events\.e, …\)/,
    );
  });

  test("with contents and cascade: DROP SCHEMA … CASCADE, a data-loss hazard naming what goes", () => {
    const steps = dropSchema(spec({ cascade: true }), { total: 3, examples: ["table events.a"], rows: [{ table: "events.a", rows: 2 }] });
    expect(sqlOf(steps)).toEqual([`DROP SCHEMA "events" CASCADE`]);
    expect(steps[0].hazards).toEqual([{ kind: "data-loss", message: "dropping schema events with CASCADE drops the 3 objects (table events.a, …) it holds, with their data; rows at stake: events.a 2 rows" }]);
  });

  test("cascade on an empty schema does not add CASCADE", () => {
    expect(sqlOf(dropSchema(spec({ cascade: true }), { total: 0, examples: [], rows: [] }))).toEqual([`DROP SCHEMA "events"`]);
  });
});
