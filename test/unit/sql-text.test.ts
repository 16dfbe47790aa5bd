import { parseBound } from "../../resources/partition/bound";
import { parenthesizedGroups, splitTopLevel } from "../../resources/core/sql-text";

test("splitTopLevel splits at commas outside parentheses, literals and quoted identifiers", () => {
  expect(splitTopLevel(`at, lower(region), 'a,b', "x,y", f(a, b)`)).toEqual(["at", "lower(region)", "'a,b'", `"x,y"`, "f(a, b)"]);
  expect(splitTopLevel("")).toEqual([]);
});

test("parenthesizedGroups returns each top-level group, ignoring parentheses in literals", () => {
  expect(parenthesizedGroups("FOR VALUES FROM ('a(') TO ('b''c)')")).toEqual(["'a('", "'b''c)'"]);
});

test.each([
  ["DEFAULT", "default"],
  ["FOR VALUES FROM ('2024-01-01 00:00:00+00', MINVALUE) TO ('2024-02-01 00:00:00+00', MAXVALUE)", { from: ["2024-01-01 00:00:00+00", "MINVALUE"], to: ["2024-02-01 00:00:00+00", "MAXVALUE"] }],
  ["FOR VALUES IN ('it''s', NULL, '10')", { in: ["it's", null, "10"] }],
  ["FOR VALUES FROM (10) TO (20)", { from: ["10"], to: ["20"] }],
  ["FOR VALUES WITH (modulus 4, remainder 3)", { modulus: 4, remainder: 3 }],
])("parseBound reads the server's bound text %j", (text, bound) => {
  expect(parseBound(text)).toEqual(bound);
});
