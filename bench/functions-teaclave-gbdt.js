#!/usr/bin/env node
// Benchmark of the Teaclave ML built-ins against the reference libraries, measured in the same run:
//   GBDT training (gbdt-rs algorithm: exact pre-sorted split finding, and the histogram fast path)
//   and prediction vs xgboost 1.7 (hist on all cores and on one, exact), same depth, rounds and
//   learning rate, on 100 000 rows × 20 features;
//   logistic regression (full-batch gradient descent) vs scikit-learn and vs the same GD in numpy.
// Run after building the package: npx tsc -b packages/functions && node bench/functions-teaclave-gbdt.js
// Options: --rows N --features N --rounds N --depth N --runs N (best of N runs for each timing;
// the machine is shared, so the best run is the least disturbed one).
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { defaultTrainingThreads, trainGbdt } from "../packages/functions/dist/teaclave/gbdt/train.js";
import { trainGbdtHistogram } from "../packages/functions/dist/teaclave/gbdt/hist.js";
import { rawScores } from "../packages/functions/dist/teaclave/gbdt/model.js";
import { trainLogisticRegression } from "../packages/functions/dist/teaclave/logistic-regression.js";

const opt = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const rows = opt("rows", 100_000);
const features = opt("features", 20);
const rounds = opt("rounds", 100);
const depth = opt("depth", 6);
const runs = opt("runs", 3);
const eta = 0.1;
const lrIters = 100;

// Deterministic data: a smooth target of five features plus noise; the other features are noise.
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const rowMajor = new Float32Array(rows * features);
const colMajor = new Float32Array(rows * features);
const label = new Float32Array(rows);
for (let i = 0; i < rows; i++) {
  let t = 0;
  for (let j = 0; j < features; j++) {
    const v = Math.fround(rnd() * 10);
    rowMajor[i * features + j] = v;
    colMajor[j * rows + i] = v;
    if (j < 5) t += v * (j + 1);
  }
  label[i] = Math.fround(t / 15 + Math.sin(rowMajor[i * features + 5]) + rnd());
}
const dir = mkdtempSync(join(tmpdir(), "mesatee-bench-"));
writeFileSync(join(dir, "x.f32"), Buffer.from(rowMajor.buffer));
writeFileSync(join(dir, "y.f32"), Buffer.from(label.buffer));

const rmse = (pred) => Math.sqrt(pred.reduce((s, p, i) => s + (p - label[i]) ** 2, 0) / rows);

// --- ours ---------------------------------------------------------------------------------------
const conf = {
  feature_size: features,
  max_depth: depth,
  iterations: rounds,
  shrinkage: Math.fround(eta),
  feature_sample_ratio: 1,
  data_sample_ratio: 1,
  min_leaf_size: 1,
  loss: "SquaredError",
  debug: false,
  initial_guess_enabled: false,
  training_optimization_level: 2,
};
// The function's default (helpers only from 4 cores up) and, for comparison, two threads.
const threads = defaultTrainingThreads();
const otherThreads = threads === 1 ? 2 : 1;
async function best(fn) {
  let min = Infinity;
  let value;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    value = await fn();
    min = Math.min(min, (performance.now() - t0) / 1000);
  }
  return [min, value];
}
const [oursTrain, model] = await best(() =>
  trainGbdt(conf, { rows, features, x: colMajor, y: label }, { threads }),
);
const [oursTrainOther] = await best(() =>
  trainGbdt(conf, { rows, features, x: colMajor, y: label }, { threads: otherThreads }),
);
const [oursHist, histModel] = await best(() =>
  trainGbdtHistogram(conf, { rows, features, x: colMajor, y: label }),
);
const histRmse = rmse(rawScores(histModel, rowMajor, rows, features));
const [oursPredict, pred] = await best(() => rawScores(model, rowMajor, rows, features));
const oursRmse = rmse(pred);

const yAsLabel = Float64Array.from(label, (v) => (v > 6 ? 1 : 0));
const x64 = new Float64Array(rows * (features + 1));
for (let i = 0; i < rows; i++) {
  x64[i * (features + 1)] = 1;
  for (let j = 0; j < features; j++) x64[i * (features + 1) + 1 + j] = rowMajor[i * features + j] / 10;
}
const [oursLr] = await best(() => trainLogisticRegression(x64, yAsLabel, rows, features + 1, 0.3, lrIters));

