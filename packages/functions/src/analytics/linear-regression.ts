// builtin-linear-regression: ordinary least squares with an intercept, optionally with an L2 penalty
// (ridge regression, `alpha` > 0) that leaves the intercept unpenalised, as scikit-learn's Ridge does.
// The features and target are centered, then the (augmented) least-squares problem is solved by QR:
//   min ‖Xc·w − yc‖² + alpha·‖w‖²  =  min ‖[Xc; √alpha·I]·w − [yc; 0]‖²,   intercept = ȳ − x̄·w.
import { FunctionError } from "../types.js";
import {
  DEFAULT_ANALYTICS_LIMITS,
  estimatorFunction,
  type AnalyticsLimits,
  type Estimator,
} from "./common/estimator.js";
import { leastSquares } from "./data/least-squares.js";
import type { Table } from "./data/table.js";

export interface LinearModel {
  readonly alpha: number;
  readonly intercept: number;
  readonly coefficients: Float64Array;
}

interface Params {
  readonly alpha: number;
  readonly fitIntercept: boolean;
}

export function fitLinear(x: Table, y: Float64Array, { alpha, fitIntercept }: Params): LinearModel {
  const { rows: n, cols: d, data } = x;
  const means = new Float64Array(d);
  let yMean = 0;
  if (fitIntercept) {
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) means[j]! += data[i * d + j]!;
    for (let j = 0; j < d; j++) means[j]! /= n;
    for (let i = 0; i < n; i++) yMean += y[i]!;
    yMean /= n;
  }
  const extra = alpha > 0 ? d : 0;
  const m = n + extra;
  const a = new Float64Array(m * d); // column-major
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) a[j * m + i] = data[i * d + j]! - means[j]!;
  for (let j = 0; j < extra; j++) a[j * m + n + j] = Math.sqrt(alpha);
  const b = new Float64Array(m);
  for (let i = 0; i < n; i++) b[i] = y[i]! - yMean;
  const w = m >= d ? leastSquares(a, m, d, b) : undefined;
  if (!w)
    throw new FunctionError(
      "INVALID_INPUT",
      `input training_data: the ${d} features are linearly dependent` +
        `${fitIntercept ? " once centered" : ""} (or there are too few rows), so least squares has no unique ` +
        "solution; remove redundant features or set alpha > 0 (ridge)",
    );
  let intercept = yMean;
  for (let j = 0; j < d; j++) intercept -= means[j]! * w[j]!;
  if (!Number.isFinite(intercept) || w.some((v) => !Number.isFinite(v)))
    throw new FunctionError("FAILED", "linear regression overflowed: rescale the data");
  return { alpha, intercept, coefficients: w };
}

export function predictLinear(model: LinearModel, x: Table): Float64Array {
  const { rows: n, cols: d, data } = x;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = model.intercept;
    for (let j = 0; j < d; j++) s += model.coefficients[j]! * data[i * d + j]!;
    out[i] = s;
  }
  return out;
}

export function linearRegressionEstimator(): Estimator<Params, LinearModel> {
  return {
    name: "builtin-linear-regression",
    supervised: true,
    parseParams: (args) => ({
      alpha: args.number("alpha", { default: 0, min: 0 }),
      fitIntercept: args.boolean("fit_intercept", true),
    }),
    fit: ({ features, labels }, params) => fitLinear(features, labels!, params),
    predict: predictLinear,
    features: (model) => model.coefficients.length,
    encode: (model) => ({
      alpha: model.alpha,
      intercept: model.intercept,
      coefficients: Array.from(model.coefficients),
    }),
    decode: (reader) => ({
      alpha: reader.number("alpha"),
      intercept: reader.number("intercept"),
      coefficients: reader.numbers("coefficients", reader.features),
    }),
  };
}

export function createLinearRegressionFunction(limits: AnalyticsLimits = DEFAULT_ANALYTICS_LIMITS) {
  return estimatorFunction(linearRegressionEstimator(), limits);
}
