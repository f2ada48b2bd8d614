// builtin-gmm: a Gaussian mixture fitted by expectation–maximisation, with full or diagonal covariances,
// following scikit-learn's GaussianMixture: responsibilities start from a k-means clustering (seeded), each
// covariance gets `reg_covar` added to its diagonal, and EM stops when the mean log-likelihood per row
// changes by less than `tol`. A row is labelled with its most probable component.
import { FunctionError } from "../types.js";
import { throwIfCancelled } from "./common/cancel.js";
import {
  DEFAULT_ANALYTICS_LIMITS,
  estimatorFunction,
  TRAINING_DATA,
  type AnalyticsLimits,
  type Estimator,
  type RunContext,
} from "./common/estimator.js";
import type { ModelReader } from "./common/model.js";
import { kmeans } from "./kmeans.js";
import type { Table } from "./data/table.js";

export const MAX_COMPONENTS = 256;
/** Full covariances cost features² per component and row: their dimension is limited further. */
export const MAX_FULL_COVARIANCE_FEATURES = 256;

const COVARIANCE_TYPES = ["full", "diag"] as const;
type CovarianceType = (typeof COVARIANCE_TYPES)[number];

interface Params {
  readonly k: number | undefined;
  readonly covarianceType: CovarianceType;
  readonly maxIter: number;
  readonly tol: number;
  readonly regCovar: number;
  readonly seed: number;
}

export interface GmmModel {
  readonly k: number;
  readonly cols: number;
  readonly covarianceType: CovarianceType;
  readonly weights: Float64Array;
  /** k × d */
  readonly means: Float64Array;
  /** full: k × d × d; diag: k × d */
  readonly covariances: Float64Array;
  readonly lowerBound: number;
  readonly iterations: number;
  readonly converged: boolean;
}

/** A component's covariance in factored form: Cholesky factor (full) or standard deviations (diag). */
interface Factors {
  readonly factor: Float64Array;
  /** log |Σ| for each component. */
  readonly logDet: Float64Array;
}

export function fitGmm(x: Table, params: Params & { k: number }, run: RunContext): GmmModel {
  const { rows: n, cols: d } = x;
  const { k } = params;
  if (k > n)
    throw new FunctionError(
      "INVALID_ARGUMENT",
      `argument k is ${k}, more than the ${n} rows of ${TRAINING_DATA}`,
    );
  if (params.covarianceType === "full" && d > MAX_FULL_COVARIANCE_FEATURES)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `covariance_type full is limited to ${MAX_FULL_COVARIANCE_FEATURES} features; ${TRAINING_DATA} has ${d} (use diag)`,
    );
  const init = kmeans(x, { k, maxIter: 300, tol: 1e-4, seed: params.seed, nInit: 1 }, run.signal);
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + init.labels[i]!] = 1;
  let model = mStep(x, resp, k, params);
  let lowerBound = -Infinity;
  let converged = false;
  let iterations = 0;
  while (iterations < params.maxIter) {
    throwIfCancelled(run.signal);
    const previous = lowerBound;
    lowerBound = eStep(x, model, resp);
    model = mStep(x, resp, k, params);
    iterations++;
    if (Math.abs(lowerBound - previous) < params.tol) {
      converged = true;
      break;
    }
  }
  if (!converged) run.log(`builtin-gmm: not converged after max_iter=${params.maxIter} iterations`);
  return { ...model, lowerBound, iterations, converged };
}

type Parameters = Pick<GmmModel, "k" | "cols" | "covarianceType" | "weights" | "means" | "covariances">;

