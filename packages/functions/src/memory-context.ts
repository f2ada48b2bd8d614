// A FunctionContext over in-memory buffers: used by tests and by callers that already hold plaintext.
import { Readable, Writable } from "node:stream";
import { FunctionError, type FunctionContext } from "./types.js";

export interface MemoryContextOptions {
  args?: Record<string, unknown>;
  inputs?: Record<string, Uint8Array | string>;
  outputs?: readonly string[];
  signal?: AbortSignal;
  maxReadBytes?: number;
}

export interface MemoryContext extends FunctionContext {
  /** The bytes written to each output so far. */
  output(name: string): Buffer;
  readonly logLines: string[];
}

export function createMemoryContext(options: MemoryContextOptions = {}): MemoryContext {
  const inputs = new Map(Object.entries(options.inputs ?? {}).map(([k, v]) => [k, Buffer.from(v)]));
  const outputs = new Map<string, Buffer[]>((options.outputs ?? []).map((n) => [n, []]));
  const logLines: string[] = [];
  const maxReadBytes = options.maxReadBytes ?? 256 * 1024 * 1024;

  const input = (name: string): Buffer => {
    const data = inputs.get(name);
    if (!data) throw new FunctionError("NO_SUCH_FILE", `the task has no input named ${JSON.stringify(name)}`);
    return data;
  };
  const output = (name: string): Buffer[] => {
    const chunks = outputs.get(name);
    if (!chunks)
      throw new FunctionError("NO_SUCH_FILE", `the task has no output named ${JSON.stringify(name)}`);
    return chunks;
  };

  return {
    args: Object.freeze({ ...(options.args ?? {}) }),
    signal: options.signal ?? new AbortController().signal,
    inputNames: [...inputs.keys()],
    outputNames: [...outputs.keys()],
    openInput: (name) => Readable.from([input(name)]),
    readInput: async (name, maxBytes = maxReadBytes) => {
      const data = input(name);
      if (data.length > maxBytes)
        throw new FunctionError("LIMIT_EXCEEDED", `input ${name} is larger than ${maxBytes} bytes`);
      return data;
    },
    createOutput: (name) => {
      const chunks = output(name);
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(Buffer.from(chunk));
          done();
        },
      });
      return sink;
    },
    writeOutput: async (name, data) => {
      output(name).push(Buffer.from(data));
    },
    log: (line) => void logLines.push(line),
    output: (name) => Buffer.concat(output(name)),
    logLines,
  };
}
