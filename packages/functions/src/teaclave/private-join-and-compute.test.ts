import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryContext } from "../memory-context.js";
import { privateJoinAndCompute } from "./private-join-and-compute.js";
import { rejectsWith } from "./test-support.js";

// Three banks as in Teaclave's fixture: the common identities are c and e.
const banks = [
  "a : 10000\nc : 30000\ne : 5000000\nf : 200\ng : 2\n",
  "b : 200\nc : 40000\ne : 3000\nf : 1\n",
  "e : 30000\nc : 400000\nd : 600\nh : 9\n",
];
const outputs = ["output_data0", "output_data1", "output_data2"];

function run(numUser: unknown, inputs: string[]) {
  const ctx = createMemoryContext({
    args: { num_user: numUser },
    inputs: Object.fromEntries(inputs.map((d, i) => [`input_data${i}`, d])),
    outputs: inputs.map((_, i) => `output_data${i}`),
  });
  return { ctx, result: privateJoinAndCompute.run(ctx) };
}

test("builtin-private-join-and-compute sums the common identities and gives every party the same, sorted text", async () => {
  const { ctx, result } = run(3, banks);
  assert.equal(await result, "3 users join the task in total.");
  for (const name of outputs) assert.equal(ctx.output(name).toString(), "c, 470000\ne, 5033000\n");
});

test("builtin-private-join-and-compute accepts the platform's string default for num_user", async () => {
  const { result } = run("3", banks);
  assert.equal(await result, "3 users join the task in total.");
});

test("builtin-private-join-and-compute sums beyond u32 without overflow", async () => {
  const { ctx, result } = run(2, ["x : 4294967295\n", "x : 4294967295\n"]);
  await result;
  assert.equal(ctx.output("output_data0").toString(), "x, 8589934590\n");
});

test("builtin-private-join-and-compute refuses fewer than two parties", async () => {
  await rejectsWith(run(1, [banks[0] as string]).result, "INVALID_ARGUMENT", /at least two parties/);
});

test("builtin-private-join-and-compute refuses amounts that are not integers, naming the line", async () => {
  await rejectsWith(
    run(2, ["a : 1\nb : 2.5\n", "a : 1\n"]).result,
    "INVALID_INPUT",
    /input_data0 line 2: amount "2.5"/,
  );
  await rejectsWith(
    run(2, ["a : 1\n", "a : -3\n"]).result,
    "INVALID_INPUT",
    /input_data1 line 1: amount "-3"/,
  );
  await rejectsWith(
    run(2, ["a : 1\n", "a 1\n"]).result,
    "INVALID_INPUT",
    /input_data1 line 1: expected `identity : amount`/,
  );
  await rejectsWith(
    run(2, ["a : 1\na : 2\n", "a : 1\n"]).result,
    "INVALID_INPUT",
    /input_data0 line 2: identity repeats line 1/,
  );
});
