import { License, LICENSES, publishAdminUrls, startTestServers, TestServer } from "./database";

declare global {
  // eslint-disable-next-line no-var
  var __PGSTRATA_TEST_SERVERS__: Record<License, TestServer> | undefined;
}

/**
 * jest globalSetup: starts the two test PostgreSQL servers once per run, one
 * per TimescaleDB license (`timescale`, every test's default, and `apache`),
 * and publishes their superuser URLs (test files read them with
 * `testAdminUrl(license)`; jest copies `process.env` into each test
 * environment, in band and in workers). The handles are kept on `globalThis`
 * for global-teardown.ts.
 *
 * @throws the error of `startTestServers()` when no servers can be provided.
 */
export default async function globalSetup(): Promise<void> {
  const t0 = Date.now();
  const servers = await startTestServers();
  globalThis.__PGSTRATA_TEST_SERVERS__ = servers;
  publishAdminUrls(servers);
  const where = LICENSES.map((l) => {
    const u = new URL(servers[l].adminUrl);
    return `${l} at ${u.hostname}:${u.port || 5432}`;
  });
  process.stderr.write(
    `\n[test database] source=${servers.timescale.source}: ${where.join(", ")}; ` +
      `ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
}
