// The built-in function catalogue. Adding a built-in is one module plus one line here. Modules load on
// first use, so a task's isolate imports only the function it runs (not the whole catalogue).
import type { BuiltinFunction } from "./types.js";

interface Entry {
  readonly name: string;
  readonly load: () => Promise<BuiltinFunction>;
}

const catalogue: readonly Entry[] = [
  // Teaclave's functions (spec/teaclave-compat.md §6)
  { name: "builtin-echo", load: async () => (await import("./teaclave/echo.js")).echo },
  { name: "builtin-gbdt-train", load: async () => (await import("./teaclave/gbdt-train.js")).gbdtTrain },
  {
    name: "builtin-gbdt-predict",
    load: async () => (await import("./teaclave/gbdt-predict.js")).gbdtPredict,
  },
  {
    name: "builtin-logistic-regression-train",
    load: async () => (await import("./teaclave/logistic-regression.js")).logisticRegressionTrain,
  },
  {
    name: "builtin-logistic-regression-predict",
    load: async () => (await import("./teaclave/logistic-regression.js")).logisticRegressionPredict,
  },
  {
    name: "builtin-password-check",
    load: async () => (await import("./teaclave/password-check.js")).passwordCheck,
  },
  {
    name: "builtin_online_decrypt",
    load: async () => (await import("./teaclave/online-decrypt.js")).onlineDecrypt,
  },
  {
    name: "builtin-ordered-set-intersect",
    load: async () => (await import("./teaclave/ordered-set-intersect.js")).orderedSetIntersect,
  },
  {
    name: "builtin-ordered-set-join",
    load: async () => (await import("./teaclave/ordered-set-join.js")).orderedSetJoin,
  },
  {
    name: "builtin-private-join-and-compute",
    load: async () => (await import("./teaclave/private-join-and-compute.js")).privateJoinAndCompute,
  },
  { name: "builtin-rsa-sign", load: async () => (await import("./teaclave/rsa-sign.js")).rsaSign },
  {
    name: "builtin_principal_components_analysis",
    load: async () =>
      (await import("./teaclave/principal-components-analysis.js")).principalComponentsAnalysis,
  },
  {
    name: "builtin-face-detection",
    load: async () => (await import("./teaclave/face-detection.js")).faceDetection,
  },
  { name: "builtin-copy", load: async () => (await import("./teaclave/copy.js")).copy },
  // MesaTEE's functions
  { name: "builtin-psi", load: async () => (await import("./analytics/psi/psi.js")).createPsiFunction() },
  {
    name: "builtin-kmeans",
    load: async () => (await import("./analytics/kmeans.js")).createKMeansFunction(),
  },
  {
    name: "builtin-linear-regression",
    load: async () => (await import("./analytics/linear-regression.js")).createLinearRegressionFunction(),
  },
  { name: "builtin-svm", load: async () => (await import("./analytics/svm.js")).createSvmFunction() },
  {
    name: "builtin-naive-bayes",
    load: async () => (await import("./analytics/naive-bayes.js")).createNaiveBayesFunction(),
  },
  {
    name: "builtin-dbscan",
    load: async () => (await import("./analytics/dbscan.js")).createDbscanFunction(),
  },
  { name: "builtin-gmm", load: async () => (await import("./analytics/gmm.js")).createGmmFunction() },
  {
    name: "builtin-image-resize",
    load: async () => (await import("./analytics/image/resize.js")).createImageResizeFunction(),
  },
];

const byName = new Map<string, Entry>();
for (const entry of catalogue) {
  if (byName.has(entry.name)) throw new Error(`duplicate built-in function name ${entry.name}`);
  byName.set(entry.name, entry);
}

/** Loads the built-in registered under `name`; undefined if there is none. */
export async function loadBuiltin(name: string): Promise<BuiltinFunction | undefined> {
  const entry = byName.get(name);
  if (!entry) return undefined;
  const fn = await entry.load();
  if (fn.name !== entry.name) throw new Error(`built-in ${entry.name} loaded a function named ${fn.name}`);
  return fn;
}

export function isBuiltin(name: string): boolean {
  return byName.has(name);
}

export function builtinNames(): string[] {
  return [...byName.keys()].sort();
}
