import { test } from "node:test";
import assert from "node:assert/strict";
import { createMemoryContext } from "../memory-context.js";
import { createKMeansFunction } from "./kmeans.js";
import { agreement, blobs, column, csv, python, refused, runFunction } from "./test-support.js";

const kmeans = createKMeansFunction();

const TRUE_CENTERS = [
  [0, 0],
  [10, 10],
  [-10, 10],
];

test("well-separated clusters are found exactly, with centers at the cluster means", async () => {
  const { rows, truth } = blobs(1, TRUE_CENTERS, 200, 1);
  const { summary, ctx } = await runFunction(kmeans, { k: 3, seed: 7 }, { training_data: csv(rows) }, [
    "result_file",
    "model_file",
  ]);
  assert.equal(summary, "Trained 600 lines of data. Predicted 600 lines of data.");
  const labels = column(ctx.output("result_file").toString());
  assert.equal(agreement(labels, truth), 1);
  const model = JSON.parse(ctx.output("model_file").toString()) as {
    centers: number[][];
    k: number;
    features: number;
  };
  assert.equal(model.k, 3);
  assert.equal(model.features, 2);
  for (const center of TRUE_CENTERS) {
    const found = model.centers.some((c) => Math.hypot(c[0]! - center[0]!, c[1]! - center[1]!) < 0.2);
    assert.ok(found, `a center near ${center}`);
  }
});

test("the same seed gives the same clustering; the model predicts new points", async () => {
  const { rows } = blobs(2, TRUE_CENTERS, 100, 3);
  const train = (seed: number) =>
    runFunction(kmeans, { k: 3, seed, mode: "train" }, { training_data: csv(rows) }, ["model_file"]);
  const a = (await train(5)).ctx.output("model_file").toString();
  const b = (await train(5)).ctx.output("model_file").toString();
  assert.equal(a, b);
  const model = JSON.parse(a) as { centers: number[][] };
  const predicted = await runFunction(
    kmeans,
    { mode: "predict" },
    { model_file: a, data_file: csv(TRUE_CENTERS) },
    ["result_file"],
  );
  assert.equal(predicted.summary, "Predicted 3 lines of data.");
  const labels = column(predicted.ctx.output("result_file").toString());
  TRUE_CENTERS.forEach((point, i) => {
    const nearest = model.centers
      .map((c) => (c[0]! - point[0]!) ** 2 + (c[1]! - point[1]!) ** 2)
      .reduce((best, d, c, all) => (d < all[best]! ? c : best), 0);
    assert.equal(labels[i], nearest);
  });
});

test("from the same initial centers, labels, inertia and iterations equal scikit-learn's", async () => {
  // Overlapping clusters in 4 dimensions, so that Lloyd needs many iterations.
  const centers = [
    [0, 0, 0, 0],
    [2, 2, 0, 1],
    [0, 3, 2, 0],
    [3, 0, 2, 2],
    [1, 1, 3, 3],
  ];
  const { rows } = blobs(3, centers, 400, 1.2);
  const init = rows.slice(0, 5);
  const { ctx } = await runFunction(
    kmeans,
    { initial_centers: JSON.stringify(init), max_iter: 300, tol: 1e-4 },
    { training_data: csv(rows) },
    ["result_file", "model_file"],
  );
  const ours = JSON.parse(ctx.output("model_file").toString()) as { inertia: number; iterations: number };
  const labels = column(ctx.output("result_file").toString());
  const sk = python(
    `import numpy as np
from sklearn.cluster import KMeans
X = np.array(data["X"]); init = np.array(data["init"])
m = KMeans(n_clusters=5, init=init, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(X)
print(json.dumps({"inertia": m.inertia_, "labels": m.labels_.tolist(), "iterations": int(m.n_iter_)}))`,
    { X: rows, init },
  ) as { inertia: number; labels: number[]; iterations: number };
  assert.ok(Math.abs(ours.inertia - sk.inertia) <= 1e-9 * sk.inertia, `${ours.inertia} vs ${sk.inertia}`);
  assert.deepEqual(labels, sk.labels);
  assert.equal(ours.iterations, sk.iterations);
  assert.ok(ours.iterations > 5);
});

