import assert from "node:assert/strict";
import { test } from "node:test";
import { FunctionError, createMemoryContext } from "@mesatee/functions";
import { runUserFunction } from "../index.js";
import { compileC, wat } from "../testing/index.js";

const run = (payload: Uint8Array, options: Parameters<typeof createMemoryContext>[0] = {}) => {
  const ctx = createMemoryContext(options);
  return { ctx, result: runUserFunction({ family: "wasm", payload, functionName: "test", ctx }) };
};

test("Teaclave's WAMR unit test: the millionaire payload writes the richer party's file id", async () => {
  const { ctx, result } = run(await compileC("millionaire.c"), {
    args: { input_file_id1: "pf_in_a", input_file_id2: "pf_in_b", output_file_id: "pf_out" },
    inputs: { pf_in_a: "4211037", pf_in_b: "1008611" },
    outputs: ["pf_out"],
  });
  assert.equal(await result, "7");
  assert.equal(ctx.output("pf_out").toString(), "pf_in_a");
});

test("handles count up from 1; output handles carry bit 0x4000_0000 (Teaclave's encoding)", async () => {
  const module = await wat(`(module
    (import "env" "teaclave_open_input" (func $open (param i32) (result i32)))
    (import "env" "teaclave_create_output" (func $create (param i32) (result i32)))
    (import "env" "teaclave_write_file" (func $write (param i32 i32 i32) (result i32)))
    (memory (export "memory") 1 2)
    (data (i32.const 16) "in\\00out\\00")
    (func (export "entrypoint") (param i32 i32) (result i32) (local $a i32) (local $b i32) (local $c i32)
      (local.set $a (call $open (i32.const 16)))
      (local.set $b (call $create (i32.const 19)))
      (local.set $c (call $open (i32.const 16)))
      (i32.store (i32.const 0) (local.get $a))
      (i32.store (i32.const 4) (local.get $b))
      (i32.store (i32.const 8) (local.get $c))
      (drop (call $write (local.get $b) (i32.const 0) (i32.const 12)))
      (i32.const 0)))`);
  const { ctx, result } = run(module, { inputs: { in: "x" }, outputs: ["out"] });
  assert.equal(await result, "0");
  const handles = ctx.output("out");
  assert.deepEqual(
    [handles.readUInt32LE(0), handles.readUInt32LE(4), handles.readUInt32LE(8)],
    [1, 0x4000_0002, 3],
  );
});

test("reads stop at end of file with 0; reads and writes outside memory return -1", async () => {
  const module = await wat(`(module
    (import "env" "teaclave_open_input" (func $open (param i32) (result i32)))
    (import "env" "teaclave_read_file" (func $read (param i32 i32 i32) (result i32)))
    (memory (export "memory") 1 1)
    (data (i32.const 0) "in\\00")
    (func (export "entrypoint") (param i32 i32) (result i32) (local $fd i32) (local $n i32)
      (local.set $fd (call $open (i32.const 0)))
      ;; 10 bytes: 5 read, then 0 at the end, then -1 past memory: 5 * 100 + 0 * 10 + (-1)
      (local.set $n (i32.mul (call $read (local.get $fd) (i32.const 100) (i32.const 64)) (i32.const 100)))
      (local.set $n (i32.add (local.get $n) (i32.mul (call $read (local.get $fd) (i32.const 100) (i32.const 64)) (i32.const 10))))
      (i32.add (local.get $n) (call $read (local.get $fd) (i32.const 65530) (i32.const 64)))))`);
  assert.equal(await run(module, { inputs: { in: "hello" } }).result, "499");
});

test("a function that fails writes no output", async () => {
  const { ctx, result } = run(await compileC("probe.c"), { args: { action: "trap" }, outputs: ["output"] });
  await assert.rejects(
    result,
    (e: unknown) => e instanceof FunctionError && e.code === "FAILED" && /unreachable/.test(e.message),
  );
  assert.equal(ctx.output("output").length, 0);
});
