import { Step } from "../../resources/core/step";
import { temporaryName } from "../../resources/table/constraints";
import { dropTable, planTable } from "../../resources/table/plan";
import { TableFacts } from "../../resources/table/observe";
import { TableInput, TableSpec, tableSpec } from "../../resources/table/spec";

/**
 * planTable / dropTable as pure functions. Specs go through tableSpec() as in
 * the provider (defaults, canonical types, sorted constraints); a live state
 * has the same shape (that is observe's contract). The expected SQL was run
 * against PostgreSQL 17 while writing these tests.
 */

const spec = (input: Partial<TableInput> & Pick<TableInput, "columns">): TableSpec => tableSpec().parse({ schema: "app", name: "t", ...input });
const sqlOf = (steps: Step[]) => steps.map((s) => s.sql);
const hazardsOf = (steps: Step[]) => steps.flatMap((s) => s.hazards);
const rows = (n: number, volatileDefaults: string[] = [], more: Partial<TableFacts> = {}) => ({ rows: n, volatileDefaults, nullsIn: [], conversions: [], partitioning: [], rowSecurityBlockers: [], ...more });

describe("create", () => {
  test("one CREATE TABLE with every column and named constraint, then the comment", () => {
    const desired = spec({
      name: "accounts",
      columns: [
        { name: "id", type: "bigint", identity: "always" },
        { name: "email", type: "varchar(200)", nullable: false },
        { name: "balance", type: "numeric(12, 2)", default: "0" },
        { name: "created_at", type: "timestamptz", nullable: false, default: "now()" },
        { name: "note", type: "text" },
      ],
      primaryKey: { columns: ["id"] },
      uniqueConstraints: [{ name: "accounts_email_key", columns: ["email"] }],
      checkConstraints: [{ name: "balance_non_negative", expression: "balance >= 0" }],
      comment: "customer's accounts",
    });
    const steps = planTable(undefined, desired, undefined);
    expect(sqlOf(steps)).toEqual([
      `CREATE TABLE "app"."accounts" (
  "id" bigint NOT NULL GENERATED ALWAYS AS IDENTITY,
  "email" character varying(200) NOT NULL,
  "balance" numeric(12,2) DEFAULT 0,
  "created_at" timestamp with time zone NOT NULL DEFAULT now(),
  "note" text,
  CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),
  CONSTRAINT "accounts_email_key" UNIQUE ("email"),
  CONSTRAINT "balance_non_negative" CHECK (balance >= 0)
)`,
      `COMMENT ON TABLE "app"."accounts" IS 'customer''s accounts'`,
    ]);
    expect(hazardsOf(steps)).toEqual([]);
    expect(steps.every((s) => s.transactional)).toBe(true);
  });

  test("without a comment there is no COMMENT step; primary-key columns are NOT NULL", () => {
    const steps = planTable(undefined, spec({ columns: [{ name: "id", type: "int" }], primaryKey: { name: "t_id", columns: ["id"] } }), undefined);
    expect(sqlOf(steps)).toEqual([`CREATE TABLE "app"."t" (\n  "id" integer NOT NULL,\n  CONSTRAINT "t_id" PRIMARY KEY ("id")\n)`]);
  });

  test("identifiers are always quoted (reserved words stay names)", () => {
    const steps = planTable(undefined, spec({ schema: "user", name: "select", columns: [{ name: "order", type: "text" }] }), undefined);
    expect(sqlOf(steps)).toEqual([`CREATE TABLE "user"."select" (\n  "order" text\n)`]);
  });
});

describe("no change", () => {
  test("live equal to desired plans nothing, with or without rows", () => {
    const t = spec({ columns: [{ name: "id", type: "int" }, { name: "v", type: "varchar(20)", default: "'x'::character varying" }], primaryKey: { columns: ["id"] }, comment: "c" });
    expect(planTable(t, t, rows(0))).toEqual([]);
    expect(planTable(t, t, rows(50))).toEqual([]);
  });
});

