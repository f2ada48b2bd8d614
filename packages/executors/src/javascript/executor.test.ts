import assert from "node:assert/strict";
import { test } from "node:test";
import { FunctionError, createMemoryContext } from "@mesatee/functions";
import { runUserFunction } from "../index.js";

async function run(source: string, options: Parameters<typeof createMemoryContext>[0] = {}, limits = {}) {
  const ctx = createMemoryContext(options);
  const value = await runUserFunction({
    family: "javascript",
    payload: Buffer.from(source),
    functionName: "test",
    ctx,
    limits,
  });
  return { value, ctx };
}

const failsWith = (code: string, pattern: RegExp) => (e: unknown) =>
  e instanceof FunctionError && e.code === code && pattern.test(e.message);

test("a script's global entrypoint or a module's export (named or default, sync or async) is called", async () => {
  assert.equal(
    (await run("function entrypoint(args) { return 'script ' + args.n; }", { args: { n: 1 } })).value,
    "script 1",
  );
  assert.equal(
    (await run("export function entrypoint(args) { return 'named ' + args.n; }", { args: { n: 2 } })).value,
    "named 2",
  );
  assert.equal(
    (
      await run("export default async (args) => { await null; return 'default ' + args.n; }", {
        args: { n: 3 },
      })
    ).value,
    "default 3",
  );
  assert.equal((await run("function entrypoint() {}")).value, "");
});

test("files: text and bytes in, text and bytes out; names listed", async () => {
  const { value, ctx } = await run(
    `function entrypoint(args, files) {
      const bytes = files.readBytes("bin");
      const out = files.create("copy");
      out.write(bytes.subarray(1));
      out.write(new Uint8Array([0xff]).buffer);
      out.close();
      files.writeText("text", files.readText("txt").toUpperCase() + " ✓");
      return files.inputs.join(",") + "|" + files.outputs.join(",");
    }`,
    { inputs: { bin: Uint8Array.from([0, 1, 2]), txt: "héllo" }, outputs: ["copy", "text"] },
  );
  assert.equal(value, "bin,txt|copy,text");
  assert.deepEqual([...ctx.output("copy")], [1, 2, 0xff]);
  assert.equal(ctx.output("text").toString(), "HÉLLO ✓");
});

test('console output reaches the log only with save_log "true"', async () => {
  const source = "function entrypoint() { console.log('a', {b: 1}); console.error('c'); return 'ok'; }";
  assert.deepEqual((await run(source, { args: { save_log: "true" } })).ctx.logLines, [
    '[INFO javascript] a {"b":1}',
    "[ERROR javascript] c",
  ]);
  assert.deepEqual((await run(source, { args: { save_log: "false" } })).ctx.logLines, []);
});

test("heap, stack, deadline and return value are limited", async () => {
  await assert.rejects(
    run(
      "function entrypoint() { const keep = []; for (;;) keep.push(new ArrayBuffer(1 << 20)); }",
      {},
      { memoryMb: 64 },
    ),
    failsWith("LIMIT_EXCEEDED", /memory limit exceeded/),
  );
  await assert.rejects(
    run("function entrypoint() { for (;;) {} }", {}, { timeoutMs: 200 }),
    failsWith("LIMIT_EXCEEDED", /time limit exceeded \(200 ms\)/),
  );
  await assert.rejects(
    run("function f() { return f() + 1; } function entrypoint() { return f(); }"),
    failsWith("FAILED", /stack overflow/),
  );
  await assert.rejects(
    run("function entrypoint() { return 'x'.repeat(2048); }", {}, { maxResultBytes: 1024 }),
    failsWith("LIMIT_EXCEEDED", /return value is larger than 1024 bytes/),
  );
  // The engine is still usable after each failure: every run gets a fresh runtime.
  assert.equal((await run("function entrypoint() { return String(1 + 1); }")).value, "2");
});

test("nothing from one run is visible to the next", async () => {
  await run(
    "globalThis.leak = 'secret'; Object.prototype.polluted = 1; function entrypoint() { return ''; }",
  );
  assert.equal(
    (await run("function entrypoint() { return typeof leak + ',' + typeof ({}).polluted; }")).value,
    "undefined,undefined",
  );
});
