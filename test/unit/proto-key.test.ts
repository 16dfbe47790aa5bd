/**
 * A `__proto__` key in inputs is refused, naming where it is: in an object
 * literal it sets the prototype (its members are then dropped by Pulumi's
 * serialization, which reads own properties), and an own `__proto__` key
 * (JSON.parse) is dropped by the SDK's protobuf Struct conversion. Either way
 * the declaration would lose it silently.
 */
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Table } from "pgstrata";
import { providerFor } from "../../resources/core/provider";
import { tableKind } from "../../resources/table/kind";

beforeAll(() => pulumi.runtime.setMocks({ newResource: (args) => ({ id: `${args.name}_id`, state: args.inputs }), call: () => ({}) }, "pgstrata", "dev"));

const connection = { url: "postgres://app@127.0.0.1:1/none" };
const REASON = /"__proto__" is not an input: it would set the object's prototype .*: remove it/;

test("premise: the SDK's Struct conversion drops a __proto__ key, so no provider would ever see it", () => {
  const sent = Struct.fromJavaScript(JSON.parse('{ "name": "t", "__proto__": { "comment": "x" } }'));
  expect(sent.getFieldsMap().getEntryList().map(([k]) => k)).toEqual(["name"]);
});

test("a column written with __proto__ (an object literal) is refused by the resource, naming the property", () => {
  const column = { name: "x", type: "int", __proto__: { nullable: false } };
  expect(() => new Table("t", { connection, schema: "app", name: "t", columns: [{ name: "id", type: "int" }, column] })).toThrow(
    new RegExp(`^Table t: columns\\[1\\]\\.__proto__: ${REASON.source}`),
  );
});

test("a top-level __proto__ from JSON (an own property) is refused by the resource and by check", async () => {
  const inputs = { ...JSON.parse('{ "schema": "app", "name": "t", "columns": [{ "name": "id", "type": "int" }], "__proto__": { "comment": "x" } }'), connection };
  expect(() => new Table("t", inputs)).toThrow(new RegExp(`^Table t: __proto__: ${REASON.source}`));
  expect((await providerFor(tableKind).check!({}, inputs)).failures).toEqual([{ property: "__proto__", reason: expect.stringMatching(REASON) }]);
});
