import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createMemoryContext } from "../../memory-context.js";
import { refused, teaclaveFixture } from "../test-support.js";
import { createPsiFunction } from "./psi.js";
import { markCommon } from "./merge.js";
import { sortKeysInPlace } from "./radix-sort.js";

const psi = createPsiFunction();
const OUTPUTS = ["output_data1", "output_data2"];

async function run(one: Uint8Array | string, two: Uint8Array | string, args: Record<string, unknown> = {}) {
  const ctx = createMemoryContext({ args, inputs: { input_data1: one, input_data2: two }, outputs: OUTPUTS });
  const summary = await psi.run(ctx);
  return { summary, one: ctx.output("output_data1").toString(), two: ctx.output("output_data2").toString() };
}

/** The expected flags, computed with a plain Set. */
function plainFlags(own: string[], other: string[]): string {
  const set = new Set(other);
  return own.map((x) => (set.has(x) ? "1" : "0")).join("");
}

const sha = (s: string) => createHash("sha256").update(s).digest();

test("MesaTEE 2019's worked example: each party learns which of its own hashes are common", async () => {
  const item = (c: string) => Buffer.alloc(32, c);
  const one = Buffer.concat(["a", "b", "d", "e"].map(item));
  const two = Buffer.concat(["b", "c", "d"].map(item));
  const result = await run(one, two, { identifier_format: "binary" });
  assert.deepEqual(result, { summary: "2 common items", one: "0110", two: "101" });
});

test("text identifiers are hashed per line and match a plain set intersection, duplicates included", async () => {
  const universe = Array.from({ length: 6000 }, (_, i) => `customer-${i}@example.com`);
  const pick = (seed: number, count: number) =>
    Array.from({ length: count }, (_, i) => universe[(i * seed + seed * 7) % universe.length]!);
  const one = pick(13, 4000);
  const two = [...pick(29, 3500), one[5]!, one[5]!]; // a duplicate on both sides of a common item
  const result = await run(`${one.join("\n")}\n`, two.join("\r\n"));
  assert.equal(result.one, plainFlags(one, two));
  assert.equal(result.two, plainFlags(two, one));
  const distinct = new Set(one.filter((x) => new Set(two).has(x))).size;
  assert.equal(result.summary, `${distinct} common items`);
  assert.ok(distinct > 100);
});

test("random 32-byte identifiers in hex and binary give the same flags as a plain intersection", async () => {
  const ids = Array.from({ length: 50_000 }, () => randomBytes(32).toString("hex"));
  const one = ids.slice(0, 30_000);
  const two = [...ids.slice(20_000, 50_000)].reverse();
  const expectedOne = plainFlags(one, two);
  const expectedTwo = plainFlags(two, one);
  const hex = await run(one.join("\n"), two.join("\n").toUpperCase(), { identifier_format: "hex" });
  assert.deepEqual(hex, { summary: "10000 common items", one: expectedOne, two: expectedTwo });
  const bin = (list: string[]) => Buffer.concat(list.map((h) => Buffer.from(h, "hex")));
  assert.deepEqual(await run(bin(one), bin(two), { identifier_format: "binary" }), hex);
});

test("identifiers that share long prefixes are still sorted and matched exactly", async () => {
  // All share their first 28 bytes; some share 31. A radix sort on a prefix alone would get these wrong.
  const make = (tail: number) => {
    const b = Buffer.alloc(32, 0x5a);
    b.writeUInt32BE(tail, 28);
    return b.toString("hex");
  };
  const one = Array.from({ length: 3000 }, (_, i) => make((i * 7919) % 5000));
  const two = Array.from({ length: 3000 }, (_, i) => make((i * 104729) % 6000));
  const same = Array.from({ length: 100 }, () => make(42)); // a run of identical keys
  const result = await run([...one, ...same].join("\n"), [...two, make(42)].join("\n"), {
    identifier_format: "hex",
  });
  assert.equal(result.one, plainFlags([...one, ...same], [...two, make(42)]));
  assert.equal(result.two, plainFlags([...two, make(42)], [...one, ...same]));
});

test("the radix sort orders keys like a byte-wise comparison and returns the permutation", () => {
  const n = 20_000;
  const raw = randomBytes(n * 32);
  raw.copy(raw, 32 * 5, 0, 32 * 3); // a few duplicates and shared prefixes
  for (let i = 100; i < 200; i++) raw.fill(0xff, i * 32, i * 32 + 20);
  const keys = new Uint32Array(n * 8);
  for (let i = 0; i < n * 8; i++) keys[i] = raw.readUInt32BE(i * 4);
  const perm = sortKeysInPlace(keys, n);
  const expected = Array.from({ length: n }, (_, i) => raw.subarray(i * 32, i * 32 + 32)).sort(
    Buffer.compare,
  );
  for (let k = 0; k < n; k++) {
    const got = Buffer.alloc(32);
    for (let w = 0; w < 8; w++) got.writeUInt32BE(keys[k * 8 + w]!, w * 4);
    assert.ok(got.equals(expected[k]!), `position ${k}`);
    assert.ok(got.equals(raw.subarray(perm[k]! * 32, perm[k]! * 32 + 32)), `permutation at ${k}`);
  }
});

