/**
 * What each kind locks (core/locks.ts `relationLocks`): every relation its
 * steps take a table-level lock on, exclusively, and those relations' schemas
 * shared, so that no apply waits on a table lock another pgstrata apply holds.
 */
import { ObjectLocks } from "../../resources/core/locks";
import { sqlParserReady } from "../../resources/core/sql-expression";
import { continuousAggregateKind } from "../../resources/continuous-aggregate/kind";
import { hypertableKind } from "../../resources/hypertable/kind";
import { partitionKind } from "../../resources/partition/kind";
import { partitionSetKind } from "../../resources/partition-set/kind";
import { policyKind } from "../../resources/policy/kind";
import { retentionKind } from "../../resources/retention/kind";
import { tableKind } from "../../resources/table/kind";
import { indexKind } from "../../resources/table-index/kind";

beforeAll(() => sqlParserReady);

/** The locks of `inputs` as the kind's schema parses them. */
function locksOf<S extends object>(kind: { schema(): { parse(i: unknown): S }; locks?(s: S): ObjectLocks }, inputs: object): ObjectLocks {
  const { exclusive, shared } = kind.locks!(kind.schema().parse(inputs));
  return { exclusive: [...exclusive].sort(), shared: [...shared].sort() };
}

const id = [{ name: "id", type: "bigint" }];

test("a table locks itself and every table its foreign keys reference", () => {
  const fk = (schema: string, name: string) => ({ name: `fk_${name}`, columns: ["id"], references: { table: { schema, name }, columns: ["id"] } });
  expect(locksOf(tableKind, { schema: "shop", name: "orders", columns: id, primaryKey: { columns: ["id"] }, foreignKeys: [fk("crm", "customers"), fk("shop", "orders")] })).toEqual({
    exclusive: ["relation crm.customers", "relation shop.orders"],
    shared: ["schema crm", "schema shop"],
  });
});

test("a hypertable, retention policy and partition set lock the table they manage", () => {
  const relation = { exclusive: ["relation m.events"], shared: ["schema m"] };
  expect(locksOf(hypertableKind, { schema: "m", table: "events", timeColumn: "at" })).toEqual(relation);
  expect(locksOf(retentionKind, { schema: "m", table: "events", dropAfter: "90 days" })).toEqual(relation);
  expect(locksOf(partitionSetKind, { schema: "m", parent: "events", control: "at", interval: "1 day" })).toEqual(relation);
});

test("an index, a partition and a policy lock their table and themselves", () => {
  expect(locksOf(indexKind, { schema: "m", table: "events", name: "events_at", keys: [{ column: "at" }] })).toEqual({
    exclusive: ["relation m.events", "relation m.events_at"],
    shared: ["schema m"],
  });
  expect(locksOf(partitionKind, { schema: "m", parent: "events", name: "events_2026", bound: { from: ["2026-01-01"], to: ["2027-01-01"] } })).toEqual({
    exclusive: ["relation m.events", "relation m.events_2026"],
    shared: ["schema m"],
  });
  expect(locksOf(policyKind, { schema: "m", table: "events", name: "tenant", using: "true" })).toEqual({
    exclusive: ["Policy m.events.tenant", "relation m.events"],
    shared: ["schema m"],
  });
});

test("a continuous aggregate locks itself and every relation its query reads, unqualified ones in public", () => {
  const query = "SELECT time_bucket('1 day', e.at) AS day, d.name, count(*) FROM m.events e JOIN devices d ON d.id = e.device GROUP BY 1, 2";
  expect(locksOf(continuousAggregateKind, { schema: "r", name: "daily", query })).toEqual({
    exclusive: ["relation m.events", "relation public.devices", "relation r.daily"],
    shared: ["schema m", "schema public", "schema r"],
  });
});
