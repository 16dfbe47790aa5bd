import { engineAddressArgument } from "../../resources/core/engine-log";

// The CLI puts its logging and tracing flags before a plugin's own arguments
// (pkg/resource/plugin: buildPluginArguments), so the engine's address is the
// first positional argument, not always argv[2].
test.each([
  [["127.0.0.1:5001"], "127.0.0.1:5001"],
  [["--logtostderr", "-v=9", "127.0.0.1:5001"], "127.0.0.1:5001"],
  [["--tracing", "127.0.0.1:9411", "127.0.0.1:5001"], "127.0.0.1:5001"],
  [["--logtostderr"], undefined],
  [[], undefined],
])("the engine's address in the host's arguments %j is %s", (args, address) => {
  expect(engineAddressArgument(args)).toBe(address);
});
