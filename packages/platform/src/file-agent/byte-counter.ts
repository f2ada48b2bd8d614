// A pass-through that counts bytes and fails as soon as a limit is crossed, so an oversized body is
// cut off without being read (or written) any further.
import { Transform, type TransformCallback } from "node:stream";
import type { FileAgentError } from "./errors.js";

export class ByteCounter extends Transform {
  bytes = 0;

  constructor(
    private readonly max: number,
    private readonly tooLarge: (max: number) => FileAgentError,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) callback(this.tooLarge(this.max));
    else callback(null, chunk);
  }
}