describe("add column", () => {
  const live = spec({ columns: [{ name: "id", type: "int", nullable: false }] });

  test("an identity column, or one whose default the server found volatile, rewrites a table with rows: table-rewrite", () => {
    const desired = spec({ columns: [{ name: "id", type: "int", nullable: false }, { name: "n", type: "bigint", identity: "always" }, { name: "u", type: "uuid", default: "gen_random_uuid()" }] });
    expect(hazardsOf(planTable(live, desired, rows(0, ["u"])))).toEqual([]);
    expect(planTable(live, desired, rows(4, ["u"])).flatMap((s) => s.hazards)).toEqual([
      { kind: "table-rewrite", message: 'adding column "n" of app.t with an identity rewrites 4 rows under an ACCESS EXCLUSIVE lock' },
      { kind: "table-rewrite", message: 'adding column "u" of app.t with the volatile default gen_random_uuid() rewrites 4 rows under an ACCESS EXCLUSIVE lock' },
    ]);
  });

  test("a nullable column", () => {
    const steps = planTable(live, spec({ columns: [{ name: "id", type: "int", nullable: false }, { name: "note", type: "text" }] }), rows(3));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" ADD COLUMN "note" text`]);
    expect(hazardsOf(steps)).toEqual([]);
  });

  test("a NOT NULL column with a default, to a table with rows", () => {
    const steps = planTable(live, spec({ columns: [{ name: "id", type: "int", nullable: false }, { name: "unit", type: "text", nullable: false, default: "'m'::text" }] }), rows(3));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" ADD COLUMN "unit" text NOT NULL DEFAULT 'm'::text`]);
    expect(hazardsOf(steps)).toEqual([]);
  });

  test("an identity column to a table with rows (the server fills it)", () => {
    const steps = planTable(live, spec({ columns: [{ name: "id", type: "int", nullable: false }, { name: "seq", type: "bigint", identity: "by default" }] }), rows(3));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" ADD COLUMN "seq" bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY`]);
  });

  test("a NOT NULL column without default to an empty table", () => {
    const steps = planTable(live, spec({ columns: [{ name: "id", type: "int", nullable: false }, { name: "unit", type: "text", nullable: false }] }), rows(0));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" ADD COLUMN "unit" text NOT NULL`]);
  });

  test("a NOT NULL column without default to a table with rows is an error naming the column, the rows and the fix", () => {
    const desired = spec({ columns: [{ name: "id", type: "int", nullable: false }, { name: "unit", type: "text", nullable: false }] });
    expect(() => planTable(live, desired, rows(3))).toThrow(
      /^Table app\.t: columns\[unit\]: a NOT NULL column without a default cannot be added to a table with 3 rows\. Give it a default, or add it nullable, backfill it, then set nullable: false\.$/,
    );
    expect(() => planTable(live, desired, rows(10_000))).toThrow(/to a table with at least 10000 rows/);
  });
});

describe("drop column", () => {
  const live = spec({ columns: [{ name: "id", type: "int" }, { name: "old", type: "text" }] });
  const desired = spec({ columns: [{ name: "id", type: "int" }] });

  test.each([0, 1, 7, 10_000])("with %p rows: DROP COLUMN, a data-loss hazard exactly when rows > 0", (n) => {
    const steps = planTable(live, desired, rows(n));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" DROP COLUMN "old"`]);
    const expected = { 0: [], 1: ["1 row"], 7: ["7 rows"], 10000: ["at least 10000 rows"] }[n]!;
    expect(hazardsOf(steps)).toEqual(expected.map((r) => ({ kind: "data-loss", message: `dropping column "old" of app.t discards its values in ${r}` })));
  });

  test("no facts means no rows known: no hazard", () => {
    expect(hazardsOf(planTable(live, desired, undefined))).toEqual([]);
  });
});

