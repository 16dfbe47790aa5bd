import type * as pulumi from "@pulumi/pulumi";
import type { Client } from "pg";
import { changedProperties } from "../../resources/core/compare";

type Props = Record<string, unknown>;

/**
 * One kind's run through the conformance cycle of ARCHITECTURE.md, driven
 * through its provider in the engine's call order, against a real database.
 */
export interface ConformanceCase {
  provider: pulumi.dynamic.ResourceProvider;
  /** The desired inputs (connection included). */
  inputs: Props;
  /** What the program does next with the created object, through other resources' providers (e.g. a Hypertable made of the Table); before `verifyCreated`. */
  afterCreate?(): Promise<void>;
  /** Asserts the object exists in the catalogs as `inputs` declares. */
  verifyCreated(sql: Client): Promise<void>;
  /** An out-of-band change (psql) and the one property a refresh must report as drifted. */
  drift: { sql: string; property: string };
  /** A change applied in place, and its catalog assertion. */
  update: { inputs: Props; verify(sql: Client): Promise<void> };
  /** A change PostgreSQL cannot make in place: the property reported as replace. */
  replace: { inputs: Props; property: string };
  /** Makes deleting lose something (e.g. inserts rows), and the refusal expected. */
  refuseDelete?: { prepare(sql: Client): Promise<void>; error: RegExp; allow: Props };
  /** Asserts the object is gone from the catalogs. */
  verifyDeleted(sql: Client): Promise<void>;
}

/** Runs the cycle as ordered jest tests inside the caller's `describe`. */
export function conformanceCycle(sql: () => Client, make: () => ConformanceCase): void {
  let c: ConformanceCase;
  let id = "";
  let outs: Props = {};
  const checked = async (olds: Props, news: Props) => {
    const result = await c.provider.check!(olds, news);
    expect(result.failures ?? []).toEqual([]);
    return result.inputs as Props;
  };

  test("create: the object exists as declared", async () => {
    c = make();
    const inputs = await checked({}, c.inputs);
    const created = await c.provider.create(inputs);
    id = created.id;
    outs = created.outs as Props;
    await c.afterCreate?.();
    await c.verifyCreated(sql());
  });

  test("second pass: no diff, and a refresh reports nothing", async () => {
    const news = await checked(outs, c.inputs);
    expect(await c.provider.diff!(id, outs, news)).toMatchObject({ changes: false, replaces: [] });
    const read = await c.provider.read!(id, outs);
    expect(read.id).toBe(id);
    expect(read.props).toEqual(outs);
  });

  test("out-of-band change: refresh shows exactly that drift, update converges", async () => {
    await sql().query(c.drift.sql);
    const read = await c.provider.read!(id, outs);
    const props = read.props as Props;
    // `observed` and `jobs` (policy job status) are bookkeeping outputs, not declared properties.
    const keys = Object.keys({ ...outs, ...props }).filter((k) => k !== "observed" && k !== "jobs");
    expect(changedProperties(outs, props, keys)).toEqual([c.drift.property]);
    const news = await checked(props, c.inputs);
    expect((await c.provider.diff!(id, props, news)).changes).toBe(true);
    outs = (await c.provider.update!(id, props, news)).outs as Props;
    expect((await c.provider.read!(id, outs)).props).toEqual(outs);
    await c.verifyCreated(sql());
  });

  test("update: an in-place change converges, then no diff", async () => {
    const news = await checked(outs, c.update.inputs);
    const diff = await c.provider.diff!(id, outs, news);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    outs = (await c.provider.update!(id, outs, news)).outs as Props;
    await c.update.verify(sql());
    const again = await checked(outs, c.update.inputs);
    expect((await c.provider.diff!(id, outs, again)).changes).toBe(false);
    expect((await c.provider.read!(id, outs)).props).toEqual(outs);
  });

  test("replace: a change that cannot be made in place is reported as replace", async () => {
    const news = await checked(outs, c.replace.inputs);
    const diff = await c.provider.diff!(id, outs, news);
    expect(diff.changes).toBe(true);
    expect(diff.replaces).toContain(c.replace.property);
  });

  test("delete: refuses to lose data unless allowed, then removes the object", async () => {
    if (c.refuseDelete) {
      await c.refuseDelete.prepare(sql());
      await expect(c.provider.delete!(id, outs)).rejects.toThrow(c.refuseDelete.error);
      expect((await c.provider.read!(id, outs)).id).toBe(id);
      outs = { ...outs, ...c.refuseDelete.allow };
    }
    await c.provider.delete!(id, outs);
    await c.verifyDeleted(sql());
    expect((await c.provider.read!(id, outs)).id).toBe("");
  });
}
