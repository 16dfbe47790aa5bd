/**
 * What each provider call costs per kind: round trips, statements besides the
 * DDL, and wall time, for create, a no-op diff (preview), a read (refresh)
 * and a no-op update, through the provider in process (no gRPC), against the
 * test server. Prints a table; asserts nothing.
 *
 *   npx ts-node --transpile-only bench/read-cost.ts [iterations=200]
 *
 * Statements are counted as bench/support/count-statements.js counts them
 * (every text a pg client sends; `a; b` counts two), DDL being what
 * `appliedSql` reports.
 */
import { providerFor } from "../resources/core/provider";
import { hypertableKind } from "../resources/hypertable/kind";
import { schemaKind } from "../resources/schema/kind";
import { tableKind } from "../resources/table/kind";
import { runBench } from "./support/run-bench";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const counted: { counts: { roundTrips: number; statements: number } } = require("./support/count-statements");

const table = (name: string) => ({
  schema: "app",
  name,
  columns: [
    { name: "id", type: "bigint", identity: "always" }, { name: "device", type: "text", nullable: false },
    { name: "at", type: "timestamptz", nullable: false, default: "now()" }, { name: "value", type: "double precision" },
  ],
  primaryKey: { columns: ["id", "at"] },
  checkConstraints: [{ name: `${name}_value_finite`, expression: "value <> 'NaN'::double precision" }],
});

const iterations = Number(process.argv[2] ?? 200);

runBench("bench_read", async ({ url, sql }) => {
  await sql.query("CREATE SCHEMA app");
  const connection = { url };
  const cases = [
    { label: "Schema", kind: schemaKind, inputs: { connection, name: "app", comment: "bench" } },
    { label: "Table", kind: tableKind, inputs: { connection, ...table("readings") } },
    { label: "Hypertable", kind: hypertableKind, inputs: { connection, schema: "app", table: "readings", timeColumn: "at", chunkInterval: "1 day" } },
    { label: "Table (2)", kind: tableKind, inputs: { connection, ...table("compressed") } },
    {
      label: "Hypertable, columnstore + policy",
      kind: hypertableKind,
      inputs: {
        connection, schema: "app", table: "compressed", timeColumn: "at", chunkInterval: "1 day",
        compression: { segmentBy: ["device"] }, columnstorePolicy: { after: "7 days" },
      },
    },
  ];
  const rows: string[] = [];
  const measure = async (what: string, f: () => Promise<unknown>, runs: number, ddl = 0) => {
    const before = { ...counted.counts };
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) await f();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
    const trips = (counted.counts.roundTrips - before.roundTrips) / runs;
    const statements = (counted.counts.statements - before.statements) / runs - ddl;
    return `${what} ${trips.toFixed(1)} / ${statements.toFixed(1)} / ${ms.toFixed(2)} ms`;
  };
  for (const { label, kind, inputs } of cases) {
    const provider = providerFor(kind as never);
    const checked = (await provider.check!({}, inputs)).inputs;
    let created: { id: string; outs?: Record<string, unknown> } | undefined;
    const create = await measure("create", async () => (created = await provider.create(checked)), 1);
    const { id, outs = {} } = created!;
    const ddl = (outs.appliedSql as string[]).length;
    const createFigure = create.replace(/ \/ ([\d.]+) \//, (_, s) => ` / ${(Number(s) - ddl).toFixed(1)} /`);
    await provider.read!(id, outs); // warm the pool
    const diff = await measure("diff", () => provider.diff!(id, outs, checked), iterations);
    const read = await measure("read", () => provider.read!(id, outs), iterations);
    const update = await measure("update", () => provider.update!(id, outs, checked), iterations);
    rows.push(`| ${label} | ${createFigure} (${ddl} DDL) | ${diff} | ${read} | ${update} |`);
  }
  console.log(`\nround trips / statements besides DDL / wall ms, in process, mean over ${iterations} (create: once)\n`);
  console.log("| kind | create | no-op diff | read | no-op update |\n|---|---|---|---|---|");
  for (const r of rows) console.log(r.replace(/(create|diff|read|update) /g, ""));
});
