// The JavaScript executor: the function runs in QuickJS (a JavaScript engine compiled to WebAssembly),
// with no Node, file system or network inside, a heap limit, a stack limit and a deadline. The payload
// is a script defining `function entrypoint(args, files)` or a module exporting `entrypoint` (named or
// default); it returns a string (or a promise of one).
import { FunctionError } from "@mesatee/functions";
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { quickJsHeapBytes, type ExecutorLimits } from "../limits.js";
import type { FunctionLog, LogLevel } from "../log.js";
import type { OutputFile, TaskFiles } from "../task-files.js";
import { PRELUDE } from "./prelude.js";
import { loadQuickJs } from "./runtime.js";

/** QuickJS's own stack limit; above about 256 KiB deep recursion overflows the host's stack (ecosystem §4). */
const MAX_STACK_BYTES = 256 * 1024;
const LEVELS = new Set<LogLevel>(["DEBUG", "INFO", "WARN", "ERROR"]);

export interface JsRunOptions {
  readonly source: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly files: TaskFiles;
  readonly log: FunctionLog;
  readonly limits: ExecutorLimits;
  readonly signal: AbortSignal;
}

export async function runJavaScript(options: JsRunOptions): Promise<string> {
  const quickjs = await loadQuickJs();
  const rt = quickjs.newRuntime();
  const deadline = Date.now() + options.limits.timeoutMs;
  let interrupted = false;
  rt.setMemoryLimit(quickJsHeapBytes(options.limits));
  rt.setMaxStackSize(MAX_STACK_BYTES);
  rt.setInterruptHandler(() => (interrupted ||= Date.now() > deadline || options.signal.aborted));
  const ctx = rt.newContext();
  // Every handle is freed before the context: QuickJS asserts that a runtime ends with no live objects.
  const handles = new Set<QuickJSHandle>();
  const keep = (h: QuickJSHandle): QuickJSHandle => (handles.add(h), h);
  try {
    return run(rt, ctx, options, keep, () => interrupted);
  } finally {
    for (const h of handles) if (h.alive) h.dispose();
    ctx.dispose();
    rt.dispose();
  }
}

function run(
  rt: QuickJSRuntime,
  ctx: QuickJSContext,
  o: JsRunOptions,
  keep: (h: QuickJSHandle) => QuickJSHandle,
  wasInterrupted: () => boolean,
): string {
  const { files, limits } = o;
  const fail = (handle: QuickJSHandle): never => {
    keep(handle);
    files.check();
    throw guestError(ctx.dump(handle), limits, wasInterrupted());
  };
  const unwrap = (result: ReturnType<QuickJSContext["evalCode"]>): QuickJSHandle =>
    result.error ? fail(result.error) : keep(result.value);
  const host = keep(hostObject(ctx, files, o.log));
  const prelude = unwrap(ctx.evalCode(PRELUDE, "mesatee-prelude.js", { type: "global", strict: true }));
  const made = unwrap(
    ctx.callFunction(
      prelude,
      ctx.undefined,
      host,
      keep(ctx.newString(JSON.stringify(o.args))),
      keep(ctx.newString(JSON.stringify(files.inputNames))),
      keep(ctx.newString(JSON.stringify(files.outputNames))),
    ),
  );
  const args = keep(ctx.getProp(made, 0));
  const filesHandle = keep(ctx.getProp(made, 1));

  const evaluated = settle(rt, ctx, unwrap(ctx.evalCode(o.source, "function.js")), keep, fail);
  const entrypoint = findEntrypoint(ctx, evaluated, keep);
  if (!entrypoint)
    throw new FunctionError(
      "FAILED",
      "the payload defines no entrypoint (a global function entrypoint(args, files), or a module exporting entrypoint)",
    );
  const returned = settle(
    rt,
    ctx,
    unwrap(ctx.callFunction(entrypoint, ctx.undefined, args, filesHandle)),
    keep,
    fail,
  );
  files.check();
  const type = ctx.typeof(returned);
  if (type === "undefined") return "";
  if (type !== "string") throw new FunctionError("FAILED", `entrypoint must return a string, not a ${type}`);
  const value = ctx.getString(returned);
  if (Buffer.byteLength(value) > limits.maxResultBytes)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `the return value is larger than ${limits.maxResultBytes} bytes`,
    );
  return value;
}

