import assert from "node:assert/strict";
import { test } from "node:test";
import { FunctionError } from "@mesatee/functions";
import { wat } from "../testing/index.js";
import { checkModule } from "./executor.js";
import { readModule, withMemoryLimits } from "./binary.js";

const ENTRY = '(func (export "entrypoint") (param i32 i32) (result i32) local.get 0)';

/** A minimal module whose memory section is given as raw limit bytes (flags, min[, max]). */
function moduleWithMemory(limits: number[]): Uint8Array {
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, [1, 0x60, 2, 0x7f, 0x7f, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(5, [1, ...limits]),
    ...section(7, [2, 6, ...Buffer.from("memory"), 2, 0, 10, ...Buffer.from("entrypoint"), 0, 0]),
    ...section(10, [1, 4, 0, 0x20, 0, 0x0b]),
  ]);
}

function refusedWith(pattern: RegExp): (error: unknown) => boolean {
  return (error) => error instanceof FunctionError && pattern.test(error.message);
}

test("reads imports with their signatures, memories and exports", async () => {
  const info = readModule(
    await wat(`(module
      (import "env" "teaclave_read_file" (func (param i32 i32 i32) (result i32)))
      (import "env" "memory" (memory 2 10))
      ${ENTRY})`),
  );
  assert.deepEqual(
    info.imports.map((i) => [i.module, i.name, i.desc.kind]),
    [
      ["env", "teaclave_read_file", "function"],
      ["env", "memory", "memory"],
    ],
  );
  const fn = info.imports[0]!.desc;
  assert.ok(fn.kind === "function");
  assert.deepEqual(fn.type, { params: ["i32", "i32", "i32"], results: ["i32"] });
  const mem = info.imports[1]!.desc;
  assert.ok(mem.kind === "memory");
  assert.deepEqual(mem.limits, { min: 2, max: 10, shared: false, memory64: false });
  const entry = info.exports.find((e) => e.name === "entrypoint")!;
  assert.deepEqual(info.functionType(entry.index), { params: ["i32", "i32"], results: ["i32"] });
});

test("an unbounded memory gets the limit as its maximum, and the rewritten module is valid", async () => {
  const bytes = await wat(`(module (memory (export "memory") 3) ${ENTRY})`);
  const checked = checkModule(bytes, 100);
  const memory = readModule(checked.bytes).memories[0]!;
  assert.deepEqual(memory, { min: 3, max: 100, shared: false, memory64: false });
  const instance = await WebAssembly.instantiate(await WebAssembly.compile(checked.bytes));
  const mem = instance.exports.memory as WebAssembly.Memory;
  assert.equal(mem.grow(97), 3);
  assert.throws(() => mem.grow(1), RangeError);
  // Large values need multi-byte LEB128 encodings.
  const big = readModule(withMemoryLimits(bytes, readModule(bytes), 3, 65_536)).memories[0]!;
  assert.equal(big.max, 65_536);
});

test("memories above the limit, shared, 64-bit or unexported are refused", () => {
  assert.throws(
    () => checkModule(moduleWithMemory([0x01, 1, 101]), 100),
    refusedWith(/exceeds the limit of 6400 KiB/),
  );
  assert.throws(() => checkModule(moduleWithMemory([0x00, 101]), 100), refusedWith(/exceeds the limit/));
  assert.throws(
    () => checkModule(moduleWithMemory([0x03, 1, 1]), 100),
    refusedWith(/shared memories are not supported/),
  );
  assert.throws(
    () => checkModule(moduleWithMemory([0x04, 1]), 100),
    refusedWith(/64-bit memories are not supported/),
  );
  assert.doesNotThrow(() => checkModule(moduleWithMemory([0x01, 1, 100]), 100));
});

test("malformed binaries are refused before compilation", () => {
  const good = moduleWithMemory([0x01, 1, 1]);
  assert.throws(() => readModule(good.subarray(0, 4)), refusedWith(/not a WebAssembly 1\.0 binary/));
  assert.throws(() => readModule(good.subarray(0, good.length - 3)), refusedWith(/runs past the end/));
  const overlong = Uint8Array.from([...good.subarray(0, 8), 5, 7, 1, 0x01, 0x80, 0x80, 0x80, 0x80, 0x80]);
  assert.throws(() => readModule(overlong), refusedWith(/integer too (long|large)|unexpected end/));
});

test("entrypoint must be exported with Teaclave's signature int entrypoint(int, char **)", async () => {
  const mem = '(memory (export "memory") 1 1)';
  assert.throws(() => checkModule(moduleWithMemory([0x01, 1, 1]).subarray(0, 0), 1), FunctionError);
  await assert.rejects(
    async () => checkModule(await wat(`(module ${mem})`), 10),
    refusedWith(/does not export a function named "entrypoint"/),
  );
  await assert.rejects(
    async () =>
      checkModule(
        await wat(`(module ${mem} (func (export "entrypoint") (param i64) (result i32) i32.const 0))`),
        10,
      ),
    refusedWith(/entrypoint must be \(i32, i32\) -> \(i32\).*not \(i64\) -> \(i32\)/),
  );
  await assert.rejects(
    async () =>
      checkModule(await wat(`(module ${mem} (global (export "entrypoint") i32 (i32.const 0)))`), 10),
    refusedWith(/does not export a function named "entrypoint"/),
  );
});
