import type { Connection } from "./connection";
import { OWNED_SESSION_SETTINGS } from "./session";

/**
 * One source of truth for a connection: `connection.url` and the discrete
 * fields are merged here, and any setting given twice with different values,
 * any URL parameter pgstrata does not use, and any URL `options` that would
 * override a session setting pgstrata owns is a problem — never a silent
 * override. Parameter names and meanings are libpq's (PostgreSQL docs §32.1.1
 * "Connection Strings", §32.1.2 "Parameter Key Words").
 */

/** libpq's sslmode values pgstrata supports (`prefer` and `allow` fall back to plaintext silently). */
export const SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The settings of one connection, each from exactly one source. */
export interface ConnectionSettings {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  /** Default `disable`. */
  sslmode: SslMode;
  /** Path of the CA certificate(s) file (PEM) that verify-ca / verify-full check the server's chain against. */
  sslrootcert?: string;
  /** `[name, value]` settings from the URL's `options` (`-c name=value`) that pgstrata does not own. */
  options: [string, string][];
}

/** A problem with the connection, on the property of {@link Connection} to report it at. */
export interface ConnectionProblem {
  property: "url" | Setting;
  message: string;
}

type Setting = "host" | "port" | "database" | "user" | "password" | "sslmode" | "sslrootcert";

/** URL query parameters (libpq key words) and the setting each gives. */
const URL_PARAMETERS: Record<string, Setting> = {
  host: "host",
  port: "port",
  dbname: "database",
  user: "user",
  password: "password",
  sslmode: "sslmode",
  sslrootcert: "sslrootcert",
};

export const SSL_MODE_ADVICE = "use disable, require, verify-ca or verify-full (prefer and allow, which fall back to plaintext silently, are not supported)";

/**
 * Merges `connection.url` and the discrete fields into one set of settings.
 * Returns the problems instead when there are any (no value of `password`
 * is ever printed).
 */
export function connectionSettings(connection: Connection): { settings: ConnectionSettings; problems: [] } | { settings?: undefined; problems: ConnectionProblem[] } {
  const problems: ConnectionProblem[] = [];
  const fromUrl: { setting: Setting; value: string; said: string }[] = [];
  const options: [string, string][] = [];
  if (connection.url !== undefined) {
    let url: URL;
    try {
      url = new URL(connection.url);
    } catch {
      return { problems: [{ property: "url", message: "is not a valid URL: write postgres://user:password@host:5432/database?sslmode=require" }] };
    }
    const decoded = (text: string) => (text === "" ? undefined : decodeURIComponent(text));
    const authority: [Setting, string | undefined][] = [
      ["host", decoded(url.hostname.replace(/^\[(.*)\]$/, "$1"))],
      ["port", decoded(url.port)],
      ["database", decoded(url.pathname.replace(/^\//, ""))],
      ["user", decoded(url.username)],
      ["password", decoded(url.password)],
    ];
    for (const [setting, value] of authority) if (value !== undefined) fromUrl.push({ setting, value, said: `${setting} ${setting === "password" ? "(hidden)" : value}` });
    for (const [key, value] of url.searchParams) {
      if (key === "options") options.push(...sessionOptionsOf(value, problems));
      else if (URL_PARAMETERS[key]) fromUrl.push({ setting: URL_PARAMETERS[key], value, said: `${key}=${key === "password" ? "(hidden)" : value}` });
      else problems.push({ property: "url", message: `parameter ${JSON.stringify(key)} is not supported by pgstrata: remove it (supported: ${[...Object.keys(URL_PARAMETERS), "options"].join(", ")})` });
    }
  }
  const given: Partial<Record<Setting, string>> = {};
  for (const setting of ["host", "port", "database", "user", "password", "sslmode", "sslrootcert"] as const) {
    const field = connection[setting];
    const urlValues = fromUrl.filter((u) => u.setting === setting);
    const values = new Set([...urlValues.map((u) => u.value), ...(field === undefined ? [] : [String(field)])]);
    if (values.size > 1) {
      const shown = setting === "password" ? "" : ` is ${JSON.stringify(field)} but`;
      problems.push(
        field === undefined
          ? { property: "url", message: `gives ${setting} twice with different values (${urlValues.map((u) => u.said).join(", ")}): give it once` }
          : { property: setting, message: `connection.${setting}${shown} connection.url says ${urlValues.map((u) => u.said).join(", ")}: give ${setting} in one place only` },
      );
    }
    given[setting] = field === undefined ? urlValues[0]?.value : String(field);
  }
  const sslmode = given.sslmode ?? "disable";
  if (!(SSL_MODES as readonly string[]).includes(sslmode)) problems.push({ property: "url", message: `sslmode=${sslmode} is not supported: ${SSL_MODE_ADVICE}` });
  if (given.sslrootcert !== undefined && sslmode !== "verify-ca" && sslmode !== "verify-full") {
    problems.push({
      property: connection.sslrootcert === undefined ? "url" : "sslrootcert",
      message: `sslrootcert is used only by sslmode verify-ca and verify-full, but sslmode is ${sslmode}${sslmode === "require" ? " (which encrypts without verifying the certificate)" : ""}: use sslmode verify-ca or verify-full, or remove sslrootcert`,
    });
  }
  const port = given.port === undefined ? undefined : Number(given.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) problems.push({ property: "url", message: `port ${given.port} is not a port number (1–65535)` });
  if (problems.length > 0) return { problems };
  const { host, database, user, password, sslrootcert } = given;
  return { settings: { host, port, database, user, password, sslmode: sslmode as SslMode, sslrootcert, options }, problems: [] };
}

/**
 * The `-c name=value` settings of a libpq `options` value (backend command-line
 * switches, docs §20.1.4; `\` escapes a space): only `-c name=value`,
 * `-cname=value` and `--name=value` are accepted, and none may set a session
 * setting pgstrata owns.
 */
function sessionOptionsOf(text: string, problems: ConnectionProblem[]): [string, string][] {
  const words = [...text.matchAll(/(?:\\.|\S)+/g)].map((m) => m[0].replace(/\\(.)/g, "$1"));
  const settings: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const assignment = words[i] === "-c" ? words[++i] : /^(?:-c|--)(.+)$/.exec(words[i])?.[1];
    const match = assignment === undefined ? null : /^([^=]+)=(.*)$/.exec(assignment);
    if (!match) {
      problems.push({ property: "url", message: `options ${JSON.stringify(text)} must consist of -c name=value settings` });
      return [];
    }
    const name = match[1].toLowerCase().replace(/-/g, "_");
    const owner = OWNED_SESSION_SETTINGS[name];
    if (owner) problems.push({ property: "url", message: `options sets ${name}, a session setting pgstrata owns (${owner}): remove it from the URL's options` });
    else settings.push([name, match[2]]);
  }
  return settings;
}