describe("alter column type", () => {
  const withType = (type: string) => spec({ columns: [{ name: "id", type: "int" }, { name: "value", type }] });
  const alter = (type: string) => `ALTER TABLE "app"."t" ALTER COLUMN "value" TYPE ${type} USING "value"::${type}`;

  test.each([0, 2, 10_000])("text → integer with %p rows: a table-rewrite hazard exactly when rows > 0", (n) => {
    const steps = planTable(withType("text"), withType("int4"), rows(n));
    expect(sqlOf(steps)).toEqual([alter("integer")]);
    const r = { 0: "", 2: "2 rows", 10000: "at least 10000 rows" }[n]!;
    expect(hazardsOf(steps)).toEqual(
      n === 0 ? [] : [{ kind: "table-rewrite", message: `changing column "value" of app.t from text to integer rewrites ${r} under an ACCESS EXCLUSIVE lock` }],
    );
  });

  test.each([
    ["varchar(20)", "varchar(50)", "character varying(50)"],
    ["varchar(20)", "text", "text"],
    ["text", "varchar", "character varying"],
    ["numeric(10,2)", "numeric(12,2)", "numeric(12,2)"],
    ["numeric(10,2)", "numeric", "numeric"],
  ])("%s → %s with rows: no hazard (binary-coercible, no rewrite)", (from, to, canonical) => {
    const steps = planTable(withType(from), withType(to), rows(500));
    expect(sqlOf(steps)).toEqual([alter(canonical)]);
    expect(hazardsOf(steps)).toEqual([]);
  });

  test.each([
    ["varchar(50)", "varchar(20)", "character varying(20)"],
    ["numeric(10,2)", "numeric(12,3)", "numeric(12,3)"],
    ["int", "bigint", "bigint"],
  ])("%s → %s with rows: table-rewrite", (from, to, canonical) => {
    const steps = planTable(withType(from), withType(to), rows(500));
    expect(sqlOf(steps)).toEqual([alter(canonical)]);
    expect(hazardsOf(steps).map((h) => h.kind)).toEqual(["table-rewrite"]);
  });

  test("the rows whose value the cast changes, as the server counted them, make it data-loss too; the rows it cannot convert refuse it", () => {
    const narrowed = (conversion: object) => planTable(withType("varchar(10)"), withType("varchar(3)"), rows(500, [], { conversions: [{ column: "value", failed: 0, ...conversion }] }));
    expect(hazardsOf(narrowed({ changed: 0 })).map((h) => h.kind)).toEqual(["table-rewrite"]);
    expect(hazardsOf(narrowed({ changed: 10_000 }))[1]).toEqual({
      kind: "data-loss",
      message: 'changing column "value" of app.t from character varying(10) to character varying(3) changes the stored value in at least 10000 rows (the cast truncates, rounds or drops what character varying(3) cannot hold)',
    });
    expect(hazardsOf(narrowed({ changed: undefined, error: "cannot cast type x to y" }))[1]).toMatchObject({ kind: "data-loss", message: expect.stringMatching(/may change stored values: the server cannot compare them \(cannot cast type x to y\)$/) });
    expect(() => narrowed({ changed: undefined, failed: 3, error: "value too long" })).toThrow(
      /^Table app\.t: columns\[value\]\.type: 3 rows hold a value that character varying\(10\) to character varying\(3\) cannot convert \(value too long\)\. Update or delete them first, or keep character varying\(10\)\.$/,
    );
  });

  test("a vector dimension change with rows is an error naming the column, both types and the fix", () => {
    expect(() => planTable(withType("vector(3)"), withType("vector(4)"), rows(2))).toThrow(
      /^Table app\.t: columns\[value\]\.type: changing vector\(3\) to vector\(4\) cannot convert the 2 rows present \(pgvector: "expected 4 dimensions"\)\. Add a new vector\(4\) column, backfill it, then drop "value"\.$/,
    );
    expect(() => planTable(withType("halfvec(3)"), withType("halfvec(8)"), rows(1))).toThrow(/changing halfvec\(3\) to halfvec\(8\) cannot convert the 1 row present/);
  });

  test("a vector dimension change of an empty table is a plain ALTER TYPE", () => {
    const steps = planTable(withType("vector(3)"), withType("vector(4)"), rows(0));
    expect(sqlOf(steps)).toEqual([alter("vector(4)")]);
    expect(hazardsOf(steps)).toEqual([]);
  });
});

