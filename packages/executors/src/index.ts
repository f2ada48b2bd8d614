// User-supplied functions: WebAssembly (Teaclave's WAMR ABI), JavaScript (QuickJS) and Python
// (Pyodide, MesaPy's conventions), each run against a FunctionContext with limits. The isolate process
// around a run (platform/execution) adds the process-level sandbox described in sandbox/launch.ts.
import { FunctionError, createMemoryContext, type FunctionContext } from "@mesatee/functions";
import { flatArgv } from "./argv.js";
import { runJavaScript } from "./javascript/executor.js";
import { resolveLimits, type ExecutorLimits } from "./limits.js";
import { functionLog } from "./log.js";
import { runPython } from "./python/executor.js";
import { preloadPython } from "./python/runtime.js";
import { TaskFiles } from "./task-files.js";
import { runWasm } from "./wasm/executor.js";

export { flatArgv } from "./argv.js";
export {
  DEFAULT_EXECUTOR_LIMITS,
  resolveLimits,
  wasmMaxPages,
  quickJsHeapBytes,
  type ExecutorLimits,
} from "./limits.js";
export { checkModule } from "./wasm/executor.js";
export { hardenProcess } from "./sandbox/harden.js";
export {
  sandboxPlan,
  codePaths,
  permissionFlags,
  type SandboxPlan,
  type SandboxOptions,
} from "./sandbox/launch.js";

/** Executor families that run user-supplied payloads. */
export type UserFamily = "wasm" | "javascript" | "python";
export const USER_FAMILIES: readonly UserFamily[] = ["wasm", "javascript", "python"];

export function isUserFamily(family: string): family is UserFamily {
  return (USER_FAMILIES as readonly string[]).includes(family);
}

export interface UserFunctionRun {
  readonly family: UserFamily;
  /** The function's payload: a WebAssembly module, or JavaScript or Python source (UTF-8). */
  readonly payload: Uint8Array;
  /** The registered name (for messages; user functions are identified by their payload). */
  readonly functionName: string;
  readonly ctx: FunctionContext;
  readonly limits?: Partial<ExecutorLimits>;
}

/**
 * Runs one user function; resolves to its return value. Outputs reach the context only when the
 * function succeeds. Throws FunctionError: FAILED (trap, exception, bad payload), LIMIT_EXCEEDED,
 * NO_SUCH_FILE or INVALID_ARGUMENT.
 */
export async function runUserFunction(run: UserFunctionRun): Promise<string> {
  const limits = resolveLimits(run.limits);
  const { ctx } = run;
  if (!isUserFamily(run.family))
    throw new FunctionError(
      "INVALID_ARGUMENT",
      `no user-function executor for ${JSON.stringify(run.family)}`,
    );
  if (run.payload.length === 0)
    throw new FunctionError("INVALID_ARGUMENT", `function ${run.functionName} has an empty payload`);
  const files = await TaskFiles.load(ctx, limits);
  let result: string;
  switch (run.family) {
    case "wasm":
      result = await runWasm(run.payload, flatArgv(ctx.args), files, limits);
      break;
    case "javascript":
      result = await runJavaScript({
        source: utf8(run.payload, "JavaScript"),
        args: ctx.args,
        files,
        log: functionLog(ctx, "javascript"),
        limits,
        signal: ctx.signal,
      });
      break;
    case "python":
      result = await runPython({
        source: run.payload,
        argv: flatArgv(ctx.args),
        files,
        log: functionLog(ctx, "python"),
        limits,
      });
      break;
  }
  if (Buffer.byteLength(result) > limits.maxResultBytes)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `the return value is larger than ${limits.maxResultBytes} bytes`,
    );
  await files.flush(ctx);
  return result;
}

function utf8(payload: Uint8Array, language: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(payload);
  } catch {
    throw new FunctionError("INVALID_ARGUMENT", `the ${language} payload is not UTF-8 text`);
  }
}

export interface PreloadOptions {
  /** Python: a memory snapshot made by another process, to start faster. */
  readonly snapshot?: Uint8Array;
  /** Python: make a snapshot while loading (when none is given) and return it. */
  readonly makeSnapshot?: boolean;
}

/**
 * Loads a family's runtime ahead of its task (a warm isolate calls this before it is handed one), and
 * runs a trivial function through it so that the first real call does not pay for first-use work.
 */
export async function preloadExecutor(
  family: UserFamily,
  options: PreloadOptions = {},
): Promise<{ snapshot?: Uint8Array }> {
  switch (family) {
    case "python":
      return preloadPython(options);
    case "javascript":
    case "wasm":
      await runUserFunction({
        family,
        payload: WARM_UP[family],
        functionName: "warm-up",
        ctx: createMemoryContext(),
      });
      return {};
  }
}

// A module with a one-page memory whose entrypoint returns 0, and its JavaScript counterpart.
const WARM_UP = {
  wasm: Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f,
    0x03, 0x02, 0x01, 0x00, 0x05, 0x04, 0x01, 0x01, 0x01, 0x02, 0x07, 0x17, 0x02, 0x06, 0x6d, 0x65, 0x6d,
    0x6f, 0x72, 0x79, 0x02, 0x00, 0x0a, 0x65, 0x6e, 0x74, 0x72, 0x79, 0x70, 0x6f, 0x69, 0x6e, 0x74, 0x00,
    0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0b,
  ]),
  javascript: Buffer.from("function entrypoint() { return ''; }"),
};
