import { z } from "zod";
import { comment, schemaName, identifier } from "../core/spec";

/** A PostgreSQL schema (namespace), docs "CREATE SCHEMA". */
export function schemaSpec() {
  return z.strictObject({
    /** Schema name: any identifier PostgreSQL accepts (1–63 bytes, no NUL, not starting with `pg_`), e.g. `Identity`; always quoted. Changing it replaces the schema. */
    name: schemaName(),
    /** Owning role. Unset: not managed (the connecting role owns what it creates). */
    owner: identifier().optional(),
    /** `COMMENT ON SCHEMA`. Unset or empty: no comment (PostgreSQL stores an empty comment as none). */
    comment: comment(),
    /**
     * Whether deleting this resource may drop the schema together with the
     * objects in it (`DROP SCHEMA … CASCADE`, a `data-loss` hazard that
     * `allowHazards` must also allow). Default false: deleting a non-empty
     * schema is refused, and the error lists what it holds.
     */
    cascade: z.boolean().default(false),
  });
}

export type SchemaSpec = z.output<ReturnType<typeof schemaSpec>>;
export type SchemaInput = z.input<ReturnType<typeof schemaSpec>>;
