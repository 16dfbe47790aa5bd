import "./global-setup";

/** jest globalTeardown: stops the server started by global-setup.ts (no-op if none). */
export default async function globalTeardown(): Promise<void> {
  const server = globalThis.__PGSCHEMA_TEST_SERVER__;
  globalThis.__PGSCHEMA_TEST_SERVER__ = undefined;
  if (server) await server.stop();
}
