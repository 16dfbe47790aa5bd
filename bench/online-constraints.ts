/**
 * The longest wait of a concurrent writer while a foreign key and a CHECK are
 * added to a table of N rows: through the provider (NOT VALID, then each
 * VALIDATE in its own transaction) side by side with the same constraints
 * typed into psql the ordinary way (one transaction, each ADD scanning under
 * its lock). Prints figures; asserts nothing.
 *
 *   npx ts-node --transpile-only bench/online-constraints.ts [rows=1000000]
 */
import { providerFor } from "../resources/core/provider";
import { tableKind } from "../resources/table/kind";
import { keepInserting, WriterReport } from "../test/support/writer";
import { runBench } from "./support/run-bench";

const INSERT = "INSERT INTO load.events (account_id, amount) VALUES (1 + (random() * 999)::int, 1)";

const rows = Number(process.argv[2] ?? 1_000_000);

runBench("bench_online_constraints", async ({ url, sql }) => {
  await sql.query(`CREATE SCHEMA load; CREATE TABLE load.accounts (id bigint PRIMARY KEY); INSERT INTO load.accounts SELECT generate_series(1, 1000)`);
  const spec = {
    connection: { url },
    schema: "load",
    name: "events",
    columns: [{ name: "id", type: "bigint", identity: "always" }, { name: "account_id", type: "bigint" }, { name: "amount", type: "integer" }],
    primaryKey: { columns: ["id"] },
  };
  const provider = providerFor(tableKind);
  const { id, outs } = await provider.create((await provider.check!({}, spec)).inputs);
  await sql.query(`INSERT INTO load.events (account_id, amount) SELECT 1 + g % 1000, g % 100 FROM generate_series(1, ${rows}) g; ANALYZE load.events`);

  const measure = async (change: () => Promise<unknown>): Promise<WriterReport & { ms: number }> => {
    const writer = await keepInserting(url, INSERT);
    const t0 = Date.now();
    await change();
    const ms = Date.now() - t0;
    return { ...(await writer.stop()), ms };
  };
  const withConstraints = {
    ...spec,
    checkConstraints: [{ name: "amount_non_negative", expression: "amount >= 0" }],
    foreignKeys: [{ name: "events_account_fk", columns: ["account_id"], references: { table: { schema: "load", name: "accounts" }, columns: ["id"] } }],
  };
  const online = await measure(async () => provider.update!(id, outs, (await provider.check!(outs, withConstraints)).inputs));
  await sql.query("ALTER TABLE load.events DROP CONSTRAINT amount_non_negative, DROP CONSTRAINT events_account_fk");
  const plain = await measure(() =>
    sql.query(
      "BEGIN; ALTER TABLE load.events ADD CONSTRAINT events_account_fk FOREIGN KEY (account_id) REFERENCES load.accounts (id); " +
        "ALTER TABLE load.events ADD CONSTRAINT amount_non_negative CHECK (amount >= 0); COMMIT",
    ),
  );
  const line = (label: string, r: WriterReport & { ms: number }) =>
    `${label.padEnd(34)} ${String(r.ms).padStart(8)} ms ${String(r.inserts).padStart(9)} ${r.longestMs.toFixed(1).padStart(12)} ms`;
  process.stdout.write(
    `FOREIGN KEY + CHECK on ${rows.toLocaleString("en")} rows, one writer inserting meanwhile\n` +
      `${"".padEnd(34)} ${"change".padStart(11)} ${"inserts".padStart(9)} ${"longest wait".padStart(15)}\n` +
      `${line("pgstrata (NOT VALID + VALIDATE)", online)}\n${line("psql, one transaction", plain)}\n`,
  );
});
