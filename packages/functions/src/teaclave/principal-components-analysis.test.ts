import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createMemoryContext } from "../memory-context.js";
import { principalComponentsAnalysis } from "./principal-components-analysis.js";
import { fixture, rejectsWith } from "./test-support.js";

// Teaclave's PCA fixture is iris-like (features + class label); gbdt's train.txt is the same shape.
const iris = fixture("functions/gbdt_training/train.txt").toString();

async function run(args: Record<string, unknown>, data: string) {
  const ctx = createMemoryContext({ args, inputs: { input_data: data }, outputs: ["output_data"] });
  const summary = await principalComponentsAnalysis.run(ctx);
  return { summary, text: ctx.output("output_data").toString() };
}

function sklearn(data: string, n: number, center: boolean): number[][] {
  const script = `
import sys, json, numpy as np
from sklearn.decomposition import PCA
d = np.loadtxt(sys.argv[1].splitlines(), delimiter=",")[:, :-1]
n = int(sys.argv[2])
if sys.argv[3] == "1":
    out = PCA(n_components=n, svd_solver="full").fit_transform(d)
else:
    u, s, vt = np.linalg.svd(d, full_matrices=False)
    out = d @ vt[:n].T
    for k in range(n):
        if out[np.argmax(np.abs(out[:, k])), k] < 0: out[:, k] = -out[:, k]
print(json.dumps(out.tolist()))
`;
  return JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script, data, String(n), center ? "1" : "0"]).toString(),
  );
}

function parse(text: string): number[][] {
  return text
    .trim()
    .split("\n")
    .map((l) => l.split(",").map(Number));
}

test("builtin_principal_components_analysis transforms 120 iris rows to 2 columns and says so", async () => {
  const { summary, text } = await run({ n: 2, feature_size: 4, center: true }, iris);
  assert.equal(summary, "transform 120 rows * 2 cols lines of data.");
  assert.ok(text.endsWith("\n"));
  assert.match(text.split("\n")[0] as string, /^-?\d+\.\d+(e-?\d+)?,-?\d+\.\d+(e-?\d+)?$/);
});

test("the projection equals scikit-learn's PCA (centred) and the plain SVD projection (not centred)", async () => {
  for (const center of [true, false]) {
    const { text } = await run({ n: 3, feature_size: 4, center }, iris);
    const ours = parse(text);
    const theirs = sklearn(iris, 3, center);
    let worst = 0;
    ours.forEach((row, i) => row.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - theirs[i]![k]!)))));
    assert.ok(worst < 1e-9, `center=${center}: largest difference ${worst}`);
  }
});

test("values are printed with Rust's {:?}: integral values keep .0", async () => {
  // Centred, the points lie on the first axis at ±2 and 0, so the projections are exact.
  const { text } = await run({ n: 1, feature_size: 2, center: true }, "2,5,0\n-2,5,0\n0,5,0\n");
  assert.deepEqual(
    text
      .trim()
      .split("\n")
      .map((v) => v.replace(/^-0\.0$/, "0.0")),
    ["2.0", "-2.0", "0.0"],
  );
});

test("PCA refuses n above feature_size, ragged rows and feature counts above its limit", async () => {
  await rejectsWith(
    run({ n: 5, feature_size: 4, center: true }, iris),
    "INVALID_ARGUMENT",
    /n \(5\) must not exceed feature_size \(4\)/,
  );
  await rejectsWith(
    run({ n: 1, feature_size: 2, center: true }, "1,2,0\n1,2\n"),
    "INVALID_INPUT",
    /input_data line 2: column len = 2, expected = 3/,
  );
  await rejectsWith(
    run({ n: 1, feature_size: 5000, center: true }, "1\n"),
    "INVALID_ARGUMENT",
    /feature_size/,
  );
  await rejectsWith(run({ n: 1, feature_size: 2, center: "maybe" }, "1,2,0\n"), "INVALID_ARGUMENT", /center/);
  const wide = (Array(1001).fill("0").join(",") + "\n").repeat(2100);
  await rejectsWith(
    run({ n: 1, feature_size: 1000, center: true }, wide),
    "LIMIT_EXCEEDED",
    /SVD work limit/,
  );
});
