// builtin-naive-bayes: Gaussian naive Bayes, computed as scikit-learn's GaussianNB: per class the prior
// (class frequency), the mean and the population variance of every feature, plus a smoothing term
// var_smoothing × (largest feature variance over all rows) added to every variance; a row is predicted as
// the class with the highest joint log-likelihood (the first such class on a tie).
import { FunctionError } from "../types.js";
import { encodeClasses, MAX_CLASSES } from "./common/classes.js";
import {
  DEFAULT_ANALYTICS_LIMITS,
  estimatorFunction,
  type AnalyticsLimits,
  type Estimator,
} from "./common/estimator.js";
import { nested } from "./common/model.js";
import { TRAINING_DATA } from "./common/estimator.js";
import type { Table } from "./data/table.js";

export interface NaiveBayesModel {
  readonly classes: Float64Array;
  readonly priors: Float64Array;
  /** classes × features, row-major. */
  readonly means: Float64Array;
  readonly variances: Float64Array;
  readonly cols: number;
  readonly varSmoothing: number;
}

export function fitNaiveBayes(x: Table, labels: Float64Array, varSmoothing: number): NaiveBayesModel {
  const { rows: n, cols: d, data } = x;
  const { classes, y } = encodeClasses(labels, TRAINING_DATA);
  const k = classes.length;
  const counts = new Float64Array(k);
  const means = new Float64Array(k * d);
  const variances = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    const c = y[i]!;
    counts[c]!++;
    for (let j = 0; j < d; j++) means[c * d + j]! += data[i * d + j]!;
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j]! /= counts[c]!;
  for (let i = 0; i < n; i++) {
    const c = y[i]!;
    for (let j = 0; j < d; j++) variances[c * d + j]! += (data[i * d + j]! - means[c * d + j]!) ** 2;
  }
  const epsilon = varSmoothing * largestVariance(x);
  for (let c = 0; c < k; c++)
    for (let j = 0; j < d; j++) variances[c * d + j] = variances[c * d + j]! / counts[c]! + epsilon;
  if (variances.some((v) => !(v > 0)))
    throw new FunctionError(
      "INVALID_INPUT",
      `input ${TRAINING_DATA}: a feature has zero variance within a class and var_smoothing adds none; ` +
        "set var_smoothing > 0 or drop constant features",
    );
  const priors = Float64Array.from(counts, (c) => c / n);
  return { classes, priors, means, variances, cols: d, varSmoothing };
}

export function predictNaiveBayes(model: NaiveBayesModel, x: Table): Float64Array {
  const { rows: n, cols: d, data } = x;
  const k = model.classes.length;
  // The parts of the log-likelihood that do not depend on the row.
  const constant = Float64Array.from(model.priors, (p, c) => {
    let s = Math.log(p);
    for (let j = 0; j < d; j++) s -= 0.5 * Math.log(2 * Math.PI * model.variances[c * d + j]!);
    return s;
  });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++)
        s += (data[i * d + j]! - model.means[c * d + j]!) ** 2 / model.variances[c * d + j]!;
      const score = constant[c]! - 0.5 * s;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    out[i] = model.classes[best]!;
  }
  return out;
}

function largestVariance({ rows: n, cols: d, data }: Table): number {
  let largest = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + j]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (data[i * d + j]! - mean) ** 2;
    largest = Math.max(largest, v / n);
  }
  return largest;
}

export function naiveBayesEstimator(): Estimator<{ varSmoothing: number }, NaiveBayesModel> {
  return {
    name: "builtin-naive-bayes",
    supervised: true,
    parseParams: (args) => ({ varSmoothing: args.number("var_smoothing", { default: 1e-9, min: 0 }) }),
    fit: ({ features, labels }, { varSmoothing }) => fitNaiveBayes(features, labels!, varSmoothing),
    predict: predictNaiveBayes,
    features: (model) => model.cols,
    encode: (model) => ({
      var_smoothing: model.varSmoothing,
      classes: Array.from(model.classes),
      priors: Array.from(model.priors),
      means: nested(model.means, model.cols),
      variances: nested(model.variances, model.cols),
    }),
    decode(reader) {
      const classes = reader.numbers("classes");
      if (classes.length > MAX_CLASSES)
        throw new FunctionError("INVALID_INPUT", "input model_file has too many classes");
      const k = classes.length;
      return {
        classes,
        varSmoothing: reader.number("var_smoothing"),
        priors: reader.numbers("priors", k, (p) => p > 0 && p <= 1),
        means: reader.matrix("means", k, reader.features),
        variances: reader.matrix("variances", k, reader.features, (v) => v > 0),
        cols: reader.features,
      };
    },
  };
}

export function createNaiveBayesFunction(limits: AnalyticsLimits = DEFAULT_ANALYTICS_LIMITS) {
  return estimatorFunction(naiveBayesEstimator(), limits);
}