describe("alter column nullability, default, identity", () => {
  const col = (c: object) => spec({ columns: [{ name: "v", type: "int", ...c }] });
  const alter = (clause: string) => `ALTER TABLE "app"."t" ALTER COLUMN "v" ${clause}`;

  test("nullable → NOT NULL and back, on an empty table", () => {
    expect(sqlOf(planTable(col({}), col({ nullable: false }), rows(0)))).toEqual([alter("SET NOT NULL")]);
    expect(sqlOf(planTable(col({ nullable: false }), col({}), rows(1)))).toEqual([alter("DROP NOT NULL")]);
  });

  test("NOT NULL on a table with rows: a CHECK (v IS NOT NULL) added NOT VALID, validated alone, then SET NOT NULL (no scan) and the check dropped", () => {
    const check = `"${temporaryName("not null", "v")}"`;
    const steps = planTable(col({}), col({ nullable: false }), rows(3));
    expect(steps).toEqual([
      { sql: `ALTER TABLE "app"."t" ADD CONSTRAINT ${check} CHECK ("v" IS NOT NULL) NOT VALID`, hazards: [], transactional: true },
      { sql: `ALTER TABLE "app"."t" VALIDATE CONSTRAINT ${check}`, hazards: [], transactional: false, abandon: `ALTER TABLE "app"."t" DROP CONSTRAINT IF EXISTS ${check}` },
      { sql: alter("SET NOT NULL"), hazards: [], transactional: true, abandon: `ALTER TABLE "app"."t" DROP CONSTRAINT IF EXISTS ${check}` },
      { sql: `ALTER TABLE "app"."t" DROP CONSTRAINT ${check}`, hazards: [], transactional: true },
    ]);
  });

  test("set, change and remove a default", () => {
    expect(sqlOf(planTable(col({}), col({ default: "5" }), rows(1)))).toEqual([alter("SET DEFAULT 5")]);
    expect(sqlOf(planTable(col({ default: "0" }), col({ default: "5" }), rows(1)))).toEqual([alter("DROP DEFAULT"), alter("SET DEFAULT 5")]);
    expect(sqlOf(planTable(col({ default: "0" }), col({}), rows(1)))).toEqual([alter("DROP DEFAULT")]);
  });

  test("a type change drops the old default first and sets the new one after", () => {
    const steps = planTable(col({ default: "0" }), spec({ columns: [{ name: "v", type: "bigint", default: "'0'::bigint" }] }), rows(0));
    expect(sqlOf(steps)).toEqual([alter("DROP DEFAULT"), alter(`TYPE bigint USING "v"::bigint`), alter("SET DEFAULT '0'::bigint")]);
  });

  test("making a column an identity sets NOT NULL before ADD GENERATED (the server requires it), then moves the new sequence past the stored values", () => {
    const sql = sqlOf(planTable(col({}), col({ identity: "always" }), rows(0)));
    expect(sql.slice(0, 2)).toEqual([alter("SET NOT NULL"), alter("ADD GENERATED ALWAYS AS IDENTITY")]);
    expect(sql[2]).toMatch(/^SELECT setval\(.*pg_get_serial_sequence\('"app"\."t"', a\.attname\).* AND a\.attname = 'v'$/s);
    expect(sql).toHaveLength(3);
    // With rows, NOT NULL goes the online way first; the identity follows it.
    const online = sqlOf(planTable(col({}), col({ identity: "always" }), rows(1)));
    expect(online.slice(2, 5)).toEqual([alter("SET NOT NULL"), `ALTER TABLE "app"."t" DROP CONSTRAINT "${temporaryName("not null", "v")}"`, alter("ADD GENERATED ALWAYS AS IDENTITY")]);
    expect(online).toHaveLength(6);
    const hazards = hazardsOf(planTable(col({}), col({ identity: "always" }), rows(1)));
    expect(hazards).toEqual([{ kind: "blocking-lock", message: `making column "v" of app.t an identity reads its 1 row for the largest stored value under an ACCESS EXCLUSIVE lock: reads and writes of app.t wait for that scan` }]);
    expect(hazardsOf(planTable(col({}), col({ identity: "always" }), rows(0)))).toEqual([]);
  });

  test("removing an identity drops it (the column then defaults to nullable)", () => {
    expect(sqlOf(planTable(col({ identity: "always" }), col({}), rows(1)))).toEqual([alter("DROP IDENTITY"), alter("DROP NOT NULL")]);
  });

  // Not [DROP IDENTITY, SET GENERATED …]: PostgreSQL refuses the second step ("is not an identity column").
  test("switching GENERATED ALWAYS → BY DEFAULT is one SET GENERATED (keeps the sequence)", () => {
    expect(sqlOf(planTable(col({ identity: "always" }), col({ identity: "by default" }), rows(1)))).toEqual([alter("SET GENERATED BY DEFAULT")]);
  });
});

describe("constraints", () => {
  const base = { columns: [{ name: "id", type: "int" }, { name: "at", type: "timestamptz", nullable: false }, { name: "v", type: "text" }] };

  const withUniqueAndCheck = spec({ ...base, uniqueConstraints: [{ name: "t_v_key", columns: ["v"] }], checkConstraints: [{ name: "v_len", expression: "length(v) > 0" }] });

  test("adding a unique constraint and a check to an empty table: plain ADD CONSTRAINT, one transaction", () => {
    const steps = planTable(spec(base), withUniqueAndCheck, rows(0));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" ADD CONSTRAINT "t_v_key" UNIQUE ("v")`, `ALTER TABLE "app"."t" ADD CONSTRAINT "v_len" CHECK (length(v) > 0)`]);
    expect(hazardsOf(steps)).toEqual([]);
    expect(steps.every((s) => s.transactional)).toBe(true);
  });

  test("adding them to a table with rows: CHECK NOT VALID then VALIDATE alone; UNIQUE through CREATE UNIQUE INDEX CONCURRENTLY then USING INDEX", () => {
    const steps = planTable(spec(base), withUniqueAndCheck, rows(4));
    expect(steps).toEqual([
      { sql: `ALTER TABLE "app"."t" ADD CONSTRAINT "v_len" CHECK (length(v) > 0) NOT VALID`, hazards: [], transactional: true },
      { sql: `ALTER TABLE "app"."t" VALIDATE CONSTRAINT "v_len"`, hazards: [], transactional: false, abandon: `ALTER TABLE "app"."t" DROP CONSTRAINT IF EXISTS "v_len"` },
      { sql: `CREATE UNIQUE INDEX CONCURRENTLY "t_v_key" ON "app"."t" ("v")`, hazards: [], transactional: false, abandon: `DROP INDEX CONCURRENTLY IF EXISTS "app"."t_v_key"` },
      { sql: `ALTER TABLE "app"."t" ADD CONSTRAINT "t_v_key" UNIQUE USING INDEX "t_v_key"`, hazards: [], transactional: true, abandon: `DROP INDEX CONCURRENTLY IF EXISTS "app"."t_v_key"` },
    ]);
  });

  test("on a hypertable with rows a key is a plain ADD CONSTRAINT (TimescaleDB refuses the concurrent path): a blocking-lock hazard", () => {
    const desired = spec({ ...base, uniqueConstraints: [{ name: "t_v_key", columns: ["v", "at"] }] });
    const steps = planTable(spec(base), desired, rows(4, [], { partitioning: ["at"] }));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" ADD CONSTRAINT "t_v_key" UNIQUE ("v", "at")`]);
    expect(hazardsOf(steps)).toEqual([
      {
        kind: "blocking-lock",
        message:
          `adding UNIQUE ("v", "at") as t_v_key to hypertable app.t builds its index on every chunk of 4 rows under an ACCESS EXCLUSIVE lock: reads and writes of app.t wait until it is built ` +
          `(TimescaleDB refuses concurrent builds and ADD CONSTRAINT … USING INDEX on hypertables)`,
      },
    ]);
  });

  test("removing one", () => {
    const steps = planTable(spec({ ...base, uniqueConstraints: [{ name: "t_v_key", columns: ["v"] }] }), spec(base), rows(4));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" DROP CONSTRAINT "t_v_key"`]);
  });

  test("changing a primary key's columns drops and re-adds it under its name; with rows, the new index is built concurrently before the old key goes", () => {
    const [from, to] = [spec({ ...base, primaryKey: { columns: ["id", "at"] } }), spec({ ...base, primaryKey: { columns: ["at", "id"] } })];
    expect(sqlOf(planTable(from, to, rows(0)))).toEqual([`ALTER TABLE "app"."t" DROP CONSTRAINT "t_pkey"`, `ALTER TABLE "app"."t" ADD CONSTRAINT "t_pkey" PRIMARY KEY ("at", "id")`]);
    const index = `"${temporaryName("replace", "t_pkey")}"`;
    expect(sqlOf(planTable(from, to, rows(4)))).toEqual([
      `CREATE UNIQUE INDEX CONCURRENTLY ${index} ON "app"."t" ("at", "id")`,
      `ALTER TABLE "app"."t" DROP CONSTRAINT IF EXISTS "t_pkey"`,
      `ALTER TABLE "app"."t" ADD CONSTRAINT "t_pkey" PRIMARY KEY USING INDEX ${index}`,
    ]);
  });

  test("changing a check's expression drops and re-adds it; with rows, the old one guards the rows until its replacement is validated", () => {
    const [from, to] = [
      spec({ ...base, checkConstraints: [{ name: "v_len", expression: "(length(v) > 0)" }] }),
      spec({ ...base, checkConstraints: [{ name: "v_len", expression: "(length(v) > 1)" }] }),
    ];
    expect(sqlOf(planTable(from, to, rows(0)))).toEqual([`ALTER TABLE "app"."t" DROP CONSTRAINT "v_len"`, `ALTER TABLE "app"."t" ADD CONSTRAINT "v_len" CHECK ((length(v) > 1))`]);
    const next = `"${temporaryName("replace", "v_len")}"`;
    const steps = planTable(from, to, rows(4));
    expect(sqlOf(steps)).toEqual([
      `ALTER TABLE "app"."t" ADD CONSTRAINT ${next} CHECK ((length(v) > 1)) NOT VALID`,
      `ALTER TABLE "app"."t" VALIDATE CONSTRAINT ${next}`,
      `ALTER TABLE "app"."t" DROP CONSTRAINT IF EXISTS "v_len"`,
      `ALTER TABLE "app"."t" RENAME CONSTRAINT ${next} TO "v_len"`,
    ]);
    expect(steps.map((s) => s.abandon)).toEqual([undefined, `ALTER TABLE "app"."t" DROP CONSTRAINT IF EXISTS ${next}`, undefined, `ALTER TABLE "app"."t" DROP CONSTRAINT IF EXISTS ${next}`]);
  });

  test("a live CHECK left NOT VALID is drift: it is replaced by a validated one", () => {
    const live = spec({ ...base, checkConstraints: [{ name: "v_len", expression: "(length(v) > 0)" }] });
    const notValid = { ...live, checkConstraints: [{ ...live.checkConstraints[0], notValid: true as const }] };
    expect(sqlOf(planTable(notValid, live, rows(4)))).toContain(`ALTER TABLE "app"."t" RENAME CONSTRAINT "${temporaryName("replace", "v_len")}" TO "v_len"`);
    expect(planTable(live, live, rows(4))).toEqual([]);
  });

  test("order: drop constraints, drop columns, then each declared column in order (alter or add), add constraints, comment", () => {
    const live = spec({
      columns: [{ name: "id", type: "int" }, { name: "old", type: "text" }, { name: "v", type: "varchar(10)" }],
      uniqueConstraints: [{ name: "t_old_key", columns: ["old"] }],
    });
    const desired = spec({
      columns: [{ name: "id", type: "int" }, { name: "v", type: "varchar(20)" }, { name: "new", type: "text" }],
      uniqueConstraints: [{ name: "t_new_key", columns: ["new"] }],
      comment: "v2",
    });
    const steps = planTable(live, desired, rows(0));
    expect(sqlOf(steps)).toEqual([
      `ALTER TABLE "app"."t" DROP CONSTRAINT "t_old_key"`,
      `ALTER TABLE "app"."t" DROP COLUMN "old"`,
      `ALTER TABLE "app"."t" ALTER COLUMN "v" TYPE character varying(20) USING "v"::character varying(20)`,
      `ALTER TABLE "app"."t" ADD COLUMN "new" text`,
      `ALTER TABLE "app"."t" ADD CONSTRAINT "t_new_key" UNIQUE ("new")`,
      `COMMENT ON TABLE "app"."t" IS 'v2'`,
    ]);
    expect(hazardsOf(steps)).toEqual([]);
  });
});

describe("comment", () => {
  const cols = { columns: [{ name: "id", type: "int" }] };
  test("set, change, remove", () => {
    expect(sqlOf(planTable(spec(cols), spec({ ...cols, comment: "it's" }), rows(1)))).toEqual([`COMMENT ON TABLE "app"."t" IS 'it''s'`]);
    expect(sqlOf(planTable(spec({ ...cols, comment: "a" }), spec({ ...cols, comment: "b" }), rows(1)))).toEqual([`COMMENT ON TABLE "app"."t" IS 'b'`]);
    expect(sqlOf(planTable(spec({ ...cols, comment: "a" }), spec(cols), rows(1)))).toEqual([`COMMENT ON TABLE "app"."t" IS NULL`]);
  });
});

describe("dropTable", () => {
  const t = spec({ columns: [{ name: "id", type: "int" }] });
  test.each([
    [0, []],
    [1, ["1 row"]],
    [3, ["3 rows"]],
    [10_000, ["at least 10000 rows"]],
  ] as const)("with %p rows: DROP TABLE, data-loss exactly when rows > 0", (n, at) => {
    const steps = dropTable(t, rows(n));
    expect(sqlOf(steps)).toEqual([`DROP TABLE "app"."t"`]);
    expect(hazardsOf(steps)).toEqual(at.map((r) => ({ kind: "data-loss", message: `dropping table app.t discards its ${r}` })));
  });
});

describe("refused before any SQL, from facts about the live data", () => {
  const live = spec({ columns: [{ name: "at", type: "timestamptz", nullable: false }, { name: "device", type: "text" }, { name: "v", type: "int" }] });

  test("NOT NULL on a column that holds NULLs names the column and the backfill", () => {
    const desired = spec({ columns: [{ name: "at", type: "timestamptz", nullable: false }, { name: "device", type: "text", nullable: false }, { name: "v", type: "int" }] });
    expect(() => planTable(live, desired, rows(3, [], { nullsIn: ["device"] }))).toThrow(
      /^Table app\.t: columns\[device\]\.nullable: some rows hold NULL in "device", so it cannot become NOT NULL\. Backfill them first/,
    );
    expect(sqlOf(planTable(live, desired, rows(0)))).toEqual([`ALTER TABLE "app"."t" ALTER COLUMN "device" SET NOT NULL`]);
  });

  test("a type change of a hypertable's partitioning column", () => {
    const desired = spec({ columns: [{ name: "at", type: "timestamptz", nullable: false }, { name: "device", type: "varchar(20)" }, { name: "v", type: "int" }] });
    expect(() => planTable(live, desired, rows(0, [], { partitioning: ["at", "device"] }))).toThrow(/columns\[device\]\.type: "device" partitions hypertable app\.t, so its type cannot change in place/);
  });

  test("a key added to a hypertable without its partitioning columns", () => {
    const desired = spec({ ...live, columns: live.columns, uniqueConstraints: [{ name: "t_v_key", columns: ["v"] }] });
    expect(() => planTable(live, desired, rows(0, [], { partitioning: ["at"] }))).toThrow(/constraint t_v_key \(v\) of app\.t does not include partitioning column "at"/);
  });
});

describe("foreign keys", () => {
  const base = { columns: [{ name: "id", type: "bigint" }, { name: "a", type: "int" }, { name: "b", type: "int" }] };
  const fk = (extra: object = {}) => ({ name: "t_ab_fk", columns: ["a", "b"], references: { table: { schema: "app", name: "parent" }, columns: ["x", "y"] }, ...extra });
  const parent = { "app.parent": { columns: ["x", "y"], keys: [["y", "x"]] } };

  test("every option is spelled as PostgreSQL prints it; defaults are left out", () => {
    const full = fk({ onDelete: "set null", onDeleteSetColumns: ["b"], onUpdate: "cascade", match: "full", deferrable: "deferred" });
    const [create] = sqlOf(planTable(undefined, spec({ ...base, foreignKeys: [full] }), rows(0, [], { referencedTables: parent })));
    expect(create).toContain(`CONSTRAINT "t_ab_fk" FOREIGN KEY ("a", "b") REFERENCES "app"."parent" ("x", "y") MATCH FULL ON UPDATE CASCADE ON DELETE SET NULL ("b") DEFERRABLE INITIALLY DEFERRED`);
    expect(sqlOf(planTable(spec(base), spec({ ...base, foreignKeys: [fk()] }), rows(0, [], { referencedTables: parent })))).toEqual([
      `ALTER TABLE "app"."t" ADD CONSTRAINT "t_ab_fk" FOREIGN KEY ("a", "b") REFERENCES "app"."parent" ("x", "y")`,
    ]);
  });

  test("a key whose referenced table is missing, or whose columns are no key of it, is refused before any SQL, naming the property", () => {
    expect(() => planTable(undefined, spec({ ...base, foreignKeys: [fk()] }), rows(0, [], { referencedTables: {} }))).toThrow(
      /^Table app\.t: foreignKeys\[t_ab_fk\]\.references\.table: table app\.parent does not exist: create it first/,
    );
    expect(() => planTable(spec(base), spec({ ...base, foreignKeys: [fk()] }), rows(0, [], { referencedTables: { "app.parent": { columns: ["x", "y"], keys: [["x"]] } } }))).toThrow(
      /^Table app\.t: foreignKeys\[t_ab_fk\]\.references\.columns: \(x, y\) is not a PRIMARY KEY or UNIQUE constraint of app\.parent \(its keys are \(x\)\)/,
    );
  });

  test("rows that reference no row refuse the key before any SQL, counting them", () => {
    expect(() => planTable(spec(base), spec({ ...base, foreignKeys: [fk()] }), rows(50, [], { referencedTables: parent, orphans: { t_ab_fk: 3 } }))).toThrow(
      /^Table app\.t: foreignKeys\[t_ab_fk\]: 3 rows of app\.t reference no row of app\.parent \(\(a, b\) → \(x, y\)\), so the key cannot be validated/,
    );
  });

  test("on a partitioned table with rows: the key NOT VALID would be refused by PostgreSQL 17, so it is a plain ADD with a blocking-lock hazard", () => {
    const steps = planTable(spec(base), spec({ ...base, foreignKeys: [fk()] }), rows(50, [], { referencedTables: parent, orphans: {}, partitions: [{ schema: "app", name: "t_1", partitioned: false }] }));
    expect(sqlOf(steps)).toEqual([`ALTER TABLE "app"."t" ADD CONSTRAINT "t_ab_fk" FOREIGN KEY ("a", "b") REFERENCES "app"."parent" ("x", "y")`]);
    expect(hazardsOf(steps).map((h) => h.kind)).toEqual(["blocking-lock"]);
  });
});
