import { canonicalJson, changedProperties, keepDeclaredWhereUnchanged, plainJson, sameValue } from "../../resources/core/compare";

describe("canonicalJson", () => {
  test("sorts object keys at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [{ f: 3, e: 4 }] } })).toBe('{"a":{"c":[{"e":4,"f":3}],"d":2},"b":1}');
  });

  test("drops undefined members (absent and undefined are the same in a Struct)", () => {
    expect(canonicalJson({ a: 1, b: undefined, c: { d: undefined } })).toBe('{"a":1,"c":{}}');
  });

  test("keeps null, false, 0 and empty strings: they are values", () => {
    expect(canonicalJson({ n: null, f: false, z: 0, s: "" })).toBe('{"f":false,"n":null,"s":"","z":0}');
  });

  test("keeps array order", () => {
    expect(canonicalJson([3, 1, 2])).toBe("[3,1,2]");
  });

  test("is JSON that parses back to the same value", () => {
    const v = { x: [1, { y: "z" }], w: true };
    expect(JSON.parse(canonicalJson(v))).toEqual(v);
  });
});

describe("sameValue", () => {
  test.each<[string, unknown, unknown, boolean]>([
    ["key order", { a: 1, b: 2 }, { b: 2, a: 1 }, true],
    ["undefined member vs absent", { a: 1, comment: undefined }, { a: 1 }, true],
    ["nested key order", { c: [{ x: 1, y: 2 }] }, { c: [{ y: 2, x: 1 }] }, true],
    ["array order matters", [1, 2], [2, 1], false],
    ["null is not absent", { a: null }, {}, false],
    ["string vs number", { a: "1" }, { a: 1 }, false],
    ["different nested value", { a: { b: 1 } }, { a: { b: 2 } }, false],
    ["extra key", { a: 1 }, { a: 1, b: 2 }, false],
    ["case of strings", "Events", "events", false],
  ])("%s → %p", (_label, a, b, same) => {
    expect(sameValue(a, b)).toBe(same);
    expect(sameValue(b, a)).toBe(same);
  });
});

describe("changedProperties", () => {
  test("lists the top-level keys whose values differ, each once", () => {
    type T = { name: string; columns: { name: string }[]; comment?: string };
    const a: T = { name: "t", columns: [{ name: "x" }], comment: "c" };
    const b: T = { name: "t", columns: [{ name: "y" }], comment: undefined };
    expect(changedProperties(a, b, ["name", "columns", "comment", "columns"])).toEqual(["columns", "comment"]);
  });
});

describe("plainJson", () => {
  test("drops undefined members so that a Struct can carry the value", () => {
    expect(plainJson({ a: 1, b: undefined, c: [{ d: undefined, e: 2 }] })).toEqual({ a: 1, c: [{ e: 2 }] });
    expect(Object.keys(plainJson({ a: 1, b: undefined }))).toEqual(["a"]);
  });
});

describe("keepDeclaredWhereUnchanged", () => {
  // declared: the user's text; applied: what it canonicalized to at the last apply; live: what a refresh reads.
  type State = { name: string; chunkInterval: string; columns: { name: string; type: string }[]; comment?: string };
  const declared: State = { name: "t", chunkInterval: "1 week", columns: [{ name: "id", type: "int" }, { name: "v", type: "varchar(20)" }], comment: "c" };
  const applied: State = { name: "t", chunkInterval: "7 days", columns: [{ name: "id", type: "integer" }, { name: "v", type: "character varying(20)" }], comment: "c" };

  test("nothing drifted: the declared text comes back, so a refresh shows no change", () => {
    expect(keepDeclaredWhereUnchanged(declared, applied, applied)).toEqual(declared);
  });

  test("a drifted scalar comes back as the live value, the rest as declared", () => {
    const live = { ...applied, chunkInterval: "06:00:00" };
    expect(keepDeclaredWhereUnchanged(declared, applied, live)).toEqual({ ...declared, chunkInterval: "06:00:00" });
  });

  test("a drifted item of a named list comes back live; its siblings keep the declared text", () => {
    const live = { ...applied, columns: [{ name: "id", type: "integer" }, { name: "v", type: "text" }] };
    expect(keepDeclaredWhereUnchanged(declared, applied, live).columns).toEqual([{ name: "id", type: "int" }, { name: "v", type: "text" }]);
  });

  test("an item added out of band appears live; one dropped out of band disappears", () => {
    const live = { ...applied, columns: [{ name: "id", type: "integer" }, { name: "extra", type: "text" }] };
    expect(keepDeclaredWhereUnchanged(declared, applied, live).columns).toEqual([{ name: "id", type: "int" }, { name: "extra", type: "text" }]);
  });

  test("a comment removed out of band (live undefined) is reported as removed", () => {
    const live: State = { ...applied, comment: undefined };
    const merged = keepDeclaredWhereUnchanged(declared, applied, live);
    expect(merged.comment).toBeUndefined();
    expect(sameValue(merged, declared)).toBe(false);
  });

  test("a property that no longer matches what was applied is reported live even when declared text exists", () => {
    const live = { ...applied, name: "t2" };
    expect(keepDeclaredWhereUnchanged(declared, applied, live).name).toBe("t2");
  });
});
