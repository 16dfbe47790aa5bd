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
