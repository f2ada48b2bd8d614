import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "./common/random.js";
import { createNaiveBayesFunction } from "./naive-bayes.js";
import { column, csv, python, refused, runFunction } from "./test-support.js";

const nb = createNaiveBayesFunction();

/** Three overlapping classes with labels -1, 2 and 7 and per-class means and spreads. */
function dataset(seed: number, n: number) {
  const random = new SeededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const classes = [
    { label: -1, mean: [5, 3.4, 1.5, 0.2], std: [0.35, 0.38, 0.17, 0.1] },
    { label: 2, mean: [5.9, 2.8, 4.3, 1.3], std: [0.5, 0.3, 0.47, 0.2] },
    { label: 7, mean: [6.6, 3, 5.5, 2], std: [0.63, 0.32, 0.55, 0.27] },
  ];
  return Array.from({ length: n }, (_, i) => {
    const c = classes[i % 3]!;
    return [...c.mean.map((m, j) => m + c.std[j]! * normal()), c.label];
  });
}

test("predictions equal scikit-learn's GaussianNB on every row", async () => {
  const training = dataset(1, 300);
  const testRows = dataset(2, 600).map((r) => r.slice(0, 4));
  const { summary, ctx } = await runFunction(
    nb,
    {},
    { training_data: csv(training), data_file: csv(testRows) },
    ["result_file", "model_file"],
  );
  assert.equal(summary, "Trained 300 lines of data. Predicted 600 lines of data.");
  const ours = column(ctx.output("result_file").toString());
  const sk = python(
    `import numpy as np
from sklearn.naive_bayes import GaussianNB
A = np.array(data["train"])
m = GaussianNB().fit(A[:, :-1], A[:, -1])
print(json.dumps({"predicted": m.predict(np.array(data["test"])).tolist(), "var": m.var_.tolist()}))`,
    { train: training, test: testRows },
  ) as { predicted: number[]; var: number[][] };
  assert.deepEqual(ours, sk.predicted);
  assert.ok(new Set(ours).size === 3 && ours.some((p, i) => p !== [-1, 2, 7][i % 3])); // overlapping: not trivial
  const model = JSON.parse(ctx.output("model_file").toString()) as {
    variances: number[][];
    classes: number[];
  };
  assert.deepEqual(model.classes, [-1, 2, 7]);
  model.variances.flat().forEach((v, i) => assert.ok(Math.abs(v - sk.var.flat()[i]!) <= 1e-12 * v));
});

test("a trained model predicts the same as train-predict", async () => {
  const training = dataset(3, 90);
  const rows = dataset(4, 30).map((r) => r.slice(0, 4));
  const model = (
    await runFunction(nb, { mode: "train" }, { training_data: csv(training) }, ["model_file"])
  ).ctx.output("model_file");
  const viaModel = await runFunction(nb, { mode: "predict" }, { model_file: model, data_file: csv(rows) }, [
    "result_file",
  ]);
  const direct = await runFunction(nb, {}, { training_data: csv(training), data_file: csv(rows) }, [
    "result_file",
  ]);
  assert.equal(viaModel.ctx.output("result_file").toString(), direct.ctx.output("result_file").toString());
});

test("bad input is refused: labels, feature counts, constant features, model fields", async () => {
  await refused(
    runFunction(nb, {}, { training_data: "1,2,a\n" }, ["result_file"]),
    "INVALID_INPUT",
    /^input training_data line 1 field 3 is not a decimal number$/,
  );
  await refused(
    runFunction(nb, {}, { training_data: "1,0\n1,1\n", data_file: "1\n" }, ["result_file"]),
    "INVALID_INPUT",
    /zero variance within a class/,
  );
  await refused(
    runFunction(nb, {}, { training_data: csv(dataset(5, 30)), data_file: "1,2,3\n" }, ["result_file"]),
    "INVALID_INPUT",
    /^input data_file line 1: expected 4 fields \(the model's 4 features\), found 3$/,
  );
  const model = JSON.parse(
    (await runFunction(nb, { mode: "train" }, { training_data: csv(dataset(6, 30)) }, ["model_file"])).ctx
      .output("model_file")
      .toString(),
  ) as { variances: number[][] };
  model.variances[0]![0] = -1;
  await refused(
    runFunction(nb, { mode: "predict" }, { model_file: JSON.stringify(model), data_file: "1,2,3,4\n" }, [
      "result_file",
    ]),
    "INVALID_INPUT",
    /^input model_file: field variances\[0\] must be an array of 4 finite numbers$/,
  );
  const many = Array.from({ length: 1001 }, (_, i) => [i % 7, i]);
  await refused(
    runFunction(nb, {}, { training_data: csv(many) }, ["result_file"]),
    "LIMIT_EXCEEDED",
    /1001 distinct labels/,
  );
});
