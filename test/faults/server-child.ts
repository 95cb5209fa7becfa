/**
 * A sandbox in a process of its own (the fault tests SIGKILL its process group mid-write):
 * `tsx test/faults/server-child.ts <persist dir>` prints {"url": …} on one line once serving.
 */
import { startSandbox, LOCAL_DEFAULTS } from "../../src/tools/sandbox";

const dir = process.argv[2];
if (!dir) throw new Error("usage: server-child.ts <persist dir>");
const sandbox = await startSandbox({
  persistTo: dir,
  port: 0,
  vars: { ...LOCAL_DEFAULTS, IAMLAB_CONSISTENCY: "", IAMLAB_REQUEST_LOG: "" },
});
process.stdout.write(`${JSON.stringify({ url: sandbox.url })}\n`);
const stop = () => void sandbox.stop().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
