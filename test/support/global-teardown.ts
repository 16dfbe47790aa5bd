import "./global-setup";

/** jest globalTeardown: stops the server started by global-setup.ts (no-op if none). */
export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__PGSTRATA_TEST_SERVER__;
  globalThis.__PGSTRATA_TEST_SERVER__ = undefined;
  if (server) await server.stop();
}
