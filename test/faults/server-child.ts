/**
 * A sandbox in a process of its own (the fault tests SIGKILL its process group mid-write):
 * `tsx test/faults/server-child.ts <persist dir>` prints {"url": …} on one line once serving.
 */
import { startSandbox } from "../../src/tools/sandbox";
import { TEST_VARS } from "../../src/tools/local-config";

const dir = process.argv[2];
if (!dir) throw new Error("usage: server-child.ts <persist dir>");
const sandbox = await startSandbox({
  persistTo: dir,
  port: 0,
  vars: TEST_VARS,
});
process.stdout.write(`${JSON.stringify({ url: sandbox.url })}\n`);
const stop = () => void sandbox.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
