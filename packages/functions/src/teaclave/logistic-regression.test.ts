import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createMemoryContext } from "../memory-context.js";
import { logisticRegressionPredict, logisticRegressionTrain } from "./logistic-regression.js";
import { fixture, rejectsWith } from "./test-support.js";

const trainTxt = fixture("functions/py_logistic_reg/train.txt").toString();

async function train(args: Record<string, unknown>, data: string) {
  const ctx = createMemoryContext({ args, inputs: { training_data: data }, outputs: ["model_file"] });
  const summary = await logisticRegressionTrain.run(ctx);
  return { summary, model: ctx.output("model_file").toString() };
}

async function predict(model: string, data: string) {
  const ctx = createMemoryContext({
    inputs: { model_file: model, data_file: data },
    outputs: ["result_file"],
  });
  const summary = await logisticRegressionPredict.run(ctx);
  return { summary, lines: ctx.output("result_file").toString().split("\n").slice(0, -1) };
}

const args = { alg_alpha: "0.3", alg_iters: "100", feature_size: "30" };

test("builtin-logistic-regression-train on Teaclave's 100-line train.txt writes {alpha, iters, parameters}", async () => {
  const { summary, model } = await train(args, trainTxt);
  assert.equal(summary, "Trained 100 lines of data.");
  assert.match(model, /^\{"alpha":0\.3,"iters":100,"parameters":\[-?\d/);
  assert.equal(JSON.parse(model).parameters.length, 31);
});

test("the parameters equal full-batch gradient descent replicated in numpy (intercept first, start 0.5)", async () => {
  const { model } = await train(args, trainTxt);
  const ours = JSON.parse(model).parameters as number[];
  const script = `
import sys, json, numpy as np
d = np.loadtxt(sys.argv[1].splitlines(), delimiter=",")
X = np.hstack([np.ones((d.shape[0], 1)), d[:, :30]]); y = d[:, 30]
w = np.full(31, 0.5)
for _ in range(100):
    out = 1.0 / (1.0 + np.exp(-(X @ w)))
    w = w - (X.T @ (out - y)) / X.shape[0] * 0.3
print(json.dumps(w.tolist()))
`;
  const theirs = JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script, trainTxt]).toString(),
  ) as number[];
  const worst = Math.max(
    ...ours.map((p, i) => Math.abs(p - (theirs[i] as number)) / Math.max(1, Math.abs(theirs[i] as number))),
  );
  // Only the summation order of the dot products differs (rulinalg's unrolled sum vs BLAS).
  assert.ok(worst < 1e-12, `largest relative difference ${worst}`);
});

test("builtin-logistic-regression-predict prints sigmoid probabilities with {:.4}", async () => {
  const model = '{"alpha":0.3,"iters":100,"parameters":[0.5,1.0,-2.0]}';
  const { summary, lines } = await predict(model, "0,0\n1,0\n0,1\n100,0\n");
  assert.equal(summary, "Predicted 4 lines of data.");
  // sigmoid(0.5) = 0.62245…, sigmoid(1.5) = 0.81757…, sigmoid(-1.5) = 0.18242…
  assert.deepEqual(lines, ["0.6225", "0.8176", "0.1824", "1.0000"]);
});

test("predict also reads rusty-machine's own serde layout of the model", async () => {
  const nested = '{"base":{"parameters":{"size":3,"data":[0.5,1.0,-2.0]}},"alg":{"alpha":0.3,"iters":100}}';
  const { lines } = await predict(nested, "0,0\n1,0\n");
  assert.deepEqual(lines, ["0.6225", "0.8176"]);
});

test("a trained model predicts its own training labels well", async () => {
  const { model } = await train({ ...args, alg_iters: 300 }, trainTxt);
  const rows = trainTxt.trim().split("\n");
  const { lines } = await predict(model, rows.map((r) => r.split(",").slice(0, 30).join(",")).join("\n"));
  const right = lines.filter((p, i) => (Number(p) > 0.5 ? 1 : 0) === Number(rows[i]!.split(",")[30])).length;
  assert.ok(right >= 90, `${right} of 100 right`);
});

test("logistic regression refuses ragged rows, wrong feature counts, bad labels and bad models", async () => {
  await rejectsWith(
    train({ ...args, feature_size: 2 }, "1,2,1\n1,2\n"),
    "INVALID_INPUT",
    /training_data line 2: column len = 2, expected = 3/,
  );
  await rejectsWith(
    train({ ...args, feature_size: 2 }, "1,2,7\n"),
    "INVALID_INPUT",
    /line 1: label 7 is not in \[0, 1\]/,
  );
  await rejectsWith(train({ ...args, feature_size: 2 }, ""), "INVALID_INPUT", /training_data is empty/);
  await rejectsWith(train({ ...args, feature_size: 1_000_000 }, "1\n"), "INVALID_ARGUMENT", /feature_size/);
  await rejectsWith(
    predict('{"alpha":0.3,"iters":1,"parameters":[1,2]}', "1,2\n"),
    "INVALID_INPUT",
    /data_file line 1: column len = 2, expected = 1/,
  );
  await rejectsWith(
    predict('{"alpha":0.3,"iters":1,"parameters":["a"]}', "1\n"),
    "INVALID_INPUT",
    /every parameter must be a finite number/,
  );
  await rejectsWith(predict("[]", "1\n"), "INVALID_INPUT", /must be a JSON object/);
});
