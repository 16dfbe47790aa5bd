import { ChildProcessWithoutNullStreams, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { PluginInfo } from "@pulumi/pulumi/proto/plugin_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { JsonValue, PropertyMap } from "./capture-client";

/** Same marker the engine uses for a secret inside a Struct (`resource.SecretSig`). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const MAX_MESSAGE = 400 * 1024 * 1024;

/**
 * The Node binary to run helper processes with: the current one if it is Node ≥ 22 (as under
 * `npm run`/`npx`), else `<cwd>/node_modules/.bin/node` (the `node` devDependency) when present.
 */
export function nodeBinary(cwd: string): string {
  if (Number(process.versions.node.split(".")[0]) >= 22) return process.execPath;
  const local = path.join(cwd, "node_modules", ".bin", "node");
  return fs.existsSync(local) ? local : process.execPath;
}

/** A property-level validation failure returned by Check. */
export interface CheckFailure {
  property: string;
  reason: string;
}

/** Wall time of one RPC, in call order. */
export interface RpcTiming {
  method: string;
  ms: number;
}

/** Options for {@link ProviderHost.start}. */
export interface ProviderHostOptions {
  /** The engine's address, the host's first argument (e.g. a test/support/fake-engine.ts); default `127.0.0.1:1`, where nothing listens. */
  engineAddress?: string;
  /** Project root; the host's cwd (where `require("pg")` in provider code resolves). */
  cwd: string;
  /** Project name, exported to the host as `PULUMI_NODEJS_PROJECT`. */
  project: string;
  /** Full stack config with namespaced keys; sent in Configure as the engine does. Default `{}`. */
  config?: Record<string, string>;
  /** Namespaced config keys that are secrets; sent wrapped as secrets, as the engine does. */
  secretKeys?: string[];
}

/** A gRPC failure from the provider host; `message` is the provider's error text. */
export class ProviderRpcError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "ProviderRpcError";
  }
}

type Callback<Res> = (err: grpc.ServiceError | null, res: Res) => void;

function toStruct(props: PropertyMap): Struct {
  // State reaching a provider is always JSON (it went through the engine's property model).
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(props)) as PropertyMap);
}

function fromStruct(s: Struct | undefined): PropertyMap {
  return (s?.toJavaScript() ?? {}) as PropertyMap;
}

/**
 * The SDK's real dynamic-provider host (`@pulumi/pulumi/cmd/dynamic-provider`) in a child
 * process, driven over gRPC with the SDK's own stubs the way the Pulumi engine drives it.
 * Inputs and outputs are plain JSON; the caller keeps state between calls as the engine would
 * (create = Check → Create; update = Check(oldInputs, news) → Diff(oldOutputs, news) →
 * Update(oldOutputs, news); refresh = Read(outputs, inputs); destroy = Delete(outputs)).
 */
