/**
 * Column type spellings and the text PostgreSQL prints for them. Shared by
 * test/unit/column-type.test.ts (which asserts canonicalColumnType against
 * `server`) and test/integration/column-type.test.ts (which proves `server` is
 * what `format_type(atttypid, atttypmod)` prints under
 * `search_path = pg_catalog, public`, and that every spelling in `rejectedByServer`
 * fails `CREATE TABLE`). Not a test file itself (no `.test.ts`).
 */

export interface SpellingCase {
  /** What a user writes in `columns[].type`. */
  declared: string;
  /** `format_type(atttypid, atttypmod)` of a column created with `declared` (proven by the integration test). */
  server: string;
}

export const ACCEPTED_SPELLINGS: SpellingCase[] = [
  // integers
  { declared: "smallint", server: "smallint" },
  { declared: "int2", server: "smallint" },
  { declared: "integer", server: "integer" },
  { declared: "int", server: "integer" },
  { declared: "int4", server: "integer" },
  { declared: "INT", server: "integer" },
  { declared: "  int4  ", server: "integer" },
  { declared: "bigint", server: "bigint" },
  { declared: "int8", server: "bigint" },
  // floating point
  { declared: "real", server: "real" },
  { declared: "float4", server: "real" },
  { declared: "double precision", server: "double precision" },
  { declared: "double   precision", server: "double precision" },
  { declared: "float8", server: "double precision" },
  // arbitrary precision
  { declared: "numeric", server: "numeric" },
  { declared: "decimal", server: "numeric" },
  { declared: "numeric(12,2)", server: "numeric(12,2)" },
  { declared: "numeric(12, 2)", server: "numeric(12,2)" },
  { declared: "decimal(10,3)", server: "numeric(10,3)" },
  { declared: "numeric(2,5)", server: "numeric(2,5)" },
  { declared: "numeric(12)", server: "numeric(12,0)" },
  { declared: "decimal(5)", server: "numeric(5,0)" },
  // boolean
  { declared: "boolean", server: "boolean" },
  { declared: "bool", server: "boolean" },
  // character
  { declared: "text", server: "text" },
  { declared: "varchar", server: "character varying" },
  { declared: "varchar(20)", server: "character varying(20)" },
  { declared: "VARCHAR ( 20 )", server: "character varying(20)" },
  { declared: "character varying(200)", server: "character varying(200)" },
  { declared: "character varying", server: "character varying" },
  { declared: "char", server: "character(1)" },
  { declared: "char(5)", server: "character(5)" },
  { declared: "character", server: "character(1)" },
  { declared: "character(3)", server: "character(3)" },
  // others
  { declared: "bytea", server: "bytea" },
  { declared: "uuid", server: "uuid" },
  { declared: "json", server: "json" },
  { declared: "jsonb", server: "jsonb" },
  { declared: "inet", server: "inet" },
  { declared: "cidr", server: "cidr" },
  { declared: "macaddr", server: "macaddr" },
  { declared: "tsvector", server: "tsvector" },
  { declared: "xml", server: "xml" },
  { declared: "date", server: "date" },
  { declared: "interval", server: "interval" },
  // time and timestamp
  { declared: "time", server: "time without time zone" },
  { declared: "time(3)", server: "time(3) without time zone" },
  { declared: "time without time zone", server: "time without time zone" },
  { declared: "timetz", server: "time with time zone" },
  { declared: "timetz(2)", server: "time(2) with time zone" },
  { declared: "time with time zone", server: "time with time zone" },
  { declared: "time(6) with time zone", server: "time(6) with time zone" },
  { declared: "timestamp", server: "timestamp without time zone" },
  { declared: "timestamp(0)", server: "timestamp(0) without time zone" },
  { declared: "timestamp without time zone", server: "timestamp without time zone" },
  { declared: "timestamptz", server: "timestamp with time zone" },
  { declared: "timestamptz(3)", server: "timestamp(3) with time zone" },
  { declared: "timestamp with time zone", server: "timestamp with time zone" },
  { declared: "timestamp(3) with time zone", server: "timestamp(3) with time zone" },
  { declared: "TIMESTAMP WITH TIME ZONE", server: "timestamp with time zone" },
  // bit strings
  { declared: "bit", server: "bit(1)" },
  { declared: "bit(8)", server: "bit(8)" },
  { declared: "varbit", server: "bit varying" },
  { declared: "varbit(4)", server: "bit varying(4)" },
  { declared: "bit varying(4)", server: "bit varying(4)" },
  // pgvector
  { declared: "vector", server: "vector" },
  { declared: "vector(3)", server: "vector(3)" },
  { declared: "vector(1536)", server: "vector(1536)" },
  { declared: "halfvec(3)", server: "halfvec(3)" },
  { declared: "sparsevec(5)", server: "sparsevec(5)" },
  // arrays
  { declared: "text[]", server: "text[]" },
  { declared: "text [ ]", server: "text[]" },
  { declared: "int[]", server: "integer[]" },
  { declared: "varchar(20)[]", server: "character varying(20)[]" },
  { declared: "numeric(12,2)[]", server: "numeric(12,2)[]" },
  { declared: "timestamptz(3)[]", server: "timestamp(3) with time zone[]" },
  { declared: "double precision[]", server: "double precision[]" },
  { declared: "vector(3)[]", server: "vector(3)[]" },
  { declared: "text[][]", server: "text[]" },
  { declared: "int[][]", server: "integer[]" },
];