test("k-means++ with the default 10 runs reaches scikit-learn's inertia within 1%", async () => {
  const centers = Array.from({ length: 8 }, (_, i) => [Math.cos(i) * 12, Math.sin(i) * 12, (i % 3) * 6]);
  const { rows } = blobs(4, centers, 150, 1.5);
  const { ctx } = await runFunction(kmeans, { k: 8, seed: 1 }, { training_data: csv(rows) }, [
    "result_file",
    "model_file",
  ]);
  const ours = (JSON.parse(ctx.output("model_file").toString()) as { inertia: number }).inertia;
  const sk = python(
    `from sklearn.cluster import KMeans
m = KMeans(n_clusters=8, n_init=10, random_state=0).fit(data)
print(json.dumps(m.inertia_))`,
    rows,
  ) as number;
  assert.ok(ours <= sk * 1.01, `inertia ${ours} vs scikit-learn ${sk}`);
});

test("bad data is refused with the input and line named", async () => {
  const train = (data: string, args: Record<string, unknown> = { k: 2 }) =>
    runFunction(kmeans, args, { training_data: data }, ["result_file"]);
  await refused(
    train("1,2\n3,4\n5\n"),
    "INVALID_INPUT",
    /^input training_data line 3: expected 2 fields like line 1, found 1$/,
  );
  await refused(
    train("1,2\n3,x\n"),
    "INVALID_INPUT",
    /^input training_data line 2 field 2 is not a decimal number$/,
  );
  await refused(train(""), "INVALID_INPUT", /^input training_data is empty$/);
  await refused(train("1,2\n"), "INVALID_ARGUMENT", /k is 2, more than the 1 rows of training_data/);
  await refused(
    train(`${"1,".repeat(1100)}1\n`),
    "LIMIT_EXCEEDED",
    /line 1 has 1101 fields; the limit is 1024 columns/,
  );
  await refused(
    train("1,2\n3,4\n", { initial_centers: [[1], [2]] }),
    "INVALID_ARGUMENT",
    /initial_centers has 1 columns, but training_data has 2 features/,
  );
  await refused(train("1,2\n", { k: 0 }), "INVALID_ARGUMENT", /argument k must be at least 1/);
  await refused(train("1,2\n", {}), "INVALID_ARGUMENT", /argument k is required/);
  await refused(
    train("1,2\n", { k: 1, mode: "fit" }),
    "INVALID_ARGUMENT",
    /mode must be one of train, predict, train-predict/,
  );
});

test("predicting with a model refuses data with another number of features, naming the line", async () => {
  const model = (
    await runFunction(kmeans, { k: 1, mode: "train" }, { training_data: "1,2\n3,4\n" }, ["model_file"])
  ).ctx.output("model_file");
  await refused(
    runFunction(kmeans, { mode: "predict" }, { model_file: model, data_file: "1,2,3\n" }, ["result_file"]),
    "INVALID_INPUT",
    /^input data_file line 1: expected 2 fields \(the model's 2 features\), found 3$/,
  );
  const tampered = JSON.parse(model.toString()) as { centers: unknown };
  tampered.centers = [[1, "2"]];
  await refused(
    runFunction(kmeans, { mode: "predict" }, { model_file: JSON.stringify(tampered), data_file: "1,2\n" }, [
      "result_file",
    ]),
    "INVALID_INPUT",
    /^input model_file: field centers\[0\] must be an array of 2 finite numbers$/,
  );
  await refused(
    runFunction(
      kmeans,
      { mode: "predict" },
      { model_file: '{"function":"builtin-svm","version":1}', data_file: "1\n" },
      ["result_file"],
    ),
    "INVALID_INPUT",
    /^input model_file is a builtin-svm model, not a builtin-kmeans model$/,
  );
});

test("a cancelled task stops with a FunctionError instead of running on", async () => {
  const controller = new AbortController();
  controller.abort();
  const ctx = createMemoryContext({
    args: { k: 2 },
    inputs: { training_data: csv(blobs(6, TRUE_CENTERS, 50, 1).rows) },
    outputs: ["result_file"],
    signal: controller.signal,
  });
  await refused(kmeans.run(ctx), "FAILED", /^the task was cancelled$/);
  assert.equal(ctx.output("result_file").length, 0);
});
