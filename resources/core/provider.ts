import type * as pulumi from "@pulumi/pulumi";
import type { PoolClient } from "pg";
import { z } from "zod";
import { canonicalJson, changedProperties, keepDeclaredWhereUnchanged, plainJson, sameValue } from "./compare";
import { Connection, connectionSchema, inDatabase, withClient } from "./connection";
import { engineLog } from "./engine-log";
import { Kind, Previous } from "./kind";
import { ObjectLocks, withObjectLocks } from "./locks";
import { once } from "./once";
import { ApplyWatch, indexBuildProgress } from "./progress";
import { sqlParserReady } from "./sql-expression";
import { PROTO_KEY_REASON, protoKeyPaths } from "./proto-keys";
import { applySteps } from "./session";
import { Hazard, HAZARD_KINDS, HazardKind, refuseDisallowedHazards, Step } from "./step";
import { stoppedError } from "./stopped";
import type { JobStatus } from "./timescaledb";

/** Inputs every pgstrata resource takes besides its kind's own properties. */
interface CommonInputs {
  /** Where the object lives; pass it as a secret (see {@link Connection}). */
  connection: Connection;
  /** Hazards this resource may run (`data-loss`, `table-rewrite`); default none. */
  allowHazards: HazardKind[];
}

/**
 * Outputs: the validated inputs, plus `observed` (the canonical live state read
 * after the last apply or refresh), `appliedSql` (the statements the last
 * create or update ran; `[]` when it adopted an identical object) and, for
 * kinds with TimescaleDB policies, `jobs` (each job's id, whether it is
 * scheduled, and its last run's status and start, and failures).
 */
type Outputs<S> = S & CommonInputs & { observed: S; appliedSql: string[]; jobs?: JobStatus[] };

/** Properties that are bookkeeping, not declared state: never validated or diffed. */
const BOOKKEEPING = ["__provider", "__urn", "observed", "appliedSql", "jobs"];

function declaredPart(raw: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => !BOOKKEEPING.includes(k)));
}

/** The zod schema of {@link CommonInputs}, built once per process. */
const commonSchema = once(() => z.strictObject({ connection: connectionSchema(), allowHazards: z.array(z.enum(HAZARD_KINDS)).default([]) }));

/** The value the engine sends for inputs that are not known during preview. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** True when `value` holds, at any depth, a value not known during preview. */
function holdsUnknown(value: unknown): boolean {
  return value === UNKNOWN || (typeof value === "object" && value !== null && Object.values(value).some(holdsUnknown));
}

type Validated<S> = { ok: true; spec: S; common: CommonInputs } | { ok: false; failures: pulumi.dynamic.CheckFailure[]; unknown: boolean };

function validate<S extends object>(kind: Kind<S, unknown>, raw: Record<string, unknown>): Validated<S> {
  const protoKeys = protoKeyPaths(raw);
  if (protoKeys.length > 0) return { ok: false, failures: protoKeys.map((property) => ({ property, reason: PROTO_KEY_REASON })), unknown: false };
  const { connection, allowHazards, ...props } = declaredPart(raw);
  const common = commonSchema().safeParse({ connection, allowHazards });
  const schema = kind.schema();
  const spec = schema.safeParse(props);
  if (common.success && spec.success) return { ok: true, spec: spec.data, common: common.data };
  const issues = [...(common.success ? [] : common.error.issues), ...(spec.success ? [] : spec.error.issues)];
  const valueAt = (path: PropertyKey[]) => path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], raw);
  const unknown = issues.some((i) => valueAt(i.path) === UNKNOWN);
  const failures = issues.filter((i) => valueAt(i.path) !== UNKNOWN).flatMap((i) => failuresOf(i, valueAt(i.path), schema));
  return { ok: false, failures, unknown };
}

const propertyPath = (path: PropertyKey[]) => path.map((k) => (typeof k === "number" ? `[${k}]` : `.${String(k)}`)).join("").replace(/^\./, "");

/** What a zod schema's definition holds, as far as {@link schemaAt} walks it. */
type SchemaDef = { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; innerType?: z.core.$ZodType; in?: z.core.$ZodType };

/**
 * The schema that validates the value at `path` of `schema`'s input, through
 * optional, nullable, default, readonly and catch wrappers, transforms (the
 * schema piped into them) and array elements; undefined where the path
 * leaves what can be walked (a union).
 */
function schemaAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  const def = schema._zod.def as SchemaDef;
  const inner = def.innerType ?? (def.type === "pipe" ? def.in : undefined);
  if (inner) return schemaAt(inner, path);
  if (path.length === 0) return schema;
  const [key, ...rest] = path;
  const next = def.type === "object" && typeof key === "string" ? def.shape?.[key] : def.type === "array" && typeof key === "number" ? def.element : undefined;
  return next && schemaAt(next, rest);
}

/** The property names the object schema at `path` of `schema` accepts (none when there is no object there). */
function knownProperties(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  const object = schemaAt(schema, path);
  const shape = object && (object._zod.def as SchemaDef).shape;
  return shape ? Object.keys(shape) : [];
}

/**
 * One check failure per zod issue: unknown properties are reported under their
 * own path with the properties known at that path (`columns[0].bogus` lists a
 * column's properties), missing ones as required.
 */
function failuresOf(issue: z.core.$ZodIssue, value: unknown, schema: z.ZodType): pulumi.dynamic.CheckFailure[] {
  if (issue.code === "unrecognized_keys") {
    const known = knownProperties(issue.path[0] === "connection" ? commonSchema() : schema, issue.path);
    return issue.keys.map((key) => ({
      property: propertyPath([...issue.path, key]),
      reason: `unknown property ${JSON.stringify(key)}: remove it${known.length > 0 ? `, or use one of ${known.join(", ")}` : ""}`,
    }));
  }
  const reason = value === undefined && issue.code === "invalid_type" && !issue.message.startsWith("required") ? `required: ${issue.message}` : issue.message;
  return [{ property: propertyPath(issue.path) || "(inputs)", reason }];
}

/**
 * The state this provider stored (outputs, possibly refreshed with live values
 * that no input would validate, e.g. a column a DBA added with a domain type):
 * only the common inputs are parsed; the rest was written by this provider.
 */
function stored<S extends object>(kind: Kind<S, unknown>, props: Record<string, unknown>): { spec: S; common: CommonInputs } {
  const { connection, allowHazards, ...spec } = declaredPart(props);
  const common = commonSchema().safeParse({ connection, allowHazards });
  if (common.success) return { spec: spec as S, common: common.data };
  const failures = common.error.issues.flatMap((i) => failuresOf(i, undefined, commonSchema()));
  throw new Error(
    `${resourceName(kind, spec as S)}: the connection stored in this resource's state is invalid:\n` +
      failures.map((f) => `  ${f.property}: ${f.reason}`).join("\n") +
      "\nGive the resource a valid connection and run `pulumi up` (an update stores it), then refresh or delete.",
  );
}

function validated<S extends object>(kind: Kind<S, unknown>, raw: Record<string, unknown>): { spec: S; common: CommonInputs } {
  const v = validate(kind, raw);
  if (!v.ok) throw new Error(`${kind.type}: invalid inputs:\n${v.failures.map((f) => `  ${f.property}: ${f.reason}`).join("\n")}`);
  return v;
}

/** The resource as errors name it: `Table app.events`. */
function resourceName<S extends object>(kind: Kind<S, unknown>, spec: S): string {
  return `${kind.type} ${kind.identity(spec)}`;
}

/** What a converge leaves: the live state after applying, and the statements it ran. */
interface Applied<S> {
  observed: S;
  appliedSql: string[];
  jobs?: JobStatus[];
}

/** The last apply's declared and observed state, from a resource's stored outputs (undefined when they hold no `observed`). */
function previousOf<S extends object>(outputs: Record<string, unknown>): Previous<S> | undefined {
  if (!outputs.observed) return undefined;
  const { connection: _c, allowHazards: _a, ...declared } = declaredPart(outputs);
  return { declared: declared as S, observed: outputs.observed as S };
}

/**
 * The locks an apply of `spec` holds; on an update, those of the `previous`
 * declaration too (dropping a foreign key still locks the table it
 * referenced).
 */
function locksOf<S extends object>(kind: Kind<S, unknown>, spec: S, previous?: S): ObjectLocks {
  const of = (s: S): ObjectLocks => (kind.locks ? kind.locks(s) : { exclusive: [`${kind.type} ${kind.identity(s)}`], shared: [] });
  const [now, before] = [of(spec), previous === undefined ? { exclusive: [], shared: [] } : of(previous)];
  return { exclusive: [...now.exclusive, ...before.exclusive], shared: [...now.shared, ...before.shared] };
}

/** A plan against the live object: the canonical desired state, the live one (undefined: absent; its differing expressions canonicalized like the desired ones) and the steps between them. */
interface LivePlan<S> {
  desired: S;
  live: S | undefined;
  /** The live object as `observe` returned it (what outputs and refresh report). */
  observed: S | undefined;
  steps: Step[];
}

