import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "./common/random.js";
import { createLinearRegressionFunction } from "./linear-regression.js";
import { column, csv, python, refused, runFunction } from "./test-support.js";

const regression = createLinearRegressionFunction();

interface Model {
  intercept: number;
  coefficients: number[];
  alpha: number;
  features: number;
}

function dataset(seed: number, n: number, noise: number) {
  const random = new SeededRandom(seed);
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const x = [random.next() * 10, random.next() * 5 - 2, random.next() * 100];
    rows.push([...x, 3 + 2 * x[0]! - 0.5 * x[1]! + 0.25 * x[2]! + noise * (random.next() - 0.5)]);
  }
  return rows;
}

async function train(rows: number[][], args: Record<string, unknown> = {}) {
  const { ctx } = await runFunction(regression, { mode: "train", ...args }, { training_data: csv(rows) }, [
    "model_file",
  ]);
  return JSON.parse(ctx.output("model_file").toString()) as Model;
}

test("an exact linear relation is recovered to rounding error, and predicted exactly", async () => {
  const rows = dataset(1, 50, 0);
  const model = await train(rows);
  assert.equal(model.features, 3);
  [2, -0.5, 0.25].forEach((c, j) =>
    assert.ok(Math.abs(model.coefficients[j]! - c) < 1e-12, `coefficient ${j}`),
  );
  assert.ok(Math.abs(model.intercept - 3) < 1e-10);
  const { summary, ctx } = await runFunction(
    regression,
    { mode: "predict" },
    { model_file: JSON.stringify(model), data_file: "1,1,4\n0,0,0\n" },
    ["result_file"],
  );
  assert.equal(summary, "Predicted 2 lines of data.");
  const predicted = column(ctx.output("result_file").toString());
  assert.ok(Math.abs(predicted[0]! - 5.5) < 1e-10 && Math.abs(predicted[1]! - 3) < 1e-10);
});

test("ordinary least squares and ridge coefficients equal scikit-learn's", async () => {
  const rows = dataset(2, 400, 5);
  const sk = python(
    `import numpy as np
from sklearn.linear_model import LinearRegression, Ridge
A = np.array(data); X, y = A[:, :-1], A[:, -1]
out = {}
for name, m in [("ols", LinearRegression()), ("ridge", Ridge(alpha=250.0)), ("origin", LinearRegression(fit_intercept=False))]:
    m.fit(X, y); out[name] = {"intercept": float(m.intercept_), "coefficients": m.coef_.tolist()}
print(json.dumps(out))`,
    rows,
  ) as Record<string, { intercept: number; coefficients: number[] }>;
  for (const [name, args] of [
    ["ols", {}],
    ["ridge", { alpha: "250" }],
    ["origin", { fit_intercept: "false" }],
  ] as const) {
    const ours = await train(rows, args);
    const theirs = sk[name]!;
    assert.ok(
      Math.abs(ours.intercept - theirs.intercept) <= 1e-9 * Math.max(1, Math.abs(theirs.intercept)),
      name,
    );
    ours.coefficients.forEach((c, j) =>
      assert.ok(
        Math.abs(c - theirs.coefficients[j]!) <= 1e-9 * Math.max(1, Math.abs(c)),
        `${name} coefficient ${j}`,
      ),
    );
  }
});

test("train-predict without data_file predicts the training rows", async () => {
  const rows = dataset(3, 20, 0);
  const { summary, ctx } = await runFunction(regression, {}, { training_data: csv(rows) }, ["result_file"]);
  assert.equal(summary, "Trained 20 lines of data. Predicted 20 lines of data.");
  column(ctx.output("result_file").toString()).forEach((v, i) =>
    assert.ok(Math.abs(v - rows[i]![3]!) < 1e-9),
  );
});

test("linearly dependent features are refused unless ridge makes the problem well-posed", async () => {
  const rows = dataset(4, 30, 1).map((r) => [r[0]!, 2 * r[0]! + 1, r[3]!]);
  await refused(
    train(rows),
    "INVALID_INPUT",
    /the 2 features are linearly dependent once centered.*set alpha > 0/,
  );
  const ridge = await train(rows, { alpha: 1 });
  assert.ok(ridge.coefficients.every(Number.isFinite));
  await refused(train([[1, 2, 3]]), "INVALID_INPUT", /linearly dependent/);
});

test("bad training data and arguments are refused with their names", async () => {
  await refused(train([[1]]), "INVALID_INPUT", /expected at least one feature column and a label column/);
  await refused(
    runFunction(regression, {}, { training_data: "1,2,3\n4,5\n" }, ["result_file"]),
    "INVALID_INPUT",
    /^input training_data line 2: expected 3 fields like line 1, found 2$/,
  );
  await refused(
    train(dataset(5, 10, 1), { alpha: -1 }),
    "INVALID_ARGUMENT",
    /argument alpha must be at least 0/,
  );
  await refused(
    train(dataset(5, 10, 1), { fit_intercept: "yes" }),
    "INVALID_ARGUMENT",
    /fit_intercept must be true or false/,
  );
  await refused(
    runFunction(regression, { mode: "train" }, { training_data: "1,2\n3,4\n", data_file: "1\n" }, [
      "model_file",
    ]),
    "INVALID_ARGUMENT",
    /mode train does not use input data_file/,
  );
});
