import "./global-setup";

/** jest globalTeardown: stops the servers started by global-setup.ts (no-op if none). */
export default async function globalTeardown(): Promise<void> {
  const servers = globalThis.__PGSTRATA_TEST_SERVERS__;
  globalThis.__PGSTRATA_TEST_SERVERS__ = undefined;
  if (servers) await Promise.all(Object.values(servers).map((s) => s.stop()));
}