/**
 * Reads the live object and plans `spec` against it, in as few round trips as
 * the kind allows: the kind canonicalizes only what it must (not for an
 * absent object, not the texts `previous` maps), the live object's differing
 * expressions are canonicalized like the desired ones, and facts are read
 * only when the live object still differs. Reads only; throws, naming the
 * property and the fix, when no plan can work, and saying to run again when
 * the server stopped a read or check (core/stopped.ts).
 */
async function planAgainstLive<S extends object, F>(kind: Kind<S, F>, client: PoolClient, spec: S, connection: Connection, previous?: Previous<S>): Promise<LivePlan<S>> {
  try {
    return await readAndPlan(kind, client, spec, connection, previous);
  } catch (error) {
    throw stoppedError(resourceName(kind, spec), "planning against the live object (reading it and checking the declaration)", error) ?? error;
  }
}

async function readAndPlan<S extends object, F>(kind: Kind<S, F>, client: PoolClient, spec: S, connection: Connection, previous?: Previous<S>): Promise<LivePlan<S>> {
  const observed = await kind.observe(client, spec, connection);
  const desired = kind.canonicalize ? await kind.canonicalize(client, spec, observed, previous) : spec;
  if (observed && sameValue(observed, desired)) return { desired, live: observed, observed, steps: [] };
  const live = observed && kind.canonicalizeLive ? await kind.canonicalizeLive(client, observed, desired) : observed;
  if (live && sameValue(live, desired)) return { desired, live, observed, steps: [] };
  const facts = kind.facts ? await kind.facts(client, desired, live) : undefined;
  return { desired, live, observed, steps: kind.plan(live, desired, facts) };
}

/**
 * What a plan must keep between preview and update: its hazardous steps
 * (hazard kind and SQL; not the hazard messages, whose row counts move with
 * live traffic).
 */
function hazardFingerprint(steps: readonly Step[]): string {
  return canonicalJson(steps.filter((s) => s.hazards.length > 0).flatMap((s) => s.hazards.map((h) => `${h.kind}: ${s.sql}`)).sort());
}

/**
 * The hazard fingerprints of the plans `diff` showed, by resource and
 * declared inputs, until `update` applies them. The protocol gives `diff` no
 * way to hand data to `update`; both run in the same provider process within
 * one `pulumi up` (the engine diffs each resource right before updating it).
 */
const previewed = new Map<string, string>();
const previewKey = (type: string, id: string, news: Record<string, unknown>) => `${type} ${id} ${canonicalJson(declaredPart(news))}`;

/**
 * Observes, plans, refuses disallowed hazards, applies and observes again —
 * holding the object's advisory locks (core/locks.ts), so that a concurrent
 * apply of the same object cannot change it between observing and applying,
 * while applies of independent objects run in parallel. `previewedHazards`:
 * the hazard fingerprint of the plan a preview showed; a plan whose hazards
 * differ is refused. Step notices and the progress of running steps go to
 * the engine's log under the resource's URN `urn` (core/engine-log.ts).
 */
async function converge<S extends object, F>(
  kind: Kind<S, F>,
  client: PoolClient,
  spec: S,
  common: CommonInputs,
  urn: unknown,
  previous?: Previous<S>,
  previewedHazards?: string,
): Promise<Applied<S>> {
  const name = resourceName(kind, spec);
  const watch: ApplyWatch = {
    log: engineLog(typeof urn === "string" ? urn : undefined),
    progress: (pid) => withClient(name, common.connection, (other) => indexBuildProgress(other, pid)),
  };
  return withObjectLocks(client, name, locksOf(kind, spec, previous?.declared), async (apply) => {
    const { desired, observed, steps } = await planAgainstLive(kind, client, spec, common.connection, previous);
    if (previewedHazards !== undefined && previewedHazards !== hazardFingerprint(steps)) {
      throw new Error(
        `${name}: the live object changed since the plan was previewed, and the plan's hazards changed with it; nothing was changed.\n` +
          `  previewed: ${previewedHazards}\n  now: ${hazardFingerprint(steps)}\nRun \`pulumi preview\` (or \`pulumi up\`) again to see the new plan.`,
      );
    }
    refuseDisallowedHazards(name, steps, common.allowHazards);
    await applyEverywhere(common.connection, name, steps, apply);
    const after = steps.length === 0 ? observed : await kind.observe(client, desired, common.connection);
    if (!after) throw new Error(`${name}: the object is missing right after it was applied; something dropped it concurrently`);
    return { observed: after, appliedSql: steps.map((s) => s.sql), jobs: await kind.jobs?.(client, after) };
  }, watch);
}

