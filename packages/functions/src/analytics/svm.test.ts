import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "./common/random.js";
import { createSvmFunction } from "./svm.js";
import { blobs, column, csv, python, refused, runFunction } from "./test-support.js";

const svm = createSvmFunction();

/** Two classes split by the plane 2x − y + 0.5z = 1, with a share of labels flipped near the plane. */
function linear(seed: number, n: number, labels: [number, number]) {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    const x = [random.next() * 4 - 2, random.next() * 4 - 2, random.next() * 4 - 2];
    const margin = 2 * x[0]! - x[1]! + 0.5 * x[2]! - 1 + (random.next() - 0.5) * 0.8;
    return [...x, margin > 0 ? labels[1] : labels[0]];
  });
}

function accuracy(predicted: number[], rows: number[][]): number {
  return predicted.filter((p, i) => p === rows[i]![rows[i]!.length - 1]).length / rows.length;
}

const SKLEARN = `import numpy as np
from sklearn.svm import LinearSVC
A = np.array(data["train"]); T = np.array(data["test"])
out = {}
for loss in ["squared_hinge", "hinge"]:
    m = LinearSVC(loss=loss, max_iter=100000, random_state=0).fit(A[:, :-1], A[:, -1])
    out[loss] = m.score(T[:, :-1], T[:, -1])
print(json.dumps(out))`;

async function trainAndScore(training: number[][], testing: number[][], args: Record<string, unknown>) {
  const { ctx } = await runFunction(
    svm,
    args,
    { training_data: csv(training), data_file: csv(testing.map((r) => r.slice(0, -1))) },
    ["result_file"],
  );
  return accuracy(column(ctx.output("result_file").toString()), testing);
}

test("binary accuracy is within 1% of scikit-learn's LinearSVC, for both losses", async () => {
  const training = linear(1, 2000, [-1, 1]);
  const testing = linear(2, 2000, [-1, 1]);
  const sk = python(SKLEARN, { train: training, test: testing }) as Record<string, number>;
  for (const loss of ["squared_hinge", "hinge"]) {
    const ours = await trainAndScore(training, testing, { loss });
    assert.ok(Math.abs(ours - sk[loss]!) <= 0.01, `${loss}: ${ours} vs scikit-learn ${sk[loss]}`);
    assert.ok(ours > 0.85, `${loss}: accuracy ${ours}`);
  }
});

test("several classes are learned one-vs-rest, within 1% of scikit-learn", async () => {
  const centers = [
    [0, 0],
    [4, 0],
    [0, 4],
    [4, 4],
  ];
  const make = (seed: number) => {
    const { rows, truth } = blobs(seed, centers, 250, 1.1);
    return rows.map((r, i) => [...r, [3, 5, 8, 13][truth[i]!]!]);
  };
  const training = make(3);
  const testing = make(4);
  const sk = python(SKLEARN, { train: training, test: testing }) as Record<string, number>;
  const ours = await trainAndScore(training, testing, {});
  assert.ok(Math.abs(ours - sk["squared_hinge"]!) <= 0.01, `${ours} vs scikit-learn ${sk["squared_hinge"]}`);
  assert.ok(ours > 0.8);
});

test("noise-free linear data is classified at least 99% right through a saved model", async () => {
  const rows = linear(5, 300, [0, 1]).map((r) => [
    r[0]!,
    r[1]!,
    r[2]!,
    2 * r[0]! - r[1]! + 0.5 * r[2]! > 1 ? 1 : 0,
  ]);
  const { ctx } = await runFunction(svm, { mode: "train", c: 100 }, { training_data: csv(rows) }, [
    "model_file",
  ]);
  const model = ctx.output("model_file");
  const parsed = JSON.parse(model.toString()) as {
    classes: number[];
    weights: number[][];
    intercepts: number[];
  };
  assert.deepEqual(parsed.classes, [0, 1]);
  assert.equal(parsed.weights.length, 1);
  const predicted = await runFunction(
    svm,
    { mode: "predict" },
    { model_file: model, data_file: csv(rows.map((r) => r.slice(0, 3))) },
    ["result_file"],
  );
  assert.ok(accuracy(column(predicted.ctx.output("result_file").toString()), rows) >= 0.99);
});

test("one label only, bad arguments and mismatched models are refused", async () => {
  await refused(
    runFunction(svm, {}, { training_data: "1,2,1\n3,4,1\n" }, ["result_file"]),
    "INVALID_INPUT",
    /has a single label; an SVM needs two or more/,
  );
  await refused(
    runFunction(svm, { c: 0 }, { training_data: "1,0\n" }, ["result_file"]),
    "INVALID_ARGUMENT",
    /argument c must be greater than 0/,
  );
  await refused(
    runFunction(svm, { loss: "log" }, { training_data: "1,0\n" }, ["result_file"]),
    "INVALID_ARGUMENT",
    /loss must be one of squared_hinge, hinge/,
  );
  const model = JSON.stringify({
    function: "builtin-svm",
    version: 1,
    features: 2,
    c: 1,
    loss: "hinge",
    classes: [0, 1],
    weights: [
      [1, 2],
      [3, 4],
    ],
    intercepts: [0],
  });
  await refused(
    runFunction(svm, { mode: "predict" }, { model_file: model, data_file: "1,2\n" }, ["result_file"]),
    "INVALID_INPUT",
    /field weights must be an array of 1 rows/,
  );
});
