import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryContext } from "../memory-context.js";
import { orderedSetJoin } from "./ordered-set-join.js";
import { fixture, rejectsWith } from "./test-support.js";

// Teaclave's join fixtures split gbdt's train.txt into `id,f1,f2` and `id,f3,f4,label` (plus rows
// the other side lacks); joining them on id with drop=true gives train.txt back.
const train = fixture("functions/gbdt_training/train.txt").toString().trim().split("\n");
const id = (i: number) => `id${String(i).padStart(4, "0")}`;
const join0 = train.map((row, i) => `${id(i)},${row.split(",").slice(0, 2).join(",")}`);
const join1 = train.map((row, i) => `${id(i)},${row.split(",").slice(2).join(",")}`);
for (const extra of [5, 50, 77, 100, 130]) join1.push(`${id(extra)}x,9,9,9`);
join1.sort();

function run(args: Record<string, unknown>, a: string, b: string) {
  const ctx = createMemoryContext({
    args,
    inputs: { input_data1: a, input_data2: b },
    outputs: ["output_result"],
  });
  return { ctx, result: orderedSetJoin.run(ctx) };
}
const args = { left_column: 0, right_column: 0, ascending: true, drop: true };

test("builtin-ordered-set-join rebuilds train.txt from its two halves (120 records)", async () => {
  const { ctx, result } = run(args, join0.join("\n") + "\n", join1.join("\n") + "\n");
  assert.equal(await result, "120 records");
  assert.equal(ctx.output("output_result").toString().trim(), train.join("\n"));
});

test("builtin-ordered-set-join keeps the left join column when drop is false and joins descending input", async () => {
  const a = "c,1\nb,2\na,3\n";
  const b = "x,c,10\ny,a,30\n";
  const { ctx, result } = run({ left_column: 0, right_column: 1, ascending: false, drop: false }, a, b);
  assert.equal(await result, "2 records");
  assert.equal(ctx.output("output_result").toString(), "c,1,x,10\na,3,y,30\n");
});

test("builtin-ordered-set-join quotes fields that need it, as the csv crate does", async () => {
  const { ctx, result } = run(args, 'k,"a,b"\n', 'k,"say ""hi"""\n');
  assert.equal(await result, "1 records");
  assert.equal(ctx.output("output_result").toString(), '"a,b","say ""hi"""\n');
});

test("builtin-ordered-set-join refuses unsorted input, naming the line", async () => {
  await rejectsWith(
    run(args, "a,1\nc,2\nb,3\n", "a,1\n").result,
    "INVALID_INPUT",
    /input_data1 line 3: not sorted in ascending order/,
  );
});

test("builtin-ordered-set-join refuses empty inputs, bad columns, ragged rows and bad arguments", async () => {
  await rejectsWith(run(args, "", "a,1\n").result, "INVALID_INPUT", /input1 is empty/);
  await rejectsWith(run(args, "a,1\n", "\n").result, "INVALID_INPUT", /input2 is empty/);
  await rejectsWith(
    run({ ...args, left_column: 5 }, "a,1\n", "a,1\n").result,
    "INVALID_ARGUMENT",
    /invalid index/,
  );
  await rejectsWith(
    run(args, "a,1\nb,2,3\n", "a,1\n").result,
    "INVALID_INPUT",
    /input_data1 line 2: found record with 3 fields/,
  );
  await rejectsWith(
    run({ ...args, ascending: "yes" }, "a\n", "a\n").result,
    "INVALID_ARGUMENT",
    /"ascending" must be true or false/,
  );
  await rejectsWith(
    run({ ...args, left_column: -1 }, "a\n", "a\n").result,
    "INVALID_ARGUMENT",
    /"left_column" must be an integer/,
  );
});
