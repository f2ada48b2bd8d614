// Runs one function in a child process of its own (its own heap limit; a crash or an out-of-memory abort
// kills only this process). It receives one task, sends one result and exits.
//
// Two kinds of isolate, chosen by the first command-line argument:
// - "builtin": a built-in function; the isolate reads and writes the task's staged files itself.
// - "wasm" | "javascript" | "python": a user-supplied function, in a sandboxed process (see
//   @mesatee/executors, sandbox/launch.ts) that can read nothing but the installed code. Its runtime
//   loads before the task arrives (a warm isolate); the parent streams the inputs' plaintext in and
//   writes the outputs the function produces, so the process never holds a file path or a key.
import { PassThrough, Writable } from "node:stream";
import { FunctionError, loadBuiltin, type FunctionContext } from "@mesatee/functions";
import {
  hardenProcess,
  isUserFamily,
  preloadExecutor,
  runUserFunction,
  type UserFamily,
} from "@mesatee/executors";
import type { SandboxMessage, SandboxReply } from "./isolate.js";
import type { IsolateInput, IsolateResult } from "./protocol.js";
import { createStaged, openStaged } from "./staging.js";

const mode = process.argv[2] ?? "builtin";

function reasonOf(error: unknown): string {
  return error instanceof FunctionError
    ? error.message
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : "the function failed";
}

function boundedLog(maxLines: number, maxLineBytes: number): { lines: string[]; add(line: string): void } {
  const lines: string[] = [];
  return {
    lines,
    add(line) {
      if (lines.length < maxLines) lines.push(Buffer.from(String(line)).subarray(0, maxLineBytes).toString());
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Built-in functions: trusted code with direct access to the task's staged files.

async function serveBuiltin(): Promise<void> {
  const input = await new Promise<IsolateInput>((resolve) =>
    process.once("message", (m) => resolve(m as IsolateInput)),
  );
  const key = Buffer.from(input.stagingKey, "hex");
  const log = boundedLog(input.maxLogLines, input.maxLogLineBytes);
  const controller = new AbortController();
  const pending: Array<Promise<unknown>> = [];
  const openOutputs = new Map<string, Writable>();
  const written = new Set<string>();

  const noSuchFile = (kind: string, name: string) =>
    new FunctionError("NO_SUCH_FILE", `the task has no ${kind} named ${JSON.stringify(name)}`);
  const inputPath = (name: string): string => {
    if (!Object.hasOwn(input.inputs, name)) throw noSuchFile("input", name);
    return input.inputs[name]!;
  };

  /** Wraps a staged output so that writes beyond the output limit fail the function. */
  const limitedOutput = (name: string): Writable => {
    if (!Object.hasOwn(input.outputs, name)) throw noSuchFile("output", name);
    if (openOutputs.has(name) || written.has(name))
      throw new FunctionError("FAILED", `output ${name} can be created only once`);
    const staged = createStaged(input.outputs[name]!, key);
    pending.push(staged.done);
    written.add(name);
    let bytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        if (bytes > input.maxOutputBytes) {
          done(
            new FunctionError(
              "LIMIT_EXCEEDED",
              `output ${name} is larger than ${input.maxOutputBytes} bytes`,
            ),
          );
          return;
        }
        if (staged.stream.write(chunk)) done();
        else staged.stream.once("drain", () => done());
      },
      final(done) {
        staged.stream.end(() => done());
      },
      destroy(error, done) {
        if (error) staged.stream.destroy(error);
        done(error);
      },
    });
    openOutputs.set(name, sink);
    sink.once("close", () => openOutputs.delete(name));
    return sink;
  };

  const ctx: FunctionContext = {
    args: input.args,
    signal: controller.signal,
    inputNames: Object.keys(input.inputs),
    outputNames: Object.keys(input.outputs),
    openInput: (name) => openStaged(inputPath(name), key),
    async readInput(name, maxBytes = 256 * 1024 * 1024) {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of openStaged(inputPath(name), key)) {
        size += (chunk as Buffer).length;
        if (size > maxBytes)
          throw new FunctionError("LIMIT_EXCEEDED", `input ${name} is larger than ${maxBytes} bytes`);
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    },
    createOutput: (name) => limitedOutput(name),
    async writeOutput(name, data) {
      const out = limitedOutput(name);
      await new Promise<void>((resolve, reject) => {
        out.once("error", reject);
        out.end(Buffer.from(data), () => resolve());
      });
    },
    log: (line) => log.add(line),
  };

  const run = async (): Promise<string> => {
    if (input.family !== "builtin")
      throw new FunctionError("FAILED", `a ${input.family} function cannot run in a built-in isolate`);
    const fn = await loadBuiltin(input.functionName);
    if (!fn)
      throw new FunctionError(
        "INVALID_ARGUMENT",
        `no built-in function named ${JSON.stringify(input.functionName)}`,
      );
    const result = await fn.run(ctx);
    if (typeof result !== "string") throw new FunctionError("FAILED", "the function did not return a string");
    // Outputs the function left open are complete now.
    await Promise.all(
      [...openOutputs.values()].map(
        (out) =>
          new Promise<void>((resolve, reject) =>
            out.writableFinished ? resolve() : (out.once("error", reject), out.end(resolve)),
          ),
      ),
    );
    await Promise.all(pending);
    return result;
  };

  await run().then(
    (returnValue) => post({ ok: true, returnValue, log: log.lines, written: [...written] }),
    (error: unknown) => post({ ok: false, reason: reasonOf(error), log: log.lines }),
  );
}

function post(result: IsolateResult): void {
  process.send!(result, () => process.exit(0));
}

