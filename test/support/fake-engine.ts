import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import * as enginerpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import type { LogRequest } from "@pulumi/pulumi/proto/engine_pb";

/** One `Log` call as the engine received it. */
export interface EngineLogEntry {
  severity: number;
  message: string;
  urn: string;
  ephemeral: boolean;
}

/**
 * The engine's `pulumirpc.Engine` service as far as providers use it: `Log`
 * (diagnostics, and with `ephemeral` the status line of a resource). Records
 * every call; the other methods answer UNIMPLEMENTED.
 */
export class FakeEngine {
  readonly logs: EngineLogEntry[] = [];

  private constructor(
    private readonly server: grpc.Server,
    /** `127.0.0.1:<port>`, what the CLI passes a provider as its first argument. */
    readonly address: string,
  ) {}

  static async start(): Promise<FakeEngine> {
    const server = new grpc.Server();
    const logs: EngineLogEntry[] = [];
    server.addService(enginerpc.EngineService, {
      log: (call: grpc.ServerUnaryCall<LogRequest, Empty>, callback: grpc.sendUnaryData<Empty>) => {
        const r = call.request;
        logs.push({ severity: r.getSeverity(), message: r.getMessage(), urn: r.getUrn(), ephemeral: r.getEphemeral() });
        callback(null, new Empty());
      },
    } as unknown as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))),
    );
    const engine = new FakeEngine(server, `127.0.0.1:${port}`);
    (engine as { logs: EngineLogEntry[] }).logs = logs;
    return engine;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
