import { test } from "node:test";
import assert from "node:assert/strict";
import { Readable, Writable } from "node:stream";
import { createMemoryContext } from "../memory-context.js";
import { FunctionError, type FunctionContext } from "../types.js";
import { copy } from "./copy.js";
import { rejectsWith } from "./test-support.js";

test("builtin-copy copies every byte and returns the count", async () => {
  const data = Buffer.alloc(3 * 1024 * 1024 + 17);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  const ctx = createMemoryContext({ inputs: { input: data }, outputs: ["output"] });
  assert.equal(await copy.run(ctx), String(data.length));
  assert.ok(ctx.output("output").equals(data));
});

test("builtin-copy streams: it never reads the whole input and passes chunks through as they come", async () => {
  const chunk = Buffer.alloc(64 * 1024, 1);
  const chunks = 256; // 16 MiB produced lazily
  let produced = 0;
  let received = 0;
  let maxAhead = 0;
  const base = createMemoryContext();
  const ctx: FunctionContext = {
    ...base,
    readInput: () => Promise.reject(new FunctionError("FAILED", "readInput must not be used")),
    openInput: () =>
      new Readable({
        read() {
          produced += chunk.length;
          maxAhead = Math.max(maxAhead, produced - received);
          this.push(produced > chunks * chunk.length ? null : chunk);
        },
      }),
    createOutput: () =>
      new Writable({
        write(c: Buffer, _e, done) {
          received += c.length;
          setImmediate(done);
        },
      }),
  };
  assert.equal(await copy.run(ctx), String(chunks * chunk.length));
  // Backpressure keeps only a few chunks in flight, never the file.
  assert.ok(maxAhead < 2 * 1024 * 1024, `at most ${maxAhead} bytes were buffered`);
});

test("builtin-copy refuses a task without the input or output", async () => {
  await rejectsWith(copy.run(createMemoryContext({ outputs: ["output"] })), "NO_SUCH_FILE", /input/);
  await rejectsWith(copy.run(createMemoryContext({ inputs: { input: "x" } })), "NO_SUCH_FILE", /output/);
});

test("builtin-copy stops when the task is cancelled", async () => {
  const controller = new AbortController();
  const base = createMemoryContext({ outputs: ["output"], signal: controller.signal });
  const ctx: FunctionContext = {
    ...base,
    openInput: () =>
      new Readable({
        read() {
          this.push(Buffer.alloc(1024));
          controller.abort();
        },
      }),
  };
  await rejectsWith(copy.run(ctx), "FAILED", /cancelled/);
});
