// What a built-in function sees while it runs: its arguments, its declared inputs (plaintext, already
// verified and decrypted by the executor) and outputs (encrypted for their owners after the run).
import type { Readable, Writable } from "node:stream";

export interface FunctionContext {
  /** Task arguments after defaults are merged; values are JSON (Teaclave defaults are strings). */
  readonly args: Readonly<Record<string, unknown>>;
  /** Cancelled when the task is cancelled or exceeds its time limit. */
  readonly signal: AbortSignal;
  /** Names of the inputs and outputs assigned to this task (optional ones may be absent). */
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Streams an input's plaintext. Throws FunctionError NO_SUCH_FILE if the input is not assigned. */
  openInput(name: string): Readable;
  /** Reads a whole input; refuses inputs larger than `maxBytes` (default: the context's memory budget). */
  readInput(name: string, maxBytes?: number): Promise<Buffer>;
  /** Streams an output's plaintext. Throws FunctionError NO_SUCH_FILE if the output is not assigned. */
  createOutput(name: string): Writable;
  /** Writes a whole output. */
  writeOutput(name: string, data: Uint8Array | string): Promise<void>;
  /** Appends a line to the task log (returned to the task's participants when `save_log` is set). */
  log(line: string): void;
}

export interface BuiltinFunction {
  /** The name a function is registered under (Teaclave's exact spelling). */
  readonly name: string;
  /** Other accepted names. */
  readonly aliases?: readonly string[];
  /** Runs the function; the returned string becomes the task's return value (UTF-8). */
  run(ctx: FunctionContext): Promise<string>;
}

export type FunctionErrorCode =
  | "INVALID_ARGUMENT" // missing or malformed argument
  | "INVALID_INPUT" // input content does not match the expected format
  | "NO_SUCH_FILE" // an input or output the task does not have
  | "LIMIT_EXCEEDED" // size/memory/time limits
  | "FAILED"; // the function itself failed (e.g. wrong password)

/** A function's failure: the task ends `Failed` with `message` as the reason. */
export class FunctionError extends Error {
  override readonly name = "FunctionError";
  constructor(
    readonly code: FunctionErrorCode,
    message: string,
  ) {
    super(message);
  }
}