test("the merge marks nothing past the end of either list", () => {
  const key = (v: number) => Uint32Array.from([0, 0, 0, 0, 0, 0, 0, v]);
  const list = (...vs: number[]) => {
    const out = new Uint32Array(vs.length * 8);
    vs.forEach((v, i) => out.set(key(v), i * 8));
    return out;
  };
  for (const [a, b, expected] of [
    [
      [1, 2, 3],
      [4, 5],
      [0, 0, 0],
    ],
    [
      [4, 5],
      [1, 2, 3],
      [0, 0],
    ],
    [[3, 3, 9], [3], [1, 1, 0]],
    [[9], [1, 2, 9], [1]],
    [[0xffffffff], [0xffffffff], [1]],
  ] as const) {
    const marks = new Uint8Array(a.length);
    markCommon(list(...a), a.length, list(...b), b.length, marks);
    assert.deepEqual([...marks], expected, `${a} vs ${b}`);
  }
});

test("Teaclave's psi0.txt fixture: identifiers as hex lines, flags in input order", async () => {
  const psi0 = readFileSync(teaclaveFixture("functions/ordered_set_intersect/psi0.txt"), "utf8");
  const lines = psi0.trim().split("\n");
  assert.equal(lines.length, 7);
  const other = [lines[1]!, "00".repeat(32), lines[5]!, lines[3]!, "ab".repeat(32)].join("\n");
  const result = await run(psi0, other, { identifier_format: "hex" });
  assert.deepEqual(result, { summary: "3 common items", one: "0101010", two: "10110" });
});

test("result_format items returns each party's own common identifiers as written", async () => {
  const result = await run("alice\nbob\ncarol\r\ndave\n", "dave\ncarol\nzoe\n", { result_format: "items" });
  assert.equal(result.one, "carol\ndave\n");
  assert.equal(result.two, "dave\ncarol\n");
  const bin = await run(Buffer.concat([sha("x"), sha("y")]), sha("y"), {
    identifier_format: "binary",
    result_format: "items",
  });
  assert.equal(bin.one, `${sha("y").toString("hex")}\n`);
});

test("sorted inputs skip the sort and give the same result", async () => {
  const ids = Array.from({ length: 2000 }, () => randomBytes(32).toString("hex")).sort();
  const one = ids.filter((_, i) => i % 2 === 0);
  const two = ids.filter((_, i) => i % 3 === 0);
  const sorted = await run(one.join("\n"), two.join("\n"), { identifier_format: "hex", sorted: "true" });
  assert.deepEqual(sorted, await run(one.join("\n"), two.join("\n"), { identifier_format: "hex" }));
  assert.equal(sorted.one, plainFlags(one, two));
});

test("an unsorted input where sorted is declared is refused, naming the line", async () => {
  const ids = ["11", "22", "33", "25", "44"].map((b) => b.repeat(32));
  await refused(
    run(ids.join("\n"), ids.slice().sort().join("\n"), { identifier_format: "hex", sorted: true }),
    "INVALID_INPUT",
    /^input input_data1 line 4 is smaller than the one before it/,
  );
  const bin = Buffer.concat(ids.map((h) => Buffer.from(h, "hex")));
  await refused(
    run(Buffer.concat([sha("a")]), bin, { identifier_format: "binary", sorted: true }),
    "INVALID_INPUT",
    /^input input_data2 identifier 4 is smaller/,
  );
  await refused(
    run("a", "b", { sorted: true }),
    "INVALID_ARGUMENT",
    /sorted applies to identifier_format hex/,
  );
});

test("malformed identifiers are refused with the line, never with the content", async () => {
  const secret = "deadbeef".repeat(7) + "nothexxx";
  const good = "ab".repeat(32);
  const e = await refused(
    run(`${good}\n${secret}\n`, good, { identifier_format: "hex" }),
    "INVALID_INPUT",
    /^input input_data1 line 2 is not a 32-byte identifier/,
  );
  assert.ok(!e.message.includes("deadbeef"));
  await refused(
    run(good, `${good}\n${good}0\n`, { identifier_format: "hex" }),
    "INVALID_INPUT",
    /input_data2 line 2/,
  );
  await refused(
    run(Buffer.alloc(33), Buffer.alloc(32), { identifier_format: "binary" }),
    "INVALID_INPUT",
    /33 bytes, not a whole number/,
  );
  await refused(run("a\n\nb\n", "a"), "INVALID_INPUT", /^input input_data1 line 2 is blank$/);
  await refused(run("a", ""), "INVALID_INPUT", /^input input_data2 is empty$/);
});

test("limits, arguments and files are checked before any work", async () => {
  const small = createPsiFunction({ maxItems: 3, maxInputBytes: 1024 });
  const ctx = (one: string, args: Record<string, unknown> = {}, outputs = OUTPUTS) =>
    createMemoryContext({ args, inputs: { input_data1: one, input_data2: "x" }, outputs });
  await refused(
    small.run(ctx("a\nb\nc\nd")),
    "LIMIT_EXCEEDED",
    /input_data1 has 4 identifiers; the limit is 3/,
  );
  await refused(small.run(ctx("a".repeat(2000))), "LIMIT_EXCEEDED", /larger than 1024 bytes/);
  await refused(
    psi.run(ctx("a", { identifier_format: "base64" })),
    "INVALID_ARGUMENT",
    /identifier_format must be one of text, hex, binary/,
  );
  await refused(psi.run(ctx("a", { sort: true })), "INVALID_ARGUMENT", /unknown argument "sort"/);
  await refused(psi.run(ctx("a", {}, ["output_data1"])), "NO_SUCH_FILE", /needs output output_data2/);
});