/**
 * Spellings canonicalColumnType must reject although they look like known
 * types: the server rejects them at CREATE TABLE (proven by the integration
 * test), so accepting them at `check` would only defer the error to apply time.
 */
export const REJECTED_BY_SERVER: { declared: string; error: RegExp }[] = [
  { declared: "numeric(0)", error: /NUMERIC precision 0 must be between 1 and 1000/ },
  { declared: "numeric(1001)", error: /NUMERIC precision 1001 must be between 1 and 1000/ },
  { declared: "varchar(0)", error: /length for type varchar must be at least 1/ },
  { declared: "char(0)", error: /length for type char must be at least 1/ },
  { declared: "bit(0)", error: /length for type bit must be at least 1/ },
  { declared: "vector(0)", error: /dimensions for type vector must be at least 1/ },
  { declared: "vector(16001)", error: /dimensions for type vector cannot exceed 16000/ },
  { declared: "vector(1,2)", error: /invalid type modifier/ },
  { declared: "integr", error: /type "integr" does not exist/ },
  { declared: "int(4)", error: /syntax error|type modifier is not allowed/ },
  { declared: "varchar(20,2)", error: /syntax error at or near ","/ },
];

/**
 * Type changes and whether PostgreSQL rewrites a table with rows for them
 * (proven by the integration test: the relation's filenode changes exactly
 * when the table is rewritten). `conservative` marks changes PostgreSQL makes
 * without a rewrite that typeChangeAvoidsRewrite does not claim (it only
 * claims varchar widening, varchar↔text and numeric precision raises): they
 * get a `table-rewrite` hazard they do not need, which is safe.
 */
export const TYPE_CHANGES: { from: string; to: string; rewrites: boolean; conservative?: true }[] = [
  { from: "character varying(10)", to: "character varying(20)", rewrites: false },
  { from: "character varying(10)", to: "character varying(10)", rewrites: false },
  { from: "character varying(10)", to: "character varying", rewrites: false },
  { from: "character varying(10)", to: "text", rewrites: false },
  { from: "character varying", to: "text", rewrites: false },
  { from: "text", to: "character varying", rewrites: false },
  { from: "numeric(10,2)", to: "numeric(12,2)", rewrites: false },
  { from: "numeric(10,2)", to: "numeric", rewrites: false },
  { from: "character varying(20)", to: "character varying(10)", rewrites: true },
  { from: "character varying", to: "character varying(10)", rewrites: true },
  { from: "text", to: "character varying(10)", rewrites: true },
  { from: "numeric(12,2)", to: "numeric(10,2)", rewrites: true },
  { from: "numeric(10,2)", to: "numeric(12,3)", rewrites: true },
  { from: "numeric", to: "numeric(12,2)", rewrites: true },
  { from: "integer", to: "bigint", rewrites: true },
  { from: "text", to: "integer", rewrites: true },
  { from: "character varying(10)[]", to: "character varying(20)[]", rewrites: true },
  { from: "bit varying(3)", to: "bit varying(5)", rewrites: false, conservative: true },
  { from: "timestamp without time zone", to: "timestamp with time zone", rewrites: false, conservative: true },
];
