import { test } from "node:test";
import assert from "node:assert/strict";
import { SeededRandom } from "./common/random.js";
import { createGmmFunction } from "./gmm.js";
import { agreement, column, csv, python, refused, runFunction } from "./test-support.js";

const gmm = createGmmFunction();

/** Three elongated, rotated Gaussian clusters in 2-D (so that full covariances matter) with their truth. */
function mixture(seed: number, perCluster: number) {
  const random = new SeededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const components = [
    { mean: [0, 0], scale: [3, 0.5], angle: 0.5 },
    { mean: [8, 6], scale: [0.6, 2.5], angle: -0.3 },
    { mean: [-4, 9], scale: [1.5, 1.5], angle: 0 },
  ];
  const rows: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < perCluster; i++)
    components.forEach((c, label) => {
      const u = c.scale[0]! * normal();
      const v = c.scale[1]! * normal();
      rows.push([
        c.mean[0]! + u * Math.cos(c.angle) - v * Math.sin(c.angle),
        c.mean[1]! + u * Math.sin(c.angle) + v * Math.cos(c.angle),
      ]);
      truth.push(label);
    });
  return { rows, truth };
}

test("full and diagonal mixtures agree with scikit-learn's GaussianMixture on at least 99% of rows", async () => {
  const { rows, truth } = mixture(1, 400);
  const sk = python(
    `import numpy as np
from sklearn.mixture import GaussianMixture
X = np.array(data)
out = {}
for cov in ["full", "diag"]:
    m = GaussianMixture(n_components=3, covariance_type=cov, random_state=0).fit(X)
    out[cov] = {"labels": m.predict(X).tolist(), "score": m.score(X)}
print(json.dumps(out))`,
    rows,
  ) as Record<string, { labels: number[]; score: number }>;
  for (const covariance_type of ["full", "diag"] as const) {
    const { ctx } = await runFunction(gmm, { k: 3, covariance_type }, { training_data: csv(rows) }, [
      "result_file",
      "model_file",
    ]);
    const labels = column(ctx.output("result_file").toString());
    const model = JSON.parse(ctx.output("model_file").toString()) as {
      lower_bound: number;
      converged: boolean;
    };
    const theirs = sk[covariance_type]!;
    assert.ok(agreement(labels, theirs.labels) >= 0.99, `${covariance_type}: labels agree with scikit-learn`);
    assert.ok(model.converged);
    assert.ok(
      Math.abs(model.lower_bound - theirs.score) <= 0.01 * Math.abs(theirs.score),
      `${covariance_type}: log-likelihood ${model.lower_bound} vs ${theirs.score}`,
    );
    if (covariance_type === "full") assert.ok(agreement(labels, truth) >= 0.99);
  }
});

test("a saved model labels new rows like the fitted one, and the same seed repeats the fit", async () => {
  const { rows } = mixture(2, 100);
  const fresh = mixture(3, 50).rows;
  const train = () =>
    runFunction(gmm, { k: 3, seed: 4, mode: "train" }, { training_data: csv(rows) }, ["model_file"]);
  const model = (await train()).ctx.output("model_file");
  assert.equal(model.toString(), (await train()).ctx.output("model_file").toString());
  const viaModel = await runFunction(gmm, { mode: "predict" }, { model_file: model, data_file: csv(fresh) }, [
    "result_file",
  ]);
  const direct = await runFunction(
    gmm,
    { k: 3, seed: 4 },
    { training_data: csv(rows), data_file: csv(fresh) },
    ["result_file"],
  );
  assert.equal(viaModel.ctx.output("result_file").toString(), direct.ctx.output("result_file").toString());
});

test("bad models, arguments and degenerate data are refused", async () => {
  const { rows } = mixture(4, 30);
  const model = JSON.parse(
    (await runFunction(gmm, { k: 2, mode: "train" }, { training_data: csv(rows) }, ["model_file"])).ctx
      .output("model_file")
      .toString(),
  ) as { covariances: number[][][] };
  model.covariances[1] = [
    [1, 2],
    [2, 1],
  ];
  await refused(
    runFunction(gmm, { mode: "predict" }, { model_file: JSON.stringify(model), data_file: "1,2\n" }, [
      "result_file",
    ]),
    "INVALID_INPUT",
    /^input model_file: covariance 1 is not positive definite$/,
  );
  model.covariances[1] = [
    [1, 0.5],
    [0.4, 1],
  ];
  await refused(
    runFunction(gmm, { mode: "predict" }, { model_file: JSON.stringify(model), data_file: "1,2\n" }, [
      "result_file",
    ]),
    "INVALID_INPUT",
    /covariance 1 is not symmetric/,
  );
  await refused(
    runFunction(gmm, { k: 2, covariance_type: "tied" }, { training_data: csv(rows) }, ["result_file"]),
    "INVALID_ARGUMENT",
    /covariance_type must be one of full, diag/,
  );
  await refused(
    runFunction(gmm, { k: 2, reg_covar: 0 }, { training_data: "1,1\n1,1\n2,2\n2,2\n" }, ["result_file"]),
    "FAILED",
    /singular covariance.*increase reg_covar/,
  );
  const wide = csv([Array.from({ length: 300 }, (_, i) => i), Array.from({ length: 300 }, (_, i) => -i)]);
  await refused(
    runFunction(gmm, { k: 1 }, { training_data: wide }, ["result_file"]),
    "LIMIT_EXCEEDED",
    /covariance_type full is limited to 256 features; training_data has 300 \(use diag\)/,
  );
});
