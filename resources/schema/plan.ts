import { quoteIdent, quoteLiteral } from "../core/quote";
import { describeRows, ROW_COUNT_CAP, Step, step } from "../core/step";
import { SchemaContents } from "./observe";
import { SchemaSpec } from "./spec";

function commentStep(desired: SchemaSpec): Step {
  return step(`COMMENT ON SCHEMA ${quoteIdent(desired.name)} IS ${desired.comment === undefined ? "NULL" : quoteLiteral(desired.comment)}`);
}

/** Steps from `live` (undefined: absent) to `desired`: create, change owner, change comment. */
export function planSchema(live: SchemaSpec | undefined, desired: SchemaSpec): Step[] {
  const name = quoteIdent(desired.name);
  if (!live) {
    const owner = desired.owner === undefined ? "" : ` AUTHORIZATION ${quoteIdent(desired.owner)}`;
    return [step(`CREATE SCHEMA ${name}${owner}`), ...(desired.comment === undefined ? [] : [commentStep(desired)])];
  }
  const steps: Step[] = [];
  if (desired.owner !== undefined && live.owner !== desired.owner) steps.push(step(`ALTER SCHEMA ${name} OWNER TO ${quoteIdent(desired.owner)}`));
  if (live.comment !== desired.comment) steps.push(commentStep(desired));
  return steps;
}

/** `3 objects (table a.t, type a.mood, …)` */
function describeObjects(c: SchemaContents): string {
  return `${c.total} object${c.total === 1 ? "" : "s"} (${c.examples.join(", ")}${c.total > c.examples.length ? ", …" : ""})`;
}

/** `rows at stake: a.t 120 rows, a.u at least 10000 rows` */
function describeRowsAtStake(c: SchemaContents): string {
  return c.rows.length === 0 ? "no table in it holds rows" : `rows at stake: ${c.rows.map((t) => `${t.table} ${describeRows(t.rows, ROW_COUNT_CAP)}`).join(", ")}`;
}

/**
 * `DROP SCHEMA`. A schema that still holds objects is refused unless
 * `cascade` is set, and the error lists what it holds and the rows of each
 * table in it; with `cascade` the drop is a `data-loss` hazard naming both.
 */
export function dropSchema(live: SchemaSpec, contents: SchemaContents | undefined): Step[] {
  const total = contents?.total ?? 0;
  if (total > 0 && !live.cascade) {
    throw new Error(
      `Schema ${live.name}: refusing to drop it: it holds ${describeObjects(contents!)}, which would be dropped with it; ${describeRowsAtStake(contents!)}. ` +
        `Delete those resources first, or set cascade: true and allowHazards: ["data-loss"] on this schema to drop them together.`,
    );
  }
  if (total === 0) return [step(`DROP SCHEMA ${quoteIdent(live.name)}`)];
  return [step(`DROP SCHEMA ${quoteIdent(live.name)} CASCADE`, [{ kind: "data-loss", message: `dropping schema ${live.name} with CASCADE drops the ${describeObjects(contents!)} it holds, with their data; ${describeRowsAtStake(contents!)}` }])];
}