export class ProviderHost {
  /** Every RPC's wall time, in call order (Configure and GetPluginInfo included). */
  readonly timings: RpcTiming[] = [];
  private stderrText = "";
  private exited = false;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly client: provrpc.ResourceProviderClient,
    /** Milliseconds from spawn until the host printed its port. */
    readonly startupMs: number,
    /** The host's gRPC port. */
    readonly port: number,
  ) {
    child.stderr.setEncoding("utf8").on("data", (d: string) => (this.stderrText += d));
    child.on("exit", () => (this.exited = true));
  }

  /**
   * Spawns `node <@pulumi/pulumi/cmd/dynamic-provider> 127.0.0.1:1` in `opts.cwd`, connects,
   * and sends GetPluginInfo and Configure (the full stack config, as the engine does for the
   * `pulumi-nodejs` default provider before any Check).
   */
  static async start(opts: ProviderHostOptions): Promise<ProviderHost> {
    const entry = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [opts.cwd] });
    const t0 = performance.now();
    const child = spawn(nodeBinary(opts.cwd), [entry, opts.engineAddress ?? "127.0.0.1:1"], {
      cwd: opts.cwd,
      env: { ...process.env, PULUMI_NODEJS_PROJECT: opts.project },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let early = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (early += d));
    const port = await new Promise<number>((resolve, reject) => {
      let buf = "";
      const onData = (d: string): void => {
        buf += d;
        const nl = buf.indexOf("\n");
        if (nl < 0) return;
        child.stdout.off("data", onData);
        const p = Number(buf.slice(0, nl).trim());
        if (Number.isInteger(p) && p > 0) resolve(p);
        else reject(new Error(`dynamic provider host printed ${JSON.stringify(buf)} instead of a port`));
      };
      child.stdout.setEncoding("utf8").on("data", onData);
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`dynamic provider host exited (${code}) before printing its port:\n${early}`)));
    });
    const startupMs = performance.now() - t0;
    // Keep draining stdout so provider console.log calls never block the host.
    child.stdout.resume();
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE,
      "grpc.max_send_message_length": MAX_MESSAGE,
    });
    const host = new ProviderHost(child, client, startupMs, port);
    host.stderrText = early;
    try {
      await host.call<PluginInfo>("getPluginInfo", (cb) => client.getPluginInfo(new Empty(), cb));
      await host.configure(opts.config ?? {}, opts.secretKeys ?? []);
    } catch (e) {
      await host.stop();
      throw e;
    }
    return host;
  }

  /** Everything the host wrote to stderr so far (the host logs provider errors there). */
  get stderr(): string {
    return this.stderrText;
  }

  /**
   * Configure RPC as the engine sends it to a dynamic provider: `args` holds every stack config
   * key (namespaced, secrets wrapped), `variables` the legacy `pulumi-nodejs:config:<key>` spelling.
   * {@link start} already calls it; the host's `configure()` of a provider runs on first use.
   */
  async configure(config: Record<string, string>, secretKeys: string[] = []): Promise<{ acceptSecrets: boolean }> {
    const args: Record<string, JsonValue> = {};
    const req = new provproto.ConfigureRequest();
    for (const [k, v] of Object.entries(config)) {
      args[k] = secretKeys.includes(k) ? { [SIG_KEY]: SECRET_SIG, value: v } : v;
      req.getVariablesMap().set(`pulumi-nodejs:config:${k}`, v);
    }
    req
      .setArgs(toStruct(args))
      .setAcceptsecrets(true)
      .setAcceptresources(true)
      .setSendsOldInputs(true)
      .setSendsOldInputsToDelete(true)
      .setName("default")
      .setType("pulumi:providers:pulumi-nodejs");
    const res = await this.call<provproto.ConfigureResponse>("configure", (cb) => this.client.configure(req, cb));
    return { acceptSecrets: res.getAcceptsecrets() };
  }

  /** Check(olds, news): the provider's validated inputs (with `__provider`) and failures. */
  async check(urn: string, olds: PropertyMap, news: PropertyMap): Promise<{ inputs: PropertyMap; failures: CheckFailure[] }> {
    const req = new provproto.CheckRequest().setUrn(urn).setOlds(toStruct(olds)).setNews(toStruct(news));
    withNameAndType(req, urn);
    const res = await this.call<provproto.CheckResponse>("check", (cb) => this.client.check(req, cb));
    return {
      inputs: fromStruct(res.getInputs()),
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /**
   * Diff(id, olds = prior OUTPUTS, news = checked inputs). `changes` is `true` (DIFF_SOME),
   * `false` (DIFF_NONE) or `undefined` (DIFF_UNKNOWN: provider has no diff; the engine then
   * compares old and new inputs itself).
   */
  async diff(
    id: string,
    urn: string,
    olds: PropertyMap,
    news: PropertyMap,
  ): Promise<{ changes: boolean | undefined; replaces: string[]; deleteBeforeReplace: boolean }> {
    const req = new provproto.DiffRequest().setId(id).setUrn(urn).setOlds(toStruct(olds)).setNews(toStruct(news));
    withNameAndType(req, urn);
    const res = await this.call<provproto.DiffResponse>("diff", (cb) => this.client.diff(req, cb));
    const C = provproto.DiffResponse.DiffChanges;
    const c = res.getChanges();
    return {
      changes: c === C.DIFF_SOME ? true : c === C.DIFF_NONE ? false : undefined,
      replaces: res.getReplacesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
    };
  }

  /** Create(properties = checked inputs): the new id and outputs (with `__provider`). */
  async create(urn: string, properties: PropertyMap): Promise<{ id: string; properties: PropertyMap }> {
    const req = new provproto.CreateRequest().setUrn(urn).setProperties(toStruct(properties));
    withNameAndType(req, urn);
    const res = await this.call<provproto.CreateResponse>("create", (cb) => this.client.create(req, cb));
    return { id: res.getId(), properties: fromStruct(res.getProperties()) };
  }

  /**
   * Read(id, properties = prior outputs, inputs = prior inputs), as on refresh. A blank `id`
   * means the resource is gone; `inputs` is `undefined` unless the provider returned inputs.
   */
  async read(
    id: string,
    urn: string,
    properties: PropertyMap,
    inputs: PropertyMap,
  ): Promise<{ id: string; properties: PropertyMap; inputs: PropertyMap | undefined }> {
    const req = new provproto.ReadRequest().setId(id).setUrn(urn).setProperties(toStruct(properties)).setInputs(toStruct(inputs));
    withNameAndType(req, urn);
    const res = await this.call<provproto.ReadResponse>("read", (cb) => this.client.read(req, cb));
    const ins = res.getInputs();
    return { id: res.getId(), properties: fromStruct(res.getProperties()), inputs: ins ? fromStruct(ins) : undefined };
  }

  /** Update(id, olds = prior OUTPUTS, news = checked inputs): the new outputs. */
  async update(id: string, urn: string, olds: PropertyMap, news: PropertyMap): Promise<{ properties: PropertyMap }> {
    const req = new provproto.UpdateRequest().setId(id).setUrn(urn).setOlds(toStruct(olds)).setNews(toStruct(news));
    withNameAndType(req, urn);
    const res = await this.call<provproto.UpdateResponse>("update", (cb) => this.client.update(req, cb));
    return { properties: fromStruct(res.getProperties()) };
  }

  /** Delete(id, properties = prior outputs). */
  async delete(id: string, urn: string, properties: PropertyMap): Promise<void> {
    const req = new provproto.DeleteRequest().setId(id).setUrn(urn).setProperties(toStruct(properties));
    withNameAndType(req, urn);
    await this.call<Empty>("delete", (cb) => this.client.delete(req, cb));
  }

  /** Closes the client and kills the host process (SIGTERM, then SIGKILL after 2 s). */
  async stop(): Promise<void> {
    this.client.close();
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 2000);
    await gone;
    clearTimeout(timer);
  }

  private call<Res>(method: string, invoke: (cb: Callback<Res>) => unknown): Promise<Res> {
    const t0 = performance.now();
    return new Promise<Res>((resolve, reject) => {
      invoke((err, res) => {
        this.timings.push({ method, ms: performance.now() - t0 });
        if (err) reject(new ProviderRpcError(method, err.code, err.details || err.message));
        else resolve(res);
      });
    });
  }
}

/** Fills `name` and `type` from the URN (`urn:pulumi:<stack>::<project>::<type>::<name>`) as the engine does. */
function withNameAndType(req: { setName(v: string): unknown; setType(v: string): unknown }, urn: string): void {
  const parts = urn.split("::");
  req.setName(parts.slice(3).join("::"));
  req.setType((parts[2] ?? "").split("$").pop() ?? "");
}