/** Resolves a promise by running QuickJS's job queue; other values pass through. */
function settle(
  rt: QuickJSRuntime,
  ctx: QuickJSContext,
  handle: QuickJSHandle,
  keep: (h: QuickJSHandle) => QuickJSHandle,
  fail: (e: QuickJSHandle) => never,
): QuickJSHandle {
  for (;;) {
    const state = ctx.getPromiseState(handle);
    if (state.type === "fulfilled") return keep(state.value);
    if (state.type === "rejected") return fail(state.error);
    const jobs = rt.executePendingJobs();
    if (jobs.error) return fail(jobs.error);
    if (jobs.value === 0 && ctx.getPromiseState(handle).type === "pending")
      throw new FunctionError("FAILED", "the function returned a promise that never settles");
  }
}

function findEntrypoint(
  ctx: QuickJSContext,
  evaluated: QuickJSHandle,
  keep: (h: QuickJSHandle) => QuickJSHandle,
): QuickJSHandle | undefined {
  const candidates = [keep(ctx.getProp(ctx.global, "entrypoint"))];
  if (ctx.typeof(evaluated) === "object")
    candidates.push(keep(ctx.getProp(evaluated, "entrypoint")), keep(ctx.getProp(evaluated, "default")));
  return candidates.find((h) => ctx.typeof(h) === "function");
}

function guestError(dumped: unknown, limits: ExecutorLimits, interrupted: boolean): FunctionError {
  const e = (typeof dumped === "object" && dumped !== null ? dumped : { message: String(dumped) }) as {
    name?: unknown;
    message?: unknown;
  };
  const name = typeof e.name === "string" ? e.name : "Error";
  const message = typeof e.message === "string" ? e.message : String(dumped);
  if (interrupted || (name === "InternalError" && message === "interrupted"))
    return new FunctionError("LIMIT_EXCEEDED", `time limit exceeded (${limits.timeoutMs} ms)`);
  if (name === "InternalError" && /out of memory/.test(message))
    return new FunctionError(
      "LIMIT_EXCEEDED",
      `memory limit exceeded (JavaScript heap of ${quickJsHeapBytes(limits) >> 20} MiB)`,
    );
  if (/stack overflow/i.test(message)) return new FunctionError("FAILED", "stack overflow");
  return new FunctionError("FAILED", `${name}: ${message}`);
}

/** The host functions the prelude wraps; failures become guest exceptions the function may catch. */
function hostObject(ctx: QuickJSContext, files: TaskFiles, log: FunctionLog): QuickJSHandle {
  const host = ctx.newObject();
  const outputs: OutputFile[] = [];
  const define = (name: string, fn: (...args: QuickJSHandle[]) => QuickJSHandle | void) => {
    const handle = ctx.newFunction(name, (...args) => {
      try {
        return fn(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { error: ctx.newError({ name: "Error", message }) };
      }
    });
    ctx.setProp(host, name, handle);
    handle.dispose();
  };
  define("readBytes", (name) => {
    const data = files.input(ctx.getString(name));
    return ctx.newArrayBuffer(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  });
  define("readText", (name) => ctx.newString(files.input(ctx.getString(name)).toString("utf8")));
  define("create", (name) => ctx.newNumber(outputs.push(files.createOutput(ctx.getString(name))) - 1));
  define("write", (id, data) => {
    const out = outputs[ctx.getNumber(id)];
    if (!out) throw new Error("not an open output");
    if (ctx.typeof(data) === "string") out.write(Buffer.from(ctx.getString(data), "utf8"));
    else {
      const bytes = ctx.getArrayBuffer(data);
      try {
        out.write(bytes.value);
      } finally {
        bytes.dispose();
      }
    }
  });
  define("log", (level, text) => {
    const l = ctx.getString(level) as LogLevel;
    if (log.enabled && LEVELS.has(l)) log.write(l, ctx.getString(text));
  });
  return host;
}
