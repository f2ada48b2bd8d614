// builtin-svm: a linear support vector machine trained by dual coordinate descent (Hsieh et al., 2008 —
// the method of LIBLINEAR and so of scikit-learn's LinearSVC): L2-regularised, squared hinge loss by
// default or hinge loss, the intercept learned as the weight of a constant feature 1 (so it is regularised
// too, as in LIBLINEAR), one-vs-rest for more than two classes. The coordinates are visited in a seeded
// random order each pass; training stops when the projected gradient's spread is within `tol`.
import { FunctionError } from "../types.js";
import { throwIfCancelled } from "./common/cancel.js";
import { encodeClasses, MAX_CLASSES } from "./common/classes.js";
import {
  DEFAULT_ANALYTICS_LIMITS,
  estimatorFunction,
  TRAINING_DATA,
  type AnalyticsLimits,
  type Estimator,
  type RunContext,
} from "./common/estimator.js";
import { nested } from "./common/model.js";
import { SeededRandom } from "./common/random.js";
import type { Table } from "./data/table.js";

const LOSSES = ["squared_hinge", "hinge"] as const;
type Loss = (typeof LOSSES)[number];

interface Params {
  readonly c: number;
  readonly loss: Loss;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number;
  readonly fitIntercept: boolean;
}

export interface SvmModel {
  readonly c: number;
  readonly loss: Loss;
  readonly classes: Float64Array;
  /** One row per binary problem (one for two classes, else one per class), `cols` weights each. */
  readonly weights: Float64Array;
  readonly intercepts: Float64Array;
  readonly cols: number;
}

export function fitSvm(x: Table, labels: Float64Array, params: Params, run: RunContext): SvmModel {
  const { classes, y } = encodeClasses(labels, TRAINING_DATA);
  if (classes.length < 2)
    throw new FunctionError(
      "INVALID_INPUT",
      `input ${TRAINING_DATA} has a single label; an SVM needs two or more`,
    );
  const problems = classes.length === 2 ? 1 : classes.length;
  const d = x.cols;
  const weights = new Float64Array(problems * d);
  const intercepts = new Float64Array(problems);
  const random = new SeededRandom(params.seed);
  const signs = new Float64Array(x.rows);
  let iterationsMax = 0;
  for (let p = 0; p < problems; p++) {
    // Binary: the larger label is the positive class (as in scikit-learn); else class p against the rest.
    const positive = problems === 1 ? 1 : p;
    for (let i = 0; i < x.rows; i++) signs[i] = y[i] === positive ? 1 : -1;
    const w = weights.subarray(p * d, (p + 1) * d);
    const { bias, iterations } = dualCoordinateDescent(x, signs, w, params, random, run.signal);
    intercepts[p] = bias;
    iterationsMax = Math.max(iterationsMax, iterations);
  }
  if (iterationsMax >= params.maxIter)
    run.log(
      `builtin-svm: stopped after max_iter=${params.maxIter} passes before reaching tol; consider scaling the data`,
    );
  return { c: params.c, loss: params.loss, classes, weights, intercepts, cols: d };
}

function dualCoordinateDescent(
  x: Table,
  y: Float64Array,
  w: Float64Array,
  { c, loss, maxIter, tol, fitIntercept }: Params,
  random: SeededRandom,
  signal: AbortSignal,
): { bias: number; iterations: number } {
  const { rows: n, cols: d, data } = x;
  const diagonal = loss === "squared_hinge" ? 0.5 / c : 0;
  const upper = loss === "squared_hinge" ? Infinity : c;
  const biasFeature = fitIntercept ? 1 : 0;
  const qd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = diagonal + biasFeature;
    for (let j = 0; j < d; j++) s += data[i * d + j]! ** 2;
    qd[i] = s;
  }
  const alpha = new Float64Array(n);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  let bias = 0;
  let iteration = 0;
  while (iteration < maxIter) {
    throwIfCancelled(signal);
    random.shuffle(order);
    let gradientMax = -Infinity;
    let gradientMin = Infinity;
    for (const i of order) {
      let margin = bias * biasFeature;
      for (let j = 0; j < d; j++) margin += w[j]! * data[i * d + j]!;
      const g = y[i]! * margin - 1 + alpha[i]! * diagonal;
      const a = alpha[i]!;
      // The projected gradient: zero where the box constraint 0 ≤ α ≤ upper blocks the step.
      const pg = a === 0 ? Math.min(g, 0) : a === upper ? Math.max(g, 0) : g;
      gradientMax = Math.max(gradientMax, pg);
      gradientMin = Math.min(gradientMin, pg);
      if (Math.abs(pg) <= 1e-12) continue;
      const next = Math.min(Math.max(a - g / qd[i]!, 0), upper);
      const step = (next - a) * y[i]!;
      alpha[i] = next;
      for (let j = 0; j < d; j++) w[j]! += step * data[i * d + j]!;
      bias += step * biasFeature;
    }
    iteration++;
    if (gradientMax - gradientMin <= tol) break;
  }
  return { bias, iterations: iteration };
}

export function predictSvm(model: SvmModel, x: Table): Float64Array {
  const { rows: n, cols: d, data } = x;
  const problems = model.intercepts.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let p = 0; p < problems; p++) {
      let s = model.intercepts[p]!;
      for (let j = 0; j < d; j++) s += model.weights[p * d + j]! * data[i * d + j]!;
      if (s > bestScore) {
        bestScore = s;
        best = p;
      }
    }
    out[i] = problems === 1 ? model.classes[bestScore > 0 ? 1 : 0]! : model.classes[best]!;
  }
  return out;
}

export function svmEstimator(): Estimator<Params, SvmModel> {
  return {
    name: "builtin-svm",
    supervised: true,
    parseParams: (args) => ({
      c: args.number("c", { default: 1, min: 0, exclusiveMin: true }),
      loss: args.choice("loss", LOSSES, "squared_hinge"),
      maxIter: args.integer("max_iter", { default: 1000, min: 1, max: 1_000_000 }),
      tol: args.number("tol", { default: 1e-4, min: 0, exclusiveMin: true }),
      seed: args.integer("seed", { default: 0, min: 0, max: 0xffffffff }),
      fitIntercept: args.boolean("fit_intercept", true),
    }),
    fit: ({ features, labels }, params, run) => fitSvm(features, labels!, params, run),
    predict: predictSvm,
    features: (model) => model.cols,
    encode: (model) => ({
      c: model.c,
      loss: model.loss,
      classes: Array.from(model.classes),
      weights: nested(model.weights, model.cols),
      intercepts: Array.from(model.intercepts),
    }),
    decode(reader) {
      const classes = reader.numbers("classes");
      if (classes.length < 2 || classes.length > MAX_CLASSES)
        throw new FunctionError("INVALID_INPUT", `input model_file must have 2 to ${MAX_CLASSES} classes`);
      const problems = classes.length === 2 ? 1 : classes.length;
      return {
        c: reader.number("c"),
        loss: reader.choice("loss", LOSSES),
        classes,
        weights: reader.matrix("weights", problems, reader.features),
        intercepts: reader.numbers("intercepts", problems),
        cols: reader.features,
      };
    },
  };
}

export function createSvmFunction(limits: AnalyticsLimits = DEFAULT_ANALYTICS_LIMITS) {
  return estimatorFunction(svmEstimator(), limits);
}