/**
 * Applies the steps meant for the resource's database with `apply` (under the
 * object's locks), then those meant for others (core/step.ts `database`), each
 * database's in order.
 */
async function applyEverywhere(connection: Connection, name: string, steps: readonly Step[], apply: (steps: readonly Step[]) => Promise<void>): Promise<void> {
  await apply(steps.filter((s) => s.database === undefined));
  for (const database of new Set(steps.flatMap((s) => (s.database === undefined ? [] : [s.database])))) {
    await withClient(name, inDatabase(connection, database), (other) => applySteps(other, `${name} (in database ${database})`, steps.filter((s) => s.database === database)));
  }
}

/** What one resource's change would run, as the SQL plan (plan/index.ts) prints it. */
export interface ResourcePlan {
  /** `Table events.event_store` */
  resource: string;
  action: "create" | "update" | "replace" | "no-op";
  /** Properties that cannot change in place (a replace), e.g. `["timeColumn"]`. */
  replaces: string[];
  steps: Step[];
  /** Hazards of `steps` that the resource's `allowHazards` does not allow: `up` would refuse the plan. */
  refused: Hazard[];
}

/** A kind's provider, plus the read-only plan the SQL plan command prints. */
export interface KindProvider extends pulumi.dynamic.ResourceProvider {
  /**
   * The change `inputs` would make, planned against the live database and
   * applied to nothing. With `fromNothing`, planned as a create without
   * reading the database (for a resource whose table or schema an earlier
   * step of the same plan creates).
   */
  plan(inputs: Record<string, unknown>, fromNothing?: boolean): Promise<ResourcePlan>;
}

/**
 * Turns a kind definition into a Pulumi dynamic provider implementing the
 * protocol of ARCHITECTURE.md: `check` validates without I/O; `diff` plans
 * against the live object, reading only (drift shows as a change, a plan
 * update would refuse fails the preview with update's message); `create`
 * adopts an existing object (changing only what differs) or creates it; `read`
 * reports drift; `update` plans from the live state, so it also heals drift,
 * and refuses a plan whose hazards differ from the ones `diff` showed;
 * `delete` refuses to lose data unless allowed.
 */
