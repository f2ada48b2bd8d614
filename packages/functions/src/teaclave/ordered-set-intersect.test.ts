import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createMemoryContext } from "../memory-context.js";
import { orderedSetIntersect } from "./ordered-set-intersect.js";
import { fixture, rejectsWith } from "./test-support.js";

const psi0 = fixture("functions/ordered_set_intersect/psi0.txt").toString();
const psi0Lines = psi0.trim().split("\n");
// The second party shares psi0's 2nd, 4th and 6th items and holds two of its own, placed so that
// Teaclave's expectations (0101010 / 01101) hold.
function psi1(): string {
  const own = ["mesatee-a", "mesatee-b"].map((s) => createHash("sha256").update(s).digest("hex"));
  const items = [psi0Lines[1], psi0Lines[3], psi0Lines[5], ...own].map((s) => s as string).sort();
  return items.join("\n") + "\n";
}

function run(order: string, a: string, b: string) {
  const ctx = createMemoryContext({
    args: { order },
    inputs: { input_data1: a, input_data2: b },
    outputs: ["output_result1", "output_result2"],
  });
  return { ctx, result: orderedSetIntersect.run(ctx) };
}

test("builtin-ordered-set-intersect marks each party's common items (Teaclave's psi fixture)", async () => {
  const second = psi1();
  const { ctx, result } = run("ascending", psi0, second);
  assert.equal(await result, "3 common items");
  assert.equal(ctx.output("output_result1").toString(), "0101010");
  const marks = second
    .trim()
    .split("\n")
    .map((l) => (psi0Lines.includes(l) ? "1" : "0"))
    .join("");
  assert.equal(ctx.output("output_result2").toString(), marks);
  assert.equal(marks.length, 5);
});

test("builtin-ordered-set-intersect accepts descending order under Teaclave's spelling and the correct one", async () => {
  const a = ["01", "03", "05", "07"].reverse().join("\n");
  const b = ["03", "04", "07"].reverse().join("\n");
  for (const order of ["desending", "descending"]) {
    const { ctx, result } = run(order, a, b);
    assert.equal(await result, "2 common items");
    assert.equal(ctx.output("output_result1").toString(), "1010");
    assert.equal(ctx.output("output_result2").toString(), "101");
  }
});

test("builtin-ordered-set-intersect refuses an unsorted set, naming the line", async () => {
  await rejectsWith(
    run("ascending", "01\n03\n02\n", "01\n").result,
    "INVALID_INPUT",
    /input_data1 line 3: Invalid ordering/,
  );
  await rejectsWith(
    run("descending", "03\n", "01\n02\n").result,
    "INVALID_INPUT",
    /input_data2 line 2: Invalid ordering/,
  );
});

test("builtin-ordered-set-intersect refuses an unknown order and lines that are not hex", async () => {
  await rejectsWith(run("random", "01\n", "01\n").result, "INVALID_ARGUMENT", /Invalid order/);
  await rejectsWith(
    run("ascending", "01\nzz\n", "01\n").result,
    "INVALID_INPUT",
    /input_data1 line 2: not a hex string/,
  );
  await rejectsWith(run("ascending", "012\n", "01\n").result, "INVALID_INPUT", /line 1: not a hex string/);
});
