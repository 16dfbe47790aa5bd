import type * as pulumi from "@pulumi/pulumi";
import { providerFor } from "../../resources/core/provider";
import { hypertableKind } from "../../resources/hypertable/kind";
import { schemaKind } from "../../resources/schema/kind";
import { tableKind } from "../../resources/table/kind";
import { scratchDatabase } from "../support/scratch";

/**
 * Issue requirement: "Identifiers over 63 bytes, empty or holding NUL; unknown column types; malformed intervals; missing fields; a
 * hypertable whose key lacks its time column: each gets a clear error at
 * `check`, naming the property, before any SQL runs. A test proves that no
 * object was created for any of them."
 *
 * Each bad input goes through the provider as the engine would send it:
 * `check` must fail naming the property with a reason that names the problem
 * and the fix; `create` must reject it with the validation error before it
 * connects (it gives the same error against a server that does not exist);
 * and the catalogs must hold no object of its name. Controls (valid inputs of
 * the same shapes) prove that the same catalog queries do see what `create`
 * makes. Names with quotes, semicolons, spaces, mixed case and unicode are
 * valid PostgreSQL identifiers: identifiers.test.ts proves they are quoted
 * safely end to end.
 */

let db: Awaited<ReturnType<typeof scratchDatabase>>;

const KINDS = {
  Schema: providerFor(schemaKind),
  Table: providerFor(tableKind),
  Hypertable: providerFor(hypertableKind),
} satisfies Record<string, pulumi.dynamic.ResourceProvider>;
type KindName = keyof typeof KINDS;

/** Nothing listens on port 9 (discard) here: a create that connected would fail with ECONNREFUSED, not a validation error. */
const UNREACHABLE = { url: "postgres://nobody@127.0.0.1:9/nowhere" };

interface Absent {
  schemas?: string[];
  relations?: [schema: string, name: string][];
  hypertables?: [schema: string, table: string][];
}

interface BadInput {
  label: string;
  kind: KindName;
  /** The resource's properties (connection is added). */
  inputs: Record<string, unknown>;
  /** The property `check` must name, as the provider spells paths (`columns[1].type`). */
  property: string;
  /** The reason must name the problem and the fix. */
  reason: RegExp;
  /** The objects that must not exist afterwards. */
  absent: Absent;
}

const REQUIRED_IDENTIFIER = /^required: a SQL identifier such as 'events' \(1–63 bytes, any characters but NUL\)$/;
const NAME_64 = "b".repeat(64);
const NAME_63 = "c".repeat(63);

const ht = (table: string, extra: Record<string, unknown> = {}) => ({ schema: "metrics", table, timeColumn: "at", ...extra });
const declaredTable = (keys: { name: string; columns: string[] }[], atNullable = false) => ({
  columns: [
    { name: "id", nullable: false },
    { name: "at", nullable: atNullable },
  ],
  keys,
});

/** A table with one foreign key `fk` (named after the table). */
const fkTable = (name: string, fk: Record<string, unknown>) => ({
  schema: "app",
  name,
  columns: [{ name: "id", type: "bigint" }, { name: "customer_id", type: "bigint" }],
  foreignKeys: [{ name: `${name}_fk`, ...fk }],
});
/** A referenced table's declaration, as the Table class carries it. */
const customers = { columns: [{ name: "id", nullable: false }, { name: "email", nullable: true }, { name: "region", nullable: true }], keys: [{ name: "customers_pkey", columns: ["id"] }, { name: "customers_email_key", columns: ["email"] }] };