export function providerFor<S extends object, F>(kind: Kind<S, F>): KindProvider {
  const outputs = (spec: S, common: CommonInputs, applied: Applied<S>): Outputs<S> =>
    plainJson({ ...spec, ...common, observed: applied.observed, appliedSql: applied.appliedSql, jobs: applied.jobs });
  const checkOnly: readonly string[] = kind.checkOnly ?? [];
  const withoutCheckOnly = (props: object): Record<string, unknown> => Object.fromEntries(Object.entries(props).filter(([k]) => !checkOnly.includes(k)));
  return {
    async plan(inputs: Record<string, unknown>, fromNothing = false): Promise<ResourcePlan> {
      await sqlParserReady;
      const { spec, common } = validated(kind, inputs);
      const resource = resourceName(kind, spec);
      const { desired, live, steps }: LivePlan<S> = fromNothing
        ? { desired: spec, live: undefined, observed: undefined, steps: kind.plan(undefined, spec, undefined) }
        : await withClient(resource, common.connection, (client) => planAgainstLive(kind, client, spec, common.connection));
      const replaces = live ? kind.replaces(live, desired) : [];
      const action = !live ? "create" : replaces.length > 0 ? "replace" : steps.length > 0 ? "update" : "no-op";
      const refused = steps.flatMap((s) => s.hazards).filter((h) => !common.allowHazards.includes(h.kind));
      return { resource, action, replaces, steps, refused };
    },

    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
      await sqlParserReady;
      const v = validate(kind, news);
      const old = kind.checkChange && Object.keys(olds).length > 0 ? validate(kind, olds) : undefined;
      const changeFailures = v.ok && old?.ok ? kind.checkChange!(old.spec, v.spec) : [];
      if (changeFailures.length > 0) return { inputs: news, failures: changeFailures };
      // An unknown value may be a valid name, but what the schema derives from
      // it (e.g. a default constraint name) is not known yet: keep the inputs as sent.
      // `__urn` (core/resource.ts) travels on to create and update, which report to the engine under it.
      const urn = typeof news.__urn === "string" ? { __urn: news.__urn } : {};
      if (v.ok) return { inputs: holdsUnknown(news) ? news : plainJson({ ...withoutCheckOnly({ ...v.spec, ...v.common }), ...urn }) };
      return v.failures.length === 0 && v.unknown ? { inputs: news } : { inputs: news, failures: v.failures };
    },

    async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      await sqlParserReady;
      const v = validate(kind, news);
      // Inputs not known yet (e.g. the connection of a database created in this update): nothing to read.
      if (!v.ok) return { changes: true };
      const next = withoutCheckOnly({ ...v.spec, ...v.common });
      const previous = withoutCheckOnly(declaredPart(olds));
      const changed = changedProperties<Record<string, unknown>, string>(previous, next, [...Object.keys(previous), ...Object.keys(next)]);
      const replaces = kind.replaces(previous as S, v.spec);
      const sameIdentity = kind.identity(v.spec) === kind.identity(previous as S);
      if (replaces.length > 0) return { changes: true, replaces, deleteBeforeReplace: sameIdentity };
      // Plan against the live object, reading only: drift is a change, and a
      // plan that update would refuse fails the preview with update's message.
      const name = resourceName(kind, v.spec);
      const planned = await withClient(name, v.common.connection, (client) => planAgainstLive(kind, client, v.spec, v.common.connection, previousOf<S>(olds)));
      refuseDisallowedHazards(name, planned.steps, v.common.allowHazards);
      previewed.set(previewKey(kind.type, id, news), hazardFingerprint(planned.steps));
      return { changes: changed.length > 0 || planned.steps.length > 0, replaces: [], deleteBeforeReplace: false };
    },

    async create(inputs: Record<string, unknown>) {
      await sqlParserReady;
      const { spec, common } = validated(kind, inputs);
      const applied = await withClient(resourceName(kind, spec), common.connection, (client) => converge(kind, client, spec, common, inputs.__urn));
      return { id: kind.identity(spec), outs: outputs(spec, common, applied) };
    },

    async read(id: string, props: Outputs<S>) {
      const { spec, common } = stored(kind, props as unknown as Record<string, unknown>);
      const name = resourceName(kind, spec);
      const read = await withClient(name, common.connection, async (client) => {
        const live = await kind.observe(client, spec, common.connection);
        return live && { live, jobs: await kind.jobs?.(client, live) };
      }).catch((error: unknown) => {
        throw stoppedError(name, "reading the live object", error) ?? error;
      });
      if (!read) return { id: "" };
      const declared = keepDeclaredWhereUnchanged(spec, props.observed ?? spec, read.live);
      return { id, props: outputs(declared, common, { observed: read.live, appliedSql: props.appliedSql ?? [], jobs: read.jobs }) };
    },

    async update(id: string, olds: Outputs<S>, news: Record<string, unknown>) {
      await sqlParserReady;
      const { spec, common } = validated(kind, news);
      const key = previewKey(kind.type, id, news);
      const previewedHazards = previewed.get(key);
      previewed.delete(key);
      const previous = previousOf<S>(olds as unknown as Record<string, unknown>);
      const applied = await withClient(resourceName(kind, spec), common.connection, (client) => converge(kind, client, spec, common, news.__urn, previous, previewedHazards));
      return { outs: outputs(spec, common, applied) };
    },

    async delete(_id: string, props: Outputs<S>) {
      await sqlParserReady; // a kind's locks may read its SQL (a continuous aggregate's sources)
      const { spec, common } = stored(kind, props as unknown as Record<string, unknown>);
      const name = resourceName(kind, spec);
      await withClient(name, common.connection, (client) =>
        withObjectLocks(client, name, locksOf(kind, spec), async (apply) => {
          const planned = await (async () => {
            const live = await kind.observe(client, spec, common.connection);
            return live && { live, facts: kind.dropFacts ? await kind.dropFacts(client, live) : kind.facts ? await kind.facts(client, spec, live) : undefined };
          })().catch((error: unknown) => {
            throw stoppedError(name, "planning the delete (reading the object and what dropping it would lose)", error) ?? error;
          });
          if (!planned) return;
          const steps = kind.drop(planned.live, planned.facts);
          refuseDisallowedHazards(name, steps, common.allowHazards);
          await applyEverywhere(common.connection, name, steps, apply);
        }),
      );
    },
  };
}

/**
 * The constructor arguments of a pgstrata resource: the kind's inputs (each may
 * be a Pulumi Input) plus `connection` (made secret by the resource) and
 * `allowHazards`.
 */
export type ResourceArgs<I extends object> = { [K in keyof I]: pulumi.Input<I[K]> } & {
  connection: pulumi.Input<Connection>;
  allowHazards?: pulumi.Input<HazardKind[]>;
};
