// builtin-copy (MesaTEE's own): copies input `input` to output `output` as a stream, so files of
// any size pass through in bounded memory. Returns the number of bytes copied.
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FunctionError, type BuiltinFunction } from "../types.js";

export const copy: BuiltinFunction = {
  name: "builtin-copy",
  async run(ctx) {
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(ctx.openInput("input"), counter, ctx.createOutput("output"), { signal: ctx.signal });
    } catch (err) {
      if (err instanceof FunctionError) throw err;
      if (ctx.signal.aborted) throw new FunctionError("FAILED", "the copy was cancelled");
      throw new FunctionError("FAILED", `copy failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    return String(bytes);
  },
};
