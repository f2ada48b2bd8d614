// A task's files as a user function sees them: its inputs held in memory (the sandboxes call the host
// synchronously, so inputs are read before the function starts) and its outputs buffered until the
// function returns. A function that fails writes nothing.
import { FunctionError, type FunctionContext } from "@mesatee/functions";
import type { ExecutorLimits } from "./limits.js";

export class OutputFile {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  constructor(
    readonly name: string,
    private readonly files: TaskFiles,
    private readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.bytes;
  }

  /** Appends a copy of `data`; past the output limit the task fails, whatever the function does next. */
  write(data: Uint8Array): void {
    if (this.bytes + data.length > this.maxBytes)
      throw this.files.fail(
        new FunctionError("LIMIT_EXCEEDED", `output ${this.name} is larger than ${this.maxBytes} bytes`),
      );
    this.chunks.push(Buffer.from(data));
    this.bytes += data.length;
  }

  contents(): Buffer {
    return Buffer.concat(this.chunks, this.bytes);
  }
}

export class TaskFiles {
  private readonly outputs = new Map<string, OutputFile>();
  private fatal: FunctionError | undefined;

  private constructor(
    private readonly inputs: ReadonlyMap<string, Buffer>,
    readonly outputNames: readonly string[],
    private readonly maxOutputBytes: number,
  ) {}

  /** Reads every input assigned to the task. */
  static async load(ctx: FunctionContext, limits: ExecutorLimits): Promise<TaskFiles> {
    const inputs = new Map<string, Buffer>();
    for (const name of ctx.inputNames) inputs.set(name, await ctx.readInput(name, limits.maxInputBytes));
    return new TaskFiles(inputs, [...ctx.outputNames], limits.maxOutputBytes);
  }

  get inputNames(): string[] {
    return [...this.inputs.keys()];
  }

  hasInput(name: string): boolean {
    return this.inputs.has(name);
  }

  hasOutput(name: string): boolean {
    return this.outputNames.includes(name);
  }

  input(name: string): Buffer {
    const data = this.inputs.get(name);
    if (!data) throw new FunctionError("NO_SUCH_FILE", `the task has no input named ${JSON.stringify(name)}`);
    return data;
  }

  createOutput(name: string): OutputFile {
    if (!this.hasOutput(name))
      throw new FunctionError("NO_SUCH_FILE", `the task has no output named ${JSON.stringify(name)}`);
    if (this.outputs.has(name)) throw new FunctionError("FAILED", `output ${name} can be created only once`);
    const out = new OutputFile(name, this, this.maxOutputBytes);
    this.outputs.set(name, out);
    return out;
  }

  /** Outputs created so far. */
  created(): OutputFile[] {
    return [...this.outputs.values()];
  }

  /** Records an error that fails the task even if the function catches it; returns it for throwing. */
  fail(error: FunctionError): FunctionError {
    this.fatal ??= error;
    return error;
  }

  /** Throws the first recorded failure, if any. */
  check(): void {
    if (this.fatal) throw this.fatal;
  }

  /** Hands the outputs to the context, once the function has returned successfully. */
  async flush(ctx: FunctionContext): Promise<void> {
    this.check();
    for (const out of this.outputs.values()) await ctx.writeOutput(out.name, out.contents());
  }
}
