/**
 * Exact comparison of canonical states. States are JSON values (they travel
 * through Pulumi's protobuf Structs), so absent and `undefined` are the same.
 */

/** JSON text with object keys sorted and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/** The top-level properties of `keys` whose values differ between `a` and `b`. */
export function changedProperties<T extends object, K extends keyof T & string>(a: T, b: T, keys: Iterable<K>): K[] {
  return [...new Set(keys)].filter((k) => !sameValue(a[k], b[k]));
}

/** `value` as plain JSON: `undefined` members dropped (Pulumi's Struct encoding rejects them). */
export function plainJson<T>(value: T): T {
  return JSON.parse(canonicalJson(value)) as T;
}

type Named = { name: string };
const isNamedList = (v: unknown): v is Named[] =>
  Array.isArray(v) && v.every((x) => x !== null && typeof x === "object" && typeof (x as Named).name === "string");

/**
 * The state to report on refresh: for each property, the user's own text where
 * the live value is what that text canonicalized to at the last apply
 * (`appliedCanonical`), otherwise the live value — so a refresh shows nothing
 * when nothing changed and exactly the drifted property when something did.
 * Lists of named items (columns, constraints) are merged item by item.
 */
export function keepDeclaredWhereUnchanged<S extends object>(declared: S, appliedCanonical: S, live: S): S {
  const d = declared as Record<string, unknown>;
  const c = appliedCanonical as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  for (const [key, now] of Object.entries(live)) {
    if (sameValue(now, c[key])) merged[key] = d[key];
    else if (isNamedList(now) && isNamedList(c[key]) && isNamedList(d[key])) {
      merged[key] = now.map((item) => {
        const before = (c[key] as Named[]).find((x) => x.name === item.name);
        const mine = (d[key] as Named[]).find((x) => x.name === item.name);
        return before && mine && sameValue(before, item) ? mine : item;
      });
    } else merged[key] = now;
  }
  return merged as S;
}