// ---------------------------------------------------------------------------------------------------
// User functions: untrusted code; files come and go through the parent.

/** Messages from the parent, in order, awaitable one at a time or by input name. */
class Inbox {
  private readonly queue: SandboxMessage[] = [];
  private waiting: ((m: SandboxMessage) => void) | undefined;
  private readonly inputs = new Map<
    string,
    { chunks: Buffer[]; size: number; done?: { tooLarge: boolean } }
  >();
  private readonly inputWaiters = new Map<string, Array<() => void>>();
  private ackWaiter: (() => void) | undefined;

  constructor() {
    process.on("message", (m: SandboxMessage) => this.receive(m));
  }

  private receive(m: SandboxMessage): void {
    switch (m.kind) {
      case "input": {
        const entry = this.inputs.get(m.name) ?? { chunks: [], size: 0 };
        entry.chunks.push(Buffer.from(m.chunk));
        entry.size += m.chunk.length;
        this.inputs.set(m.name, entry);
        return;
      }
      case "input-end": {
        const entry = this.inputs.get(m.name) ?? { chunks: [], size: 0 };
        entry.done = { tooLarge: m.tooLarge };
        this.inputs.set(m.name, entry);
        for (const wake of this.inputWaiters.get(m.name) ?? []) wake();
        this.inputWaiters.delete(m.name);
        return;
      }
      case "ack":
        this.ackWaiter?.();
        this.ackWaiter = undefined;
        return;
      default:
        if (this.waiting) {
          const wake = this.waiting;
          this.waiting = undefined;
          wake(m);
        } else this.queue.push(m);
    }
  }

  next(): Promise<SandboxMessage> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  async input(name: string, maxBytes: number): Promise<Buffer> {
    if (!this.inputs.get(name)?.done)
      await new Promise<void>((resolve) =>
        this.inputWaiters.set(name, [...(this.inputWaiters.get(name) ?? []), resolve]),
      );
    const entry = this.inputs.get(name)!;
    if (entry.done!.tooLarge || entry.size > maxBytes)
      throw new FunctionError("LIMIT_EXCEEDED", `input ${name} is larger than ${maxBytes} bytes`);
    return Buffer.concat(entry.chunks, entry.size);
  }

  acked(): Promise<void> {
    return new Promise((resolve) => (this.ackWaiter = resolve));
  }
}

function send(message: SandboxReply): Promise<void> {
  return new Promise((resolve, reject) =>
    process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

const OUTPUT_CHUNK = 1 << 20;

async function serveUserFunction(family: UserFamily): Promise<void> {
  hardenProcess();
  const inbox = new Inbox();
  const preload = await inbox.next();
  if (preload.kind !== "preload") throw new Error("the isolate expected its preload message");
  const loaded = await preloadExecutor(family, {
    ...(preload.snapshot ? { snapshot: preload.snapshot } : {}),
    makeSnapshot: preload.makeSnapshot,
  });
  // A snapshot is sent first and only before the task arrives, so it holds no function's state.
  if (preload.makeSnapshot) await send({ kind: "snapshot", snapshot: loaded.snapshot ?? null });
  await send({ kind: "ready" });

  const task = await inbox.next();
  if (task.kind !== "task") throw new Error("the isolate expected its task");
  const log = boundedLog(task.limits.maxLogLines, task.limits.maxLogLineBytes);
  const known = (names: readonly string[], name: string, kind: string) => {
    if (!names.includes(name))
      throw new FunctionError("NO_SUCH_FILE", `the task has no ${kind} named ${JSON.stringify(name)}`);
  };
  // One chunk in flight at a time: the parent acknowledges each once it is encrypted to staging.
  const sendOutput = async (name: string, data: Uint8Array) => {
    for (let at = 0; at < data.length; at += OUTPUT_CHUNK) {
      const acked = inbox.acked();
      await send({ kind: "output", name, chunk: data.subarray(at, at + OUTPUT_CHUNK) });
      await acked;
    }
    await send({ kind: "output-end", name });
  };
  const ctx: FunctionContext = {
    args: task.args,
    signal: new AbortController().signal,
    inputNames: task.inputs,
    outputNames: task.outputs,
    openInput(name) {
      known(task.inputs, name, "input");
      const out = new PassThrough();
      inbox.input(name, task.limits.maxInputBytes).then(
        (data) => out.end(data),
        (error: Error) => out.destroy(error),
      );
      return out;
    },
    readInput: (name, maxBytes = task.limits.maxInputBytes) => {
      known(task.inputs, name, "input");
      return inbox.input(name, Math.min(maxBytes, task.limits.maxInputBytes));
    },
    createOutput(name) {
      known(task.outputs, name, "output");
      const chunks: Buffer[] = [];
      return new Writable({
        write(chunk: Buffer, _encoding, done) {
          chunks.push(chunk);
          done();
        },
        final(done) {
          sendOutput(name, Buffer.concat(chunks)).then(() => done(), done);
        },
      });
    },
    async writeOutput(name, data) {
      known(task.outputs, name, "output");
      await sendOutput(name, typeof data === "string" ? Buffer.from(data) : data);
    },
    log: (line) => log.add(line),
  };
  try {
    const returnValue = await runUserFunction({
      family,
      payload: task.payload,
      functionName: task.functionName,
      ctx,
      limits: task.limits,
    });
    await send({ kind: "result", ok: true, returnValue, log: log.lines });
  } catch (error) {
    await send({ kind: "result", ok: false, reason: reasonOf(error), log: log.lines });
  }
  process.exit(0);
}

if (mode === "builtin") await serveBuiltin();
else if (isUserFamily(mode)) await serveUserFunction(mode);
else throw new Error(`unknown isolate kind ${mode}`);
