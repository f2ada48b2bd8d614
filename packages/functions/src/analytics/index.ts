// MesaTEE's analytics functions: the catalogue entries and the factories that take explicit limits.
import type { BuiltinFunction } from "../types.js";
import { createDbscanFunction } from "./dbscan.js";
import { createGmmFunction } from "./gmm.js";
import { createImageResizeFunction } from "./image/resize.js";
import { createKMeansFunction } from "./kmeans.js";
import { createLinearRegressionFunction } from "./linear-regression.js";
import { createNaiveBayesFunction } from "./naive-bayes.js";
import { createPsiFunction } from "./psi/psi.js";
import { createSvmFunction } from "./svm.js";

export { DEFAULT_ANALYTICS_LIMITS, type AnalyticsLimits } from "./common/estimator.js";
export { DEFAULT_CSV_LIMITS, type CsvLimits } from "./data/csv.js";
export { createDbscanFunction } from "./dbscan.js";
export { createGmmFunction } from "./gmm.js";
export { createImageResizeFunction, DEFAULT_IMAGE_LIMITS, type ImageLimits } from "./image/resize.js";
export { createKMeansFunction } from "./kmeans.js";
export { createLinearRegressionFunction } from "./linear-regression.js";
export { createNaiveBayesFunction } from "./naive-bayes.js";
export { createPsiFunction, DEFAULT_PSI_LIMITS, type PsiLimits } from "./psi/psi.js";
export { createSvmFunction } from "./svm.js";

/** MesaTEE's own built-in functions with their default limits, for the registry. */
export const analyticsFunctions: readonly BuiltinFunction[] = [
  createPsiFunction(),
  createKMeansFunction(),
  createLinearRegressionFunction(),
  createSvmFunction(),
  createNaiveBayesFunction(),
  createDbscanFunction(),
  createGmmFunction(),
  createImageResizeFunction(),
];
