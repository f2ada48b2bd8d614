#!/usr/bin/env node
// builtin-kmeans against scikit-learn 1.2.1 (Debian's python3-sklearn) on the same data and the same
// initial centers, in the same run. Both must reach the same inertia and iteration count. The MesaTEE time
// is the whole function (CSV parsing, Lloyd iterations, writing labels); scikit-learn's is fit() alone, on
// both cores and on one (threadpoolctl). Needs the functions package built (npx tsc -b packages/functions).
//   node bench/functions-analytics-kmeans.js [rows] [features] [k] [runs]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createMemoryContext, findBuiltin } from "@mesatee/functions";

const [rows, features, k, runs] = [100_000, 8, 10, 5].map((d, i) => Number(process.argv[2 + i] ?? d));
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

// Overlapping Gaussian clusters from a fixed seed (mulberry32 + Box–Muller), so the work is reproducible.
let state = 12345;
const uniform = () => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
const means = Array.from({ length: k }, () => Array.from({ length: features }, () => uniform() * 10));
const lines = [];
for (let i = 0; i < rows; i++) lines.push(means[i % k].map((m) => (m + 2 * normal()).toFixed(6)).join(","));
const data = `${lines.join("\n")}\n`;
const init = lines.slice(0, k).map((l) => l.split(",").map(Number));

const dir = mkdtempSync(join(tmpdir(), "kmeans-bench-"));
try {
  const file = join(dir, "data.csv");
  writeFileSync(file, data);
  writeFileSync(join(dir, "init.json"), JSON.stringify(init));
  const script = `
import json, sys, time, numpy as np
from sklearn.cluster import KMeans
from threadpoolctl import threadpool_limits
X = np.loadtxt(sys.argv[1], delimiter=","); init = np.array(json.load(open(sys.argv[2])))
def run():
    times = []
    for _ in range(${runs}):
        t = time.perf_counter()
        m = KMeans(n_clusters=${k}, init=init, n_init=1, max_iter=300, tol=1e-4, algorithm="lloyd").fit(X)
        times.append((time.perf_counter() - t) * 1000)
    return sorted(times)[len(times) // 2], m
both, m = run()
with threadpool_limits(limits=1):
    one, _ = run()
print(json.dumps({"both": both, "one": one, "inertia": m.inertia_, "iterations": int(m.n_iter_)}))
`;
  const sk = JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script, file, join(dir, "init.json")]).toString(),
  );

  const kmeans = findBuiltin("builtin-kmeans");
  const times = [];
  let model;
  for (let r = 0; r < runs; r++) {
    const ctx = createMemoryContext({
      args: { initial_centers: init, max_iter: 300, tol: 1e-4 },
      inputs: { training_data: data },
      outputs: ["result_file", "model_file"],
    });
    const start = performance.now();
    await kmeans.run(ctx);
    times.push(performance.now() - start);
    model = JSON.parse(ctx.output("model_file").toString());
  }
  const ours = median(times);
  if (Math.abs(model.inertia - sk.inertia) > 1e-6 * sk.inertia || model.iterations !== sk.iterations)
    throw new Error(`results differ: ${model.inertia}/${model.iterations} vs ${sk.inertia}/${sk.iterations}`);
  console.log(
    `k-means ${rows} rows × ${features} features, k = ${k}, same initial centers, median of ${runs} runs`,
  );
  console.log(`  both: inertia ${sk.inertia.toFixed(3)} after ${sk.iterations} iterations`);
  console.log(`  scikit-learn fit (2 threads): ${sk.both.toFixed(0)} ms`);
  console.log(`  scikit-learn fit (1 thread):  ${sk.one.toFixed(0)} ms`);
  console.log(
    `  builtin-kmeans whole function: ${ours.toFixed(0)} ms  (ratio to scikit-learn 2 threads ${(ours / sk.both).toFixed(2)}, 1 thread ${(ours / sk.one).toFixed(2)})`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