// --- references ---------------------------------------------------------------------------------
const script = `
import json, sys, time, numpy as np, xgboost as xgb
from sklearn.linear_model import LogisticRegression
rows, features, rounds, depth, eta, iters, runs = map(float, sys.argv[2:9]); rows, features, rounds, depth, iters, runs = int(rows), int(features), int(rounds), int(depth), int(iters), int(runs)
def best(fn, n):
    t_min, value = float("inf"), None
    for _ in range(n):
        t = time.perf_counter(); value = fn(); t_min = min(t_min, time.perf_counter() - t)
    return t_min, value
x = np.fromfile(sys.argv[1] + "/x.f32", dtype=np.float32).reshape(rows, features)
y = np.fromfile(sys.argv[1] + "/y.f32", dtype=np.float32)
out = {}
for method in ("hist", "exact"):
    # exact greedy is slow; one run of it is enough as a second reference
    n = runs if method == "hist" else 1
    # A fresh DMatrix per run, so that hist's quantisation (like our pre-sort) is timed every run.
    train_sets = [xgb.DMatrix(x, label=y, nthread=-1) for _ in range(n)]
    out[method + "_train"], b = best(lambda: xgb.train({"max_depth": depth, "eta": eta, "tree_method": method, "objective": "reg:squarederror", "nthread": -1}, train_sets.pop(), num_boost_round=rounds), n)
    # A fresh DMatrix per run: predicting on the training DMatrix would return xgboost's cached
    # training predictions instead of walking the trees.
    fresh = [xgb.DMatrix(x, nthread=-1) for _ in range(runs)]
    out[method + "_predict"], p = best(lambda: b.predict(fresh.pop()), runs)
    out[method + "_rmse"] = float(np.sqrt(np.mean((p - y) ** 2)))
# hist on one thread: the like-for-like reference for our single-threaded training
one = [xgb.DMatrix(x, label=y, nthread=1) for _ in range(runs)]
out["hist1_train"], _ = best(lambda: xgb.train({"max_depth": depth, "eta": eta, "tree_method": "hist", "objective": "reg:squarederror", "nthread": 1}, one.pop(), num_boost_round=rounds), runs)
yl = (y > 6).astype(np.float64)
X = np.hstack([np.ones((rows, 1)), x.astype(np.float64) / 10])
out["sklearn_lr"], _ = best(lambda: LogisticRegression(max_iter=iters, tol=0, C=1e12).fit(X[:, 1:], yl), runs)
def gd():
    w = np.full(features + 1, 0.5)
    for _ in range(iters):
        o = 1.0 / (1.0 + np.exp(-(X @ w)))
        w = w - (X.T @ (o - yl)) / rows * 0.3
    return w
out["numpy_gd"], _ = best(gd, runs)
print(json.dumps(out))
`;
const ref = JSON.parse(
  execFileSync(
    "/usr/bin/python3",
    ["-c", script, dir, rows, features, rounds, depth, eta, lrIters, runs].map(String),
  ).toString(),
);
rmSync(dir, { recursive: true, force: true });

const f = (s) => `${s.toFixed(3)} s`;
const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
console.log(
  `GBDT ${rows} rows × ${features} features, ${rounds} rounds, depth ${depth}, learning rate ${eta}, SquaredError; best of ${runs}; node ${process.version}, ${availableParallelism()} cores`,
);
console.log(
  `  train, exact split finding (the default)  ours ${f(oursTrain)} (${threads} thread(s), the default; ${f(oursTrainOther)} with ${otherThreads}) | xgboost hist ${f(ref.hist_train)} (ratio ${ratio(oursTrain, ref.hist_train)}) | xgboost exact ${f(ref.exact_train)} (ratio ${ratio(oursTrain, ref.exact_train)})`,
);
console.log(
  `  train, histogram split finding (split_finding: "histogram", 1 thread)  ours ${f(oursHist)} | xgboost hist ${f(ref.hist_train)} (ratio ${ratio(oursHist, ref.hist_train)}) | xgboost hist on 1 thread ${f(ref.hist1_train)} (ratio ${ratio(oursHist, ref.hist1_train)})`,
);
console.log(
  `  predict  ours ${f(oursPredict)} | xgboost hist ${f(ref.hist_predict)} (ratio ${ratio(oursPredict, ref.hist_predict)}) | xgboost exact ${f(ref.exact_predict)} (ratio ${ratio(oursPredict, ref.exact_predict)})`,
);
console.log(
  `  training RMSE  ours exact ${oursRmse.toFixed(4)} | ours histogram ${histRmse.toFixed(4)} | xgboost hist ${ref.hist_rmse.toFixed(4)} | xgboost exact ${ref.exact_rmse.toFixed(4)}`,
);
console.log(`Logistic regression ${rows} rows × ${features} features, ${lrIters} iterations`);
console.log(
  `  ours (full-batch GD) ${f(oursLr)} | numpy same GD ${f(ref.numpy_gd)} (ratio ${ratio(oursLr, ref.numpy_gd)}) | scikit-learn lbfgs ${f(ref.sklearn_lr)} (ratio ${ratio(oursLr, ref.sklearn_lr)})`,
);
