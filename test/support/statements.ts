import type * as pulumi from "@pulumi/pulumi";
import { Client } from "pg";

/**
 * The texts every pg client but `except` (the test's own "psql") sends while
 * `f` runs, in order: the provider's round trips (`a; b` in one text is one
 * round trip of two statements).
 */
export async function statementsSent(except: Client, f: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const query = Client.prototype.query;
  Client.prototype.query = function (this: Client, config: unknown, ...rest: unknown[]) {
    const text = typeof config === "string" ? config : (config as { text?: string }).text;
    if (this !== except && text) sent.push(text);
    return (query as (...a: unknown[]) => unknown).call(this, config, ...rest);
  } as typeof query;
  try {
    await f();
  } finally {
    Client.prototype.query = query;
  }
  return sent;
}

/**
 * A no-op preview that stays exact: `diff` of a resource just created from
 * `inputs` (checked) runs one statement, the observe; after `drift` (SQL that
 * `sql`, the test's psql, runs) it shows a change, before a refresh and after
 * one.
 */
export async function expectOneStatementPreview(sql: Client, provider: pulumi.dynamic.ResourceProvider, inputs: Record<string, unknown>, drift: string): Promise<void> {
  const { id, outs } = await provider.create(inputs);
  expect(await statementsSent(sql, () => provider.diff!(id, outs!, inputs))).toHaveLength(1);
  await sql.query(drift);
  expect((await provider.diff!(id, outs!, inputs)).changes).toBe(true);
  const read = await provider.read!(id, outs!);
  expect((await provider.diff!(id, read.props!, inputs)).changes).toBe(true);
}
