import { test } from "node:test";
import assert from "node:assert/strict";
import { loadBuiltin } from "../registry.js";

test("every MesaTEE analytics function is in the catalogue under its builtin- name", async () => {
  for (const name of [
    "builtin-psi",
    "builtin-kmeans",
    "builtin-linear-regression",
    "builtin-svm",
    "builtin-naive-bayes",
    "builtin-dbscan",
    "builtin-gmm",
    "builtin-image-resize",
  ])
    assert.equal((await loadBuiltin(name))?.name, name);
});