const BAD_INPUTS: BadInput[] = [
  {
    label: "empty schema name",
    kind: "Schema",
    inputs: { name: "" },
    property: "name",
    reason: /^must not be empty: PostgreSQL identifiers are 1–63 bytes$/,
    absent: { schemas: [""] },
  },
  {
    label: "column name with a NUL character",
    kind: "Table",
    inputs: { schema: "app", name: "nul_column", columns: [{ name: "a\u0000b", type: "text" }] },
    property: "columns[0].name",
    reason: /^contains a NUL character, which PostgreSQL identifiers cannot hold: remove it$/,
    absent: { relations: [["app", "nul_column"]] },
  },
  {
    label: "schema name of 64 bytes",
    kind: "Schema",
    inputs: { name: NAME_64 },
    property: "name",
    reason: /^'b{20}…' is 64 bytes; PostgreSQL identifiers are at most 63 bytes: shorten it$/,
    // The server would truncate it to 63 bytes: look for that name too.
    absent: { schemas: [NAME_64, NAME_64.slice(0, 63)] },
  },
  {
    label: "schema without a name",
    kind: "Schema",
    inputs: { comment: "no name" },
    property: "name",
    reason: REQUIRED_IDENTIFIER,
    absent: { schemas: ["undefined", ""] },
  },
  {
    label: "unknown column type 'integr' (second column)",
    kind: "Table",
    inputs: { schema: "app", name: "bad_type_integr", columns: [{ name: "id", type: "bigint" }, { name: "value", type: "integr" }] },
    property: "columns[1].type",
    reason: /^unknown column type "integr": use a built-in type such as 'bigint', 'text', 'jsonb', 'timestamptz', 'numeric\(12,2\)', 'vector\(1536\)'/,
    absent: { relations: [["app", "bad_type_integr"]] },
  },
  {
    label: "column type 'serial'",
    kind: "Table",
    inputs: { schema: "app", name: "bad_type_serial", columns: [{ name: "id", type: "serial" }] },
    property: "columns[0].type",
    reason: /^unknown column type "serial": .*serial types are not supported: use identity/,
    absent: { relations: [["app", "bad_type_serial"], ["app", "bad_type_serial_id_seq"]] },
  },
  {
    label: "table without columns",
    kind: "Table",
    inputs: { schema: "app", name: "missing_columns" },
    property: "columns",
    reason: /(required|missing).*(declare|add|give|list)/i,
    absent: { relations: [["app", "missing_columns"]] },
  },
  {
    label: "table with a misspelled property 'colums'",
    kind: "Table",
    inputs: { schema: "app", name: "misspelled_columns", colums: [{ name: "id", type: "bigint" }] },
    property: "colums",
    reason: /colums.*(did you mean|remove|columns)/is,
    absent: { relations: [["app", "misspelled_columns"]] },
  },
  {
    label: "foreign key on a column the table does not declare",
    kind: "Table",
    inputs: fkTable("fk_missing_column", { columns: ["customer"], references: { table: { schema: "app", name: "customers" }, columns: ["id"] } }),
    property: "foreignKeys[0].columns",
    reason: /^column "customer" is not declared in columns$/,
    absent: { relations: [["app", "fk_missing_column"]] },
  },
  {
    label: "foreign key to a column the referenced (declared) table lacks",
    kind: "Table",
    inputs: fkTable("fk_missing_referenced", { columns: ["customer_id"], references: { table: { schema: "app", name: "customers" }, columns: ["uuid"], declaredTable: customers } }),
    property: "foreignKeys[0].references.columns",
    reason: /^table app\.customers has no column "uuid": name columns of app\.customers \(id, email, region\)$/,
    absent: { relations: [["app", "fk_missing_referenced"]] },
  },
  {
    label: "foreign key to columns that are not a key of the referenced (declared) table",
    kind: "Table",
    inputs: fkTable("fk_not_unique", { columns: ["customer_id"], references: { table: { schema: "app", name: "customers" }, columns: ["region"], declaredTable: customers } }),
    property: "foreignKeys[0].references.columns",
    reason: /^\(region\) is not a PRIMARY KEY or UNIQUE constraint of app\.customers \(its keys are \(id\), \(email\)\): reference one of its keys, or declare a unique constraint on these columns in app\.customers$/,
    absent: { relations: [["app", "fk_not_unique"]] },
  },
  {
    label: "foreign key with an unknown referential action 'delete'",
    kind: "Table",
    inputs: fkTable("fk_action", { columns: ["customer_id"], references: { table: { schema: "app", name: "customers" }, columns: ["id"] }, onDelete: "delete" }),
    property: "foreignKeys[0].onDelete",
    reason: /^"delete" is not a referential action: use one of "no action", "restrict", "cascade", "set null", "set default"$/,
    absent: { relations: [["app", "fk_action"]] },
  },
  {
    label: "hypertable with a malformed chunkInterval '7 dayz'",
    kind: "Hypertable",
    inputs: ht("ht_interval", { chunkInterval: "7 dayz" }),
    property: "chunkInterval",
    reason: /^"7 dayz" is not an interval \(unknown unit 'dayz'\): write e\.g\. '7 days', '12 hours', '1 month' or '06:00:00'$/,
    absent: { hypertables: [["metrics", "ht_interval"]] },
  },
  {
    label: "hypertable without timeColumn",
    kind: "Hypertable",
    inputs: { schema: "metrics", table: "ht_no_time" },
    property: "timeColumn",
    reason: REQUIRED_IDENTIFIER,
    absent: { hypertables: [["metrics", "ht_no_time"]] },
  },
  {
    label: "hypertable whose declared primary key lacks the time column",
    kind: "Hypertable",
    inputs: ht("ht_key", { declaredTable: declaredTable([{ name: "ht_key_pkey", columns: ["id"] }]) }),
    // Reported on the property the user wrote (timeColumn), not on declaredTable, which Hypertable fills in.
    property: "timeColumn",
    reason:
      /^constraint ht_key_pkey \(id\) of metrics\.ht_key does not include partitioning column "at": TimescaleDB requires every primary key and unique constraint of a hypertable to include it\. Add "at" to the constraint's columns\.$/,
    absent: { hypertables: [["metrics", "ht_key"]] },
  },
  {
    label: "hypertable whose declared primary key lacks the hash column",
    kind: "Hypertable",
    inputs: ht("ht_key", { hashDimension: { column: "id", partitions: 2 }, declaredTable: declaredTable([{ name: "ht_key_pkey", columns: ["at"] }]) }),
    property: "hashDimension.column",
    reason: /^constraint ht_key_pkey \(at\) of metrics\.ht_key does not include partitioning column "id"/,
    absent: { hypertables: [["metrics", "ht_key"]] },
  },
  {
    label: "columnstore policy after an interval PostgreSQL cannot hold ('100000000 years')",
    kind: "Hypertable",
    inputs: ht("ht_interval", { compression: {}, columnstorePolicy: { after: "100000000 years" } }),
    property: "columnstorePolicy.after",
    reason: /^"100000000 years" is out of range: intervals must be between 1 microsecond and 106751991 days 04:00:54\.775807/,
    absent: { hypertables: [["metrics", "ht_interval"]] },
  },
  {
    label: "statement timeout beyond what PostgreSQL accepts",
    kind: "Schema",
    inputs: { name: "long_timeout", connectionOverride: { statementTimeout: "100000000h" } },
    property: "connection.statementTimeout",
    reason: /^"100000000h" is out of range: PostgreSQL accepts at most 2147483647 ms \(about 24\.8 days\)/,
    absent: { schemas: ["long_timeout"] },
  },
  {
    label: "schema comment with a NUL character",
    kind: "Schema",
    inputs: { name: "nul_comment", comment: "a\u0000b" },
    property: "comment",
    reason: /^contains a NUL character, which PostgreSQL text cannot hold: remove it$/,
    absent: { schemas: ["nul_comment"] },
  },
  {
    label: "table comment with a NUL character",
    kind: "Table",
    inputs: { schema: "app", name: "nul_comment", columns: [{ name: "id", type: "int" }], comment: "a\u0000b" },
    property: "comment",
    reason: /^contains a NUL character, which PostgreSQL text cannot hold: remove it$/,
    absent: { relations: [["app", "nul_comment"]] },
  },
  {
    label: "CHECK expression with a NUL character",
    kind: "Table",
    inputs: { schema: "app", name: "nul_check", columns: [{ name: "id", type: "int" }], checkConstraints: [{ name: "c", expression: "id > 0\u0000" }] },
    property: "checkConstraints[0].expression",
    reason: /^contains a NUL character, which PostgreSQL text cannot hold: remove it$/,
    absent: { relations: [["app", "nul_check"]] },
  },
  {
    label: "hypertable whose time column is declared nullable",
    kind: "Hypertable",
    inputs: ht("ht_nullable", { declaredTable: declaredTable([{ name: "ht_nullable_pkey", columns: ["id", "at"] }], true) }),
    property: "timeColumn",
    reason: /^time column "at" of metrics\.ht_nullable is nullable: declare it nullable: false/,
    absent: { hypertables: [["metrics", "ht_nullable"]] },
  },
  {
    label: "hypertable with an unknown property 'chunk_interval'",
    kind: "Hypertable",
    inputs: ht("ht_unknown", { chunk_interval: "1 day" }),
    property: "chunk_interval",
    reason: /chunk_interval.*(did you mean|remove|chunkInterval)/is,
    absent: { hypertables: [["metrics", "ht_unknown"]] },
  },
];

