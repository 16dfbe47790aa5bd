import * as path from "path";

/**
 * Messages to whoever watches `pulumi up`, through the engine's `Log` RPC
 * (`pulumirpc.Engine`, proto/pulumi/engine.proto). The CLI starts every
 * provider plugin, the SDK's dynamic-provider host included, with the
 * engine's address as its first positional argument (after the optional
 * `--logtostderr`, `-v=N` and `--tracing <endpoint>` flags; Go providers read
 * it the same way, `provider.Main`). The dynamic-provider host checks that
 * the argument is there and never dials it; the provider may. A message with
 * `ephemeral: true` is the status line of the resource's row in the progress
 * display (the engine's `LogStatus`), replaced by the next one; other
 * messages are diagnostics printed under the resource. Both need the
 * resource's URN, which dynamic providers are not given: each pgstrata
 * resource passes its own as the input `__urn` (core/resource.ts).
 *
 * Outside the host (the `plan` command, tests) there is no engine unless
 * `PULUMI_NODEJS_ENGINE` (the SDK's variable for the engine's address of a
 * Node.js program) names one. Logging never fails an operation: a message
 * the engine does not take is dropped.
 */
export interface EngineLog {
  /** A diagnostic of the resource with severity warning, e.g. an IVFFlat index built on an empty table. */
  warning(message: string): void;
  /** The resource's status line while a long step runs, e.g. an index build's phase and blocks done. */
  status(message: string): void;
}

/** `pulumirpc.LogSeverity` values. */
const INFO = 1;
const WARNING = 2;

type EngineClient = { log(request: unknown, callback: (error: Error | null) => void): void };
let client: EngineClient | null | undefined;

/** The first positional argument of the host's command line: flags (`--logtostderr`, `-v=9`) and `--tracing`'s value are skipped. */
export function engineAddressArgument(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--tracing") i++;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return undefined;
}

/** The engine's address: `PULUMI_NODEJS_ENGINE`, else the host's argument when this process is the SDK's dynamic-provider host. */
function engineAddress(): string | undefined {
  if (process.env.PULUMI_NODEJS_ENGINE) return process.env.PULUMI_NODEJS_ENGINE;
  const main = require.main?.filename ?? "";
  return main.includes(`${path.sep}cmd${path.sep}dynamic-provider`) ? engineAddressArgument(process.argv.slice(2)) : undefined;
}

/** The engine client, dialled on first use with the SDK's own stubs and gRPC library; null when there is no engine. */
function engine(): EngineClient | null {
  if (client !== undefined) return client;
  const address = engineAddress();
  if (!address) return (client = null);
  const sdk = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  const grpc = require(require.resolve("@grpc/grpc-js", { paths: [sdk] }));
  const { EngineClient } = require("@pulumi/pulumi/proto/engine_grpc_pb");
  return (client = new EngineClient(address, grpc.credentials.createInsecure()) as EngineClient);
}

function send(urn: string, message: string, ephemeral: boolean): void {
  const e = engine();
  if (!e) return;
  const { LogRequest } = require("@pulumi/pulumi/proto/engine_pb");
  const request = new LogRequest();
  request.setSeverity(ephemeral ? INFO : WARNING);
  request.setMessage(message);
  request.setUrn(urn);
  request.setEphemeral(ephemeral);
  e.log(request, () => undefined);
}

/**
 * The engine log of the resource `urn`. Undefined `urn` (state written before
 * resources passed `__urn`): messages go to the stack as a whole.
 */
export function engineLog(urn: string | undefined): EngineLog {
  return {
    warning: (message) => send(urn ?? "", message, false),
    status: (message) => send(urn ?? "", message, true),
  };
}
