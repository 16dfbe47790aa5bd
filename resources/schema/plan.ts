import { quoteIdent, quoteLiteral } from "../core/quote";
import { Step, step } from "../core/step";
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

/**
 * `DROP SCHEMA`. A schema that still holds objects is refused unless
 * `cascade` is set, and the error lists what it holds.
 */
export function dropSchema(live: SchemaSpec, contents: SchemaContents | undefined): Step[] {
  const total = contents?.total ?? 0;
  if (total > 0 && !live.cascade) {
    throw new Error(
      `Schema ${live.name}: refusing to drop it: it holds ${total} object${total === 1 ? "" : "s"} (${contents!.examples.join(", ")}${total > contents!.examples.length ? ", …" : ""}), which would be dropped with it. ` +
        `Delete those resources first, or set cascade: true on this schema to drop them together.`,
    );
  }
  return [step(`DROP SCHEMA ${quoteIdent(live.name)}${total > 0 ? " CASCADE" : ""}`)];
}
