// A pass-through that counts bytes and fails as soon as a limit is crossed, so an oversized body is
// cut off without being read (or written) any further; optionally it checks the total at the end.
import { Transform, type TransformCallback } from "node:stream";
import { FileAgentError } from "./errors.js";

export class ByteCounter extends Transform {
  bytes = 0;

  constructor(
    private readonly max: number,
    private readonly tooLarge: (max: number) => FileAgentError,
    /** Called once the input ended: the error to fail with, if the total is wrong. */
    private readonly atEnd?: (bytes: number) => FileAgentError | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) callback(this.tooLarge(this.max));
    else callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    callback(this.atEnd?.(this.bytes));
  }
}

/** A counter that fails unless exactly `size` bytes pass: an upload announced its length up front. */
export function exactLength(size: number): ByteCounter {
  const wrong = (bytes: string): FileAgentError =>
    new FileAgentError("IO", `upload source gave ${bytes} bytes, not the announced ${size}`);
  return new ByteCounter(
    size,
    () => wrong("more than"),
    (bytes) => (bytes === size ? undefined : wrong(String(bytes))),
  );
}
