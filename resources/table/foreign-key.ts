import { z } from "zod";
import { declaredTable, identifier, schemaName } from "../core/spec";

/**
 * `FOREIGN KEY … REFERENCES` (docs "CREATE TABLE", §5.5.5 "Foreign Keys"):
 * the spec of one key and the rule its referenced columns obey.
 */

/** Referential actions, in the catalog's letters (pg_constraint.confdeltype / confupdtype). */
export const REFERENTIAL_ACTIONS = { "no action": "a", restrict: "r", cascade: "c", "set null": "n", "set default": "d" } as const;
export type ReferentialAction = keyof typeof REFERENTIAL_ACTIONS;

const ACTIONS = Object.keys(REFERENTIAL_ACTIONS) as [ReferentialAction, ...ReferentialAction[]];
const action = () =>
  z.enum(ACTIONS, { error: (i) => `${JSON.stringify(i.input)} is not a referential action: use one of ${ACTIONS.map((a) => `"${a}"`).join(", ")}` }).default("no action");

/** One foreign key, as the user writes it (with the referenced table's declaration when the `Table` class knows it). */
export function foreignKey() {
  return z.strictObject({
    /** Constraint name. */
    name: identifier(),
    /** Referencing columns of this table, in order. */
    columns: z.array(identifier()).min(1, "list at least one column"),
    references: z.strictObject({
      /** The referenced table: `{ schema, name }` (the `Table` class also takes a `Table` resource of the program). */
      table: z.strictObject({ schema: schemaName(), name: identifier() }),
      /** Referenced columns, one per referencing column, in the same order: exactly the columns of a PRIMARY KEY or UNIQUE constraint of that table. */
      columns: z.array(identifier()).min(1, "list at least one column"),
      /** Filled in by the `Table` class from a referenced `Table` of the program, so that `check` can judge the key; not part of the state. */
      declaredTable: declaredTable().optional(),
    }),
    /** `ON DELETE` action. Default `no action`. */
    onDelete: action(),
    /** `ON UPDATE` action. Default `no action`. */
    onUpdate: action(),
    /** With `onDelete: "set null" | "set default"`: only these referencing columns are set (PostgreSQL 15+); default all of them. */
    onDeleteSetColumns: z.array(identifier()).min(1).optional(),
    /** `MATCH SIMPLE` (default: a row with any NULL key column is not checked) or `MATCH FULL` (all or none NULL). */
    match: z.enum(["simple", "full"]).default("simple"),
    /** `false` (default): checked at each statement; `"immediate"`: DEFERRABLE INITIALLY IMMEDIATE; `"deferred"`: DEFERRABLE INITIALLY DEFERRED (checked at commit). */
    deferrable: z.union([z.literal(false), z.enum(["immediate", "deferred"])]).default(false),
  });
}

export type ForeignKeyInput = z.input<ReturnType<typeof foreignKey>>;
/** The canonical shape of a foreign key: what observe reads, with the declaration of the referenced table dropped. */
export type ForeignKeySpec = Omit<z.output<ReturnType<typeof foreignKey>>, "references"> & {
  references: { table: { schema: string; name: string }; columns: string[] };
  /** Set by observe when the live constraint is NOT VALID (an interrupted online change): drift, fixed by validating it again. */
  notValid?: true;
};

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((c) => b.includes(c));

/**
 * What is wrong with `fk`'s referenced columns given the referenced table's
 * `columns` and PRIMARY KEY / UNIQUE `keys`, as one message naming the table,
 * the columns and the fix; undefined when the key is valid. PostgreSQL's rule
 * (docs "CREATE TABLE", REFERENCES): the referenced columns must be the
 * columns of a non-deferrable unique constraint or primary key, in any order.
 */
export function referencedKeyProblem(fk: { references: { table: { schema: string; name: string }; columns: string[] } }, columns: string[], keys: string[][]): string | undefined {
  const table = `${fk.references.table.schema}.${fk.references.table.name}`;
  const missing = fk.references.columns.filter((c) => !columns.includes(c));
  if (missing.length > 0) return `table ${table} has no column ${missing.map((c) => `"${c}"`).join(", ")}: name columns of ${table} (${columns.join(", ")})`;
  if (keys.some((k) => sameSet(k, fk.references.columns))) return undefined;
  const candidates = keys.length > 0 ? `its keys are ${keys.map((k) => `(${k.join(", ")})`).join(", ")}` : "it has none";
  return `(${fk.references.columns.join(", ")}) is not a PRIMARY KEY or UNIQUE constraint of ${table} (${candidates}): reference one of its keys, or declare a unique constraint on these columns in ${table}`;
}