// ---------------------------------------------------------------- catalog queries

async function existingSchemas(names: string[]): Promise<string[]> {
  const { rows } = await db.sql.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[]) ORDER BY 1", [names]);
  return rows.map((r) => r.nspname);
}

async function existingRelations(pairs: [string, string][]): Promise<string[]> {
  const { rows } = await db.sql.query<{ name: string }>(
    `SELECT n.nspname || '.' || c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN unnest($1::text[], $2::text[]) AS w(s, r) ON w.s = n.nspname AND w.r = c.relname ORDER BY 1`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  return rows.map((r) => r.name);
}

async function existingHypertables(pairs: [string, string][]): Promise<string[]> {
  const { rows } = await db.sql.query<{ name: string }>(
    `SELECT h.hypertable_schema || '.' || h.hypertable_name AS name FROM timescaledb_information.hypertables h
      JOIN unnest($1::text[], $2::text[]) AS w(s, t) ON w.s = h.hypertable_schema AND w.t = h.hypertable_name ORDER BY 1`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  return rows.map((r) => r.name);
}

async function existing(absent: Absent): Promise<string[]> {
  return [
    ...(await existingSchemas(absent.schemas ?? [])).map((s) => `schema ${s}`),
    ...(await existingRelations(absent.relations ?? [])).map((r) => `relation ${r}`),
    ...(await existingHypertables(absent.hypertables ?? [])).map((h) => `hypertable ${h}`),
  ];
}

/** Every schema, relation and hypertable of the database (for the before/after comparison). */
async function catalogSnapshot(): Promise<string[]> {
  const { rows } = await db.sql.query<{ o: string }>(
    `SELECT 'schema ' || nspname AS o FROM pg_namespace
     UNION ALL SELECT 'relation ' || n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     UNION ALL SELECT 'hypertable ' || hypertable_schema || '.' || hypertable_name FROM timescaledb_information.hypertables
     UNION ALL SELECT 'not-null ' || attrelid::regclass || '.' || attname FROM pg_attribute
                WHERE attrelid IN (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'metrics') AND attnotnull AND attnum > 0
     ORDER BY 1`,
  );
  return rows.map((r) => r.o);
}

// ---------------------------------------------------------------- setup

let before: string[];

beforeAll(async () => {
  db = await scratchDatabase("bad_input");
  // Everything each bad input would need to succeed if it were not rejected:
  // the schema of the tables, and the plain tables the hypertables are made of.
  await db.sql.query(`
    CREATE SCHEMA app;
    CREATE SCHEMA metrics;
    CREATE TABLE metrics.ht_interval (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at));
    CREATE TABLE metrics.ht_no_time  (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at));
    CREATE TABLE metrics.ht_key      (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at));
    CREATE TABLE metrics.ht_nullable (id bigint NOT NULL, at timestamptz, PRIMARY KEY (id));
    CREATE TABLE metrics.ht_unknown  (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at));
    CREATE TABLE metrics.ht_control  (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at));`);
  before = await catalogSnapshot();
});
afterAll(() => db.close());

/** The inputs with a connection; `connectionOverride` (in a bad input) adds to it. */
const withConnection = ({ connectionOverride, ...inputs }: Record<string, unknown>, connection: object = { url: db.url }) => ({
  connection: { ...connection, ...(connectionOverride as object | undefined) },
  ...inputs,
});

// ---------------------------------------------------------------- the bad inputs

describe.each(BAD_INPUTS.map((c) => [c.label, c] as const))("%s", (_label, c) => {
  const provider = KINDS[c.kind];
  let failures: pulumi.dynamic.CheckFailure[] = [];

  test("check fails", async () => {
    const result = await provider.check!({}, withConnection(c.inputs));
    failures = result.failures ?? [];
    expect(failures.length).toBeGreaterThan(0);
  });

  test(`check names the property ${c.property}`, () => {
    expect(failures.map((f) => f.property)).toContain(c.property);
  });

  test("the reason names the problem and the fix", () => {
    const reasons = failures.filter((f) => f.property === c.property).map((f) => f.reason);
    expect(reasons.some((r) => c.reason.test(r))).toBe(true);
  });

  test("create rejects it with the validation error, before connecting", async () => {
    const header = new RegExp(`^${c.kind}: invalid inputs:\\n`);
    await expect(provider.create(withConnection(c.inputs))).rejects.toThrow(header);
    // Against a server that does not exist the error is the same: nothing was attempted before validation.
    await expect(provider.create(withConnection(c.inputs, UNREACHABLE))).rejects.toThrow(header);
  });

  test(`create's error names the property ${c.property}`, async () => {
    const error = await provider.create(withConnection(c.inputs)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.message).toContain(`\n  ${c.property}: `);
  });

  test("no object of that name exists", async () => {
    expect(await existing(c.absent)).toEqual([]);
  });
});

describe("after every bad input", () => {
  test("the catalogs are exactly as before: no schema, relation or hypertable was created, no column became NOT NULL", async () => {
    expect(await catalogSnapshot()).toEqual(before);
  });

  test("the schema an injection attempt named is still there", async () => {
    expect(await existingSchemas(["app", "metrics"])).toEqual(["app", "metrics"]);
  });
});

// ---------------------------------------------------------------- controls

describe("controls: valid inputs of the same shapes are accepted, created, and seen by the same catalog queries", () => {
  const accepted = async (kind: KindName, inputs: Record<string, unknown>) => {
    const result = await KINDS[kind].check!({}, withConnection(inputs));
    expect(result.failures ?? []).toEqual([]);
    return result.inputs;
  };

  test("a 63-byte schema name", async () => {
    await KINDS.Schema.create(await accepted("Schema", { name: NAME_63 }));
    expect(await existing({ schemas: [NAME_63] })).toEqual([`schema ${NAME_63}`]);
  });

  test("a table with a 63-byte column name and known types in alias spellings", async () => {
    const inputs = { schema: "app", name: "control", columns: [{ name: "id", type: "int8", identity: "always" }, { name: "d".repeat(63), type: "timestamptz(3)" }], primaryKey: { columns: ["id"] } };
    await KINDS.Table.create(await accepted("Table", inputs));
    expect(await existing({ relations: [["app", "control"]] })).toEqual(["relation app.control"]);
  });

  test("a hypertable whose declared key includes its NOT NULL time column", async () => {
    const inputs = ht("ht_control", { chunkInterval: "1 day", declaredTable: declaredTable([{ name: "ht_control_pkey", columns: ["id", "at"] }]) });
    await KINDS.Hypertable.create(await accepted("Hypertable", inputs));
    expect(await existing({ hypertables: [["metrics", "ht_control"]] })).toEqual(["hypertable metrics.ht_control"]);
  });

  // The "<name>_pkey exceeds 63 bytes" rule applies only to a table with a primary key.
  test("a 63-byte table name without a primary key is accepted", async () => {
    await accepted("Table", { schema: "app", name: "e".repeat(63), columns: [{ name: "id", type: "bigint" }] });
  });
});

// ---------------------------------------------------------------- gaps

describe("inputs the server rejects or breaks on are rejected at check", () => {
  test.each(["1 day 1 day", "1:99"])("PostgreSQL rejects the interval %j", async (text) => {
    await expect(db.sql.query("SELECT $1::interval", [text])).rejects.toThrow(/invalid input syntax for type interval|interval field value out of range/);
  });

  test.each(["1 day 1 day", "1:99", "0 days", "00:00"])("chunkInterval %j fails check at chunkInterval", async (text) => {
    const result = await KINDS.Hypertable.check!({}, withConnection(ht("ht_interval", { chunkInterval: text })));
    expect((result.failures ?? []).map((f) => f.property)).toContain("chunkInterval");
  });

  test("a zero chunk interval breaks the hypertable: TimescaleDB refuses it or every insert fails", async () => {
    await db.sql.query("CREATE TABLE metrics.zero (at timestamptz NOT NULL)");
    try {
      const created = await db.sql.query("SELECT create_hypertable('metrics.zero', by_range('at', '0 days'::interval))").then(
        () => true,
        () => false,
      );
      if (created) await expect(db.sql.query("INSERT INTO metrics.zero VALUES (now())")).rejects.toThrow(/floating-point exception|interval/);
    } finally {
      await db.sql.query("DROP TABLE metrics.zero");
    }
  });

  test("PostgreSQL rejects a schema name starting with pg_", async () => {
    await expect(db.sql.query('CREATE SCHEMA "pg_foo"')).rejects.toThrow(/unacceptable schema name "pg_foo"/);
  });

  test("schema name pg_foo fails check at name", async () => {
    const result = await KINDS.Schema.check!({}, withConnection({ name: "pg_foo" }));
    expect((result.failures ?? []).map((f) => f.property)).toContain("name");
  });
});
