// MesaTEE's analytics functions: factories that take explicit limits (the registry uses the defaults).

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
