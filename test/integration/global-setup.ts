/** Starts one sandbox (in memory, random port) for the integration tests. */
import type { TestProject } from "vitest/node";
import { startSandbox, type Sandbox } from "../../src/tools/sandbox";
import { TEST_VARS } from "../../src/tools/local-config";
import { ensureChromium } from "../helpers/chromium";

let sandbox: Sandbox | undefined;

export async function setup(project: TestProject): Promise<void> {
  ensureChromium(); // the browser tests (console, graph page) skip with a message when this fails
  // Pinned values: startSandbox reads neither the environment nor .dev.vars (only `npm start` does).
  sandbox = await startSandbox({ port: 0, persistTo: false, vars: TEST_VARS });
  project.provide("iamlabUrl", sandbox.url);
  project.provide("iamlabVars", sandbox.vars);
}

export async function teardown(): Promise<void> {
  await sandbox?.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    iamlabUrl: string;
    iamlabVars: Record<string, string>;
  }
}
