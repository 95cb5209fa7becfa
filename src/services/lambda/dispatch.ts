/** Lambda's programs call through the shared dispatcher (src/services/dispatch.ts; the console uses it too). */
export { callAs, isServed, plainJson, type CallResult } from "../dispatch";