function mStep(x: Table, resp: Float64Array, k: number, params: Params): Parameters {
  const { rows: n, cols: d, data } = x;
  const nk = new Float64Array(k).fill(10 * Number.EPSILON);
  const means = new Float64Array(k * d);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c]!;
      if (r === 0) continue;
      nk[c]! += r;
      for (let j = 0; j < d; j++) means[c * d + j]! += r * data[i * d + j]!;
    }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j]! /= nk[c]!;
  const full = params.covarianceType === "full";
  const size = full ? d * d : d;
  const covariances = new Float64Array(k * size);
  const diff = new Float64Array(d);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c]!;
      if (r === 0) continue;
      for (let j = 0; j < d; j++) diff[j] = data[i * d + j]! - means[c * d + j]!;
      const base = c * size;
      if (full) {
        for (let a = 0; a < d; a++) {
          const ra = r * diff[a]!;
          for (let b = 0; b <= a; b++) covariances[base + a * d + b]! += ra * diff[b]!;
        }
      } else for (let j = 0; j < d; j++) covariances[base + j]! += r * diff[j]! * diff[j]!;
    }
  for (let c = 0; c < k; c++) {
    const base = c * size;
    if (full) {
      for (let a = 0; a < d; a++)
        for (let b = 0; b <= a; b++) {
          const v = covariances[base + a * d + b]! / nk[c]! + (a === b ? params.regCovar : 0);
          covariances[base + a * d + b] = v;
          covariances[base + b * d + a] = v;
        }
    } else
      for (let j = 0; j < d; j++) covariances[base + j] = covariances[base + j]! / nk[c]! + params.regCovar;
  }
  const weights = Float64Array.from(nk, (v) => v / n);
  return { k, cols: d, covarianceType: params.covarianceType, weights, means, covariances };
}

/** Fills `resp` with the responsibilities; returns the mean log-likelihood per row. */
function eStep(x: Table, model: Parameters, resp: Float64Array): number {
  const { rows: n } = x;
  const { k } = model;
  const factors = factorize(model, "training");
  let total = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      const v = weightedLogDensity(x, i, model, factors, c);
      resp[i * k + c] = v;
      max = Math.max(max, v);
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(resp[i * k + c]! - max);
    const norm = max + Math.log(sum);
    total += norm;
    for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(resp[i * k + c]! - norm);
  }
  return total / n;
}

