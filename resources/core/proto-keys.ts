/**
 * `__proto__` in inputs. It is never a property: in an object literal it sets
 * the object's prototype (its members are then inherited, and Pulumi's
 * serialization, which reads own properties, drops them); `JSON.parse` makes
 * it an own property, which the SDK's protobuf Struct conversion drops as
 * well. Either way the declaration would lose it silently, so it is refused,
 * naming where it is: by the resource's constructor (program side) and by
 * `check`.
 */

/** A prototype that a `__proto__` key set: a plain object or an array, not the prototype of a class (Pulumi Outputs, resources). */
const isSetFromKey = (proto: object) => Array.isArray(proto) || (Object.getPrototypeOf(proto) === Object.prototype && !Object.prototype.hasOwnProperty.call(proto, "constructor"));

/**
 * The property paths (`__proto__`, `columns[0].__proto__`) at which `value`
 * carries a `__proto__` key, as an own property or as the prototype it set.
 * Objects of other classes are not looked into.
 */
export function protoKeyPaths(value: unknown, path = ""): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => protoKeyPaths(v, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  const proto = Object.getPrototypeOf(value) as object | null;
  const plain = proto === Object.prototype || proto === null;
  if (!plain && !isSetFromKey(proto!)) return [];
  const here = !plain || Object.prototype.hasOwnProperty.call(value, "__proto__") ? [`${path ? `${path}.` : ""}__proto__`] : [];
  const inner = Object.entries(value).filter(([k]) => k !== "__proto__").flatMap(([k, v]) => protoKeyPaths(v, path ? `${path}.${k}` : k));
  return [...here, ...inner];
}

/** The reason given for each path of {@link protoKeyPaths}. */
export const PROTO_KEY_REASON = `"__proto__" is not an input: it would set the object's prototype (its members read as inherited inputs, or dropped) instead of a property: remove it`;
