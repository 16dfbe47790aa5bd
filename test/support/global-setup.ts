import { startTestServer, TestServer } from "./database";

declare global {
  // eslint-disable-next-line no-var
  var __PGSTRATA_TEST_SERVER__: TestServer | undefined;
}

/**
 * jest globalSetup: starts the test PostgreSQL server once per run and
 * publishes its superuser URL as `PGSTRATA_TEST_ADMIN_URL` (test files read
 * it with `testAdminUrl()`; jest copies `process.env` into each test
 * environment, in band and in workers). The handle is kept on `globalThis`
 * for global-teardown.ts.
 *
 * @throws the error of `startTestServer()` when no server can be provided.
 */
export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const server = await startTestServer();
  globalThis.__PGSTRATA_TEST_SERVER__ = server;
  process.env.PGSTRATA_TEST_ADMIN_URL = server.adminUrl;
  const where = new URL(server.adminUrl);
  process.stderr.write(
    `\n[test database] source=${server.source} at ${where.hostname}:${where.port || 5432} ` +
      `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