export function predictGmm(model: GmmModel, x: Table): Float64Array {
  const factors = factorize(model, "model");
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let best = 0;
    let bestValue = -Infinity;
    for (let c = 0; c < model.k; c++) {
      const v = weightedLogDensity(x, i, model, factors, c);
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

/** log(weight_c) + log N(x_i | mean_c, Σ_c), through the Cholesky factor of Σ_c. */
function weightedLogDensity(x: Table, i: number, model: Parameters, f: Factors, c: number): number {
  const d = model.cols;
  const row = x.data;
  let mahalanobis = 0;
  if (model.covarianceType === "full") {
    // Solve L·z = x − μ by forward substitution; ‖z‖² is the squared Mahalanobis distance.
    const base = c * d * d;
    const z = scratch(d);
    for (let a = 0; a < d; a++) {
      let s = row[i * d + a]! - model.means[c * d + a]!;
      for (let b = 0; b < a; b++) s -= f.factor[base + a * d + b]! * z[b]!;
      z[a] = s / f.factor[base + a * d + a]!;
      mahalanobis += z[a]! * z[a]!;
    }
  } else
    for (let j = 0; j < d; j++) {
      const t = (row[i * d + j]! - model.means[c * d + j]!) / f.factor[c * d + j]!;
      mahalanobis += t * t;
    }
  return Math.log(model.weights[c]!) - 0.5 * (d * Math.log(2 * Math.PI) + f.logDet[c]! + mahalanobis);
}

let zBuffer = new Float64Array(16);
function scratch(d: number): Float64Array {
  if (zBuffer.length < d) zBuffer = new Float64Array(d);
  return zBuffer;
}

function factorize(model: Parameters, what: "training" | "model"): Factors {
  const { k, cols: d } = model;
  const logDet = new Float64Array(k);
  if (model.covarianceType === "diag") {
    const factor = model.covariances.map(Math.sqrt);
    for (let c = 0; c < k; c++)
      for (let j = 0; j < d; j++) logDet[c]! += Math.log(model.covariances[c * d + j]!);
    return { factor, logDet };
  }
  const factor = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const base = c * d * d;
    for (let a = 0; a < d; a++)
      for (let b = 0; b <= a; b++) {
        let s = model.covariances[base + a * d + b]!;
        for (let m = 0; m < b; m++) s -= factor[base + a * d + m]! * factor[base + b * d + m]!;
        if (a === b) {
          if (!(s > 0))
            throw what === "training"
              ? new FunctionError(
                  "FAILED",
                  `component ${c} has a singular covariance (collapsed onto too few points); increase reg_covar or reduce k`,
                )
              : new FunctionError(
                  "INVALID_INPUT",
                  `input model_file: covariance ${c} is not positive definite`,
                );
          factor[base + a * d + a] = Math.sqrt(s);
          logDet[c]! += 2 * Math.log(factor[base + a * d + a]!);
        } else factor[base + a * d + b] = s / factor[base + b * d + b]!;
      }
  }
  return { factor, logDet };
}

function nestedCovariances(model: GmmModel): unknown[] {
  const { k, cols: d } = model;
  const size = model.covarianceType === "full" ? d * d : d;
  return Array.from({ length: k }, (_, c) => {
    const block = Array.from(model.covariances.subarray(c * size, (c + 1) * size));
    return model.covarianceType === "full"
      ? Array.from({ length: d }, (_, a) => block.slice(a * d, (a + 1) * d))
      : block;
  });
}

function decodeGmm(reader: ModelReader): GmmModel {
  const k = reader.integer("k", 1, MAX_COMPONENTS);
  const d = reader.features;
  const covarianceType = reader.choice("covariance_type", COVARIANCE_TYPES);
  if (covarianceType === "full" && d > MAX_FULL_COVARIANCE_FEATURES)
    throw new FunctionError("INVALID_INPUT", "input model_file has too many features for full covariances");
  let covariances: Float64Array;
  if (covarianceType === "diag") covariances = reader.matrix("covariances", k, d, (v) => v > 0);
  else {
    covariances = reader.matrices("covariances", k, d);
    for (let c = 0; c < k; c++)
      for (let a = 0; a < d; a++)
        for (let b = 0; b < a; b++)
          if (covariances[c * d * d + a * d + b] !== covariances[c * d * d + b * d + a])
            throw new FunctionError("INVALID_INPUT", `input model_file: covariance ${c} is not symmetric`);
  }
  const model: GmmModel = {
    k,
    cols: d,
    covarianceType,
    weights: reader.numbers("weights", k, (w) => w > 0 && w <= 1),
    means: reader.matrix("means", k, d),
    covariances,
    lowerBound: reader.number("lower_bound"),
    iterations: reader.integer("iterations", 0, Number.MAX_SAFE_INTEGER),
    converged: reader.boolean("converged"),
  };
  factorize(model, "model"); // refuses covariances that are not positive definite
  return model;
}

export function gmmEstimator(): Estimator<Params, GmmModel> {
  return {
    name: "builtin-gmm",
    supervised: false,
    parseParams: (args) => ({
      k: args.optionalInteger("k", { min: 1, max: MAX_COMPONENTS }),
      covarianceType: args.choice("covariance_type", COVARIANCE_TYPES, "full"),
      maxIter: args.integer("max_iter", { default: 100, min: 1, max: 1_000_000 }),
      tol: args.number("tol", { default: 1e-3, min: 0 }),
      regCovar: args.number("reg_covar", { default: 1e-6, min: 0 }),
      seed: args.integer("seed", { default: 0, min: 0, max: 0xffffffff }),
    }),
    fit({ features }, params, run) {
      if (params.k === undefined) throw new FunctionError("INVALID_ARGUMENT", "argument k is required");
      const model = fitGmm(features, { ...params, k: params.k }, run);
      run.log(`builtin-gmm: mean log-likelihood ${model.lowerBound} after ${model.iterations} iterations`);
      return model;
    },
    predict: predictGmm,
    features: (model) => model.cols,
    encode: (model) => ({
      k: model.k,
      covariance_type: model.covarianceType,
      weights: Array.from(model.weights),
      means: Array.from({ length: model.k }, (_, c) =>
        Array.from(model.means.subarray(c * model.cols, (c + 1) * model.cols)),
      ),
      covariances: nestedCovariances(model),
      lower_bound: model.lowerBound,
      iterations: model.iterations,
      converged: model.converged,
    }),
    decode: decodeGmm,
  };
}

export function createGmmFunction(limits: AnalyticsLimits = DEFAULT_ANALYTICS_LIMITS) {
  return estimatorFunction(gmmEstimator(), limits);
}
