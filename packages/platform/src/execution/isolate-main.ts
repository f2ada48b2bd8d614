// Runs one function in a child process of its own (its own heap limit; a crash or an out-of-memory abort
// kills only this process). It receives one task, sees only that task's staged files, sends one result
// and exits.
import { Writable } from "node:stream";
import { FunctionError, findBuiltin, type FunctionContext } from "@mesatee/functions";
import type { IsolateInput, IsolateResult } from "./protocol.js";
import { createStaged, openStaged } from "./staging.js";

const input = await new Promise<IsolateInput>((resolve) => process.once("message", (m) => resolve(m as IsolateInput)));
const key = Buffer.from(input.stagingKey, "hex");
const log: string[] = [];
const controller = new AbortController();
const pending: Array<Promise<unknown>> = [];
const openOutputs = new Map<string, Writable>();
const written = new Set<string>();

function noSuchFile(kind: string, name: string): FunctionError {
  return new FunctionError("NO_SUCH_FILE", `the task has no ${kind} named ${JSON.stringify(name)}`);
}

function inputPath(name: string): string {
  if (!Object.hasOwn(input.inputs, name)) throw noSuchFile("input", name);
  return input.inputs[name]!;
}

/** Wraps a staged output so that writes beyond the output limit fail the function. */
function limitedOutput(name: string): Writable {
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
        done(new FunctionError("LIMIT_EXCEEDED", `output ${name} is larger than ${input.maxOutputBytes} bytes`));
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
}

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
      if (size > maxBytes) throw new FunctionError("LIMIT_EXCEEDED", `input ${name} is larger than ${maxBytes} bytes`);
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
  log(line) {
    if (log.length < input.maxLogLines) log.push(Buffer.from(String(line)).subarray(0, input.maxLogLineBytes).toString());
  },
};

async function run(): Promise<string> {
  if (input.family !== "builtin") throw new FunctionError("FAILED", `the ${input.family} executor is not available`);
  const fn = findBuiltin(input.functionName);
  if (!fn) throw new FunctionError("INVALID_ARGUMENT", `no built-in function named ${JSON.stringify(input.functionName)}`);
  const result = await fn.run(ctx);
  if (typeof result !== "string") throw new FunctionError("FAILED", "the function did not return a string");
  // Outputs the function left open are complete now.
  await Promise.all(
    [...openOutputs.values()].map(
      (out) => new Promise<void>((resolve, reject) => (out.writableFinished ? resolve() : (out.once("error", reject), out.end(resolve)))),
    ),
  );
  await Promise.all(pending);
  return result;
}

run().then(
  (returnValue) => post({ ok: true, returnValue, log, written: [...written] }),
  (error: unknown) => {
    const reason =
      error instanceof FunctionError
        ? error.message
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : "the function failed";
    post({ ok: false, reason, log });
  },
);

function post(result: IsolateResult): void {
  process.send!(result, () => process.exit(0));
}
