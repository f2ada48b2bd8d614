// builtin-kmeans: k-means clustering (Lloyd's algorithm) with greedy k-means++ initialisation. The steps
// follow scikit-learn's KMeans(algorithm="lloyd") so that, from the same initial centers, both reach the
// same clustering: the tolerance is relative to the data's mean feature variance, iteration stops when the
// labels no longer change or the squared center shift is within the tolerance, and an empty cluster takes
// the point farthest from its center.
import { FunctionError } from "../types.js";
import type { ArgReader } from "./common/args.js";
import { throwIfCancelled } from "./common/cancel.js";
import {
  DEFAULT_ANALYTICS_LIMITS,
  estimatorFunction,
  type Estimator,
  type AnalyticsLimits,
} from "./common/estimator.js";
import { nested } from "./common/model.js";
import { SeededRandom } from "./common/random.js";
import type { Table } from "./data/table.js";

export const MAX_CLUSTERS = 1024;

export interface KMeansOptions {
  readonly k: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly seed: number;
  readonly nInit: number;
  /** k × features, row-major; replaces k-means++ (and makes n_init irrelevant). */
  readonly initialCenters?: Float64Array;
}

export interface KMeansModel {
  readonly k: number;
  readonly cols: number;
  readonly centers: Float64Array;
  readonly inertia: number;
  readonly iterations: number;
}

export function kmeans(
  data: Table,
  options: KMeansOptions,
  signal: AbortSignal,
): KMeansModel & { labels: Int32Array } {
  const tol = options.tol * meanVariance(data);
  const random = new SeededRandom(options.seed);
  let best: (KMeansModel & { labels: Int32Array }) | undefined;
  const runs = options.initialCenters ? 1 : options.nInit;
  for (let run = 0; run < runs; run++) {
    const init = options.initialCenters?.slice() ?? kmeansPlusPlus(data, options.k, random);
    const result = lloyd(data, init, options.k, options.maxIter, tol, signal);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/** Greedy k-means++: each new center is the best of 2 + ⌊ln k⌋ candidates drawn by squared distance. */
export function kmeansPlusPlus(data: Table, k: number, random: SeededRandom): Float64Array {
  const { rows: n, cols: d, data: x } = data;
  const centers = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  let closest = new Float64Array(n);
  let candidate = new Float64Array(n);
  let bestCandidate = new Float64Array(n);
  const first = random.below(n);
  centers.set(x.subarray(first * d, first * d + d), 0);
  let potential = 0;
  for (let i = 0; i < n; i++) potential += closest[i] = squaredDistance(x, i * d, x, first * d, d);
  const cumulative = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let sum = 0;
    for (let i = 0; i < n; i++) cumulative[i] = sum += closest[i]!;
    let bestPotential = Infinity;
    let bestId = 0;
    for (let t = 0; t < trials; t++) {
      const id = Math.min(searchSorted(cumulative, random.next() * potential), n - 1);
      let p = 0;
      for (let i = 0; i < n; i++)
        p += candidate[i] = Math.min(closest[i]!, squaredDistance(x, i * d, x, id * d, d));
      if (p < bestPotential) {
        bestPotential = p;
        bestId = id;
        [candidate, bestCandidate] = [bestCandidate, candidate];
      }
    }
    centers.set(x.subarray(bestId * d, bestId * d + d), c * d);
    potential = bestPotential;
    [closest, bestCandidate] = [bestCandidate, closest];
  }
  return centers;
}

/**
 * Lloyd's iterations, with Hamerly's bounds to skip distance computations that cannot change a label: for
 * each point an upper bound on the distance to its own center and a lower bound on the distance to any
 * other. The labels are exactly those of plain Lloyd (a point is skipped only when its center is strictly
 * nearest, with a margin for rounding); only the work differs.
 */
function lloyd(
  data: Table,
  centers: Float64Array,
  k: number,
  maxIter: number,
  tol: number,
  signal: AbortSignal,
): KMeansModel & { labels: Int32Array } {
  const { rows: n, cols: d, data: x } = data;
  const labels = new Int32Array(n);
  const previous = new Int32Array(n).fill(-1);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const moved = new Float64Array(k);
  const separation = new Float64Array(k);
  let converged = false;
  let iterations = 0;
  for (; iterations < maxIter;) {
    throwIfCancelled(signal);
    if (iterations === 0) for (let i = 0; i < n; i++) nearestTwo(x, i, d, centers, k, labels, upper, lower);
    else {
      halfSeparation(centers, k, d, separation);
      for (let i = 0; i < n; i++) {
        const bound = Math.max(separation[labels[i]!]!, lower[i]!) * (1 - 1e-9);
        if (upper[i]! < bound) continue;
        upper[i] = Math.sqrt(squaredDistance(x, i * d, centers, labels[i]! * d, d));
        if (upper[i]! < bound) continue;
        nearestTwo(x, i, d, centers, k, labels, upper, lower);
      }
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i]!;
      counts[c]!++;
      for (let j = 0, s = c * d, p = i * d; j < d; j++) sums[s + j]! += x[p + j]!;
    }
    if (counts.includes(0)) relocateEmptyClusters(x, d, centers, labels, sums, counts);
    let shift = 0;
    let maxMove = 0;
    for (let c = 0; c < k; c++) {
      let move = 0;
      for (let j = 0; j < d; j++) {
        // A cluster left empty by a relocation keeps its (zero) sum as center, as scikit-learn does.
        const updated = counts[c]! > 0 ? sums[c * d + j]! / counts[c]! : sums[c * d + j]!;
        move += (updated - centers[c * d + j]!) ** 2;
        centers[c * d + j] = updated;
      }
      shift += move;
      moved[c] = Math.sqrt(move);
      maxMove = Math.max(maxMove, moved[c]!);
    }
    for (let i = 0; i < n; i++) {
      upper[i]! += moved[labels[i]!]!;
      lower[i]! -= maxMove;
    }
    iterations++;
    if (sameLabels(labels, previous)) {
      converged = true;
      break;
    }
    if (shift <= tol) break;
    previous.set(labels);
  }
  // Unless the labels were already stable, label the points once more against the final centers.
  if (!converged) for (let i = 0; i < n; i++) nearestTwo(x, i, d, centers, k, labels, upper, lower);
  let inertia = 0;
  for (let i = 0; i < n; i++) inertia += squaredDistance(x, i * d, centers, labels[i]! * d, d);
  return { k, cols: d, centers, inertia, iterations, labels };
}

/** Labels point i with its nearest center (lowest index on a tie); sets both bounds exactly. */
function nearestTwo(
  x: Float64Array,
  i: number,
  d: number,
  centers: Float64Array,
  k: number,
  labels: Int32Array,
  upper: Float64Array,
  lower: Float64Array,
): void {
  let best = 0;
  let first = Infinity;
  let second = Infinity;
  for (let c = 0; c < k; c++) {
    const dist = squaredDistance(x, i * d, centers, c * d, d);
    if (dist < first) {
      second = first;
      first = dist;
      best = c;
    } else if (dist < second) second = dist;
  }
  labels[i] = best;
  upper[i] = Math.sqrt(first);
  lower[i] = Math.sqrt(second);
}

/** Half the distance from each center to its nearest other center: closer than that, a point is its. */
function halfSeparation(centers: Float64Array, k: number, d: number, out: Float64Array): void {
  out.fill(Infinity);
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++) {
      const half = Math.sqrt(squaredDistance(centers, a * d, centers, b * d, d)) / 2;
      if (half < out[a]!) out[a] = half;
      if (half < out[b]!) out[b] = half;
    }
}

/** Labels each point with its nearest center (the lowest index on a tie); distances get the squared distance. */
export function assign(
  x: Float64Array,
  n: number,
  d: number,
  centers: Float64Array,
  k: number,
  labels: Int32Array,
  distances: Float64Array,
): void {
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDistance = Infinity;
    for (let c = 0; c < k; c++) {
      const dist = squaredDistance(x, i * d, centers, c * d, d);
      if (dist < bestDistance) {
        bestDistance = dist;
        best = c;
      }
    }
    labels[i] = best;
    distances[i] = bestDistance;
  }
}

/** An empty cluster takes over the point farthest from its own (old) center, as scikit-learn does. */
function relocateEmptyClusters(
  x: Float64Array,
  d: number,
  centers: Float64Array,
  labels: Int32Array,
  sums: Float64Array,
  counts: Float64Array,
): void {
  const empty: number[] = [];
  counts.forEach((count, c) => count === 0 && empty.push(c));
  const distances = Float64Array.from(labels, (c, i) => squaredDistance(x, i * d, centers, c * d, d));
  const farthest = Array.from(distances.keys())
    .sort((a, b) => distances[b]! - distances[a]! || a - b)
    .slice(0, empty.length);
  empty.forEach((c, e) => {
    const i = farthest[e]!;
    const from = labels[i]!;
    for (let j = 0; j < d; j++) {
      sums[from * d + j]! -= x[i * d + j]!;
      sums[c * d + j] = x[i * d + j]!;
    }
    counts[from]!--;
    counts[c] = 1;
  });
}

export function squaredDistance(a: Float64Array, at: number, b: Float64Array, bt: number, d: number): number {
  let sum = 0;
  for (let j = 0; j < d; j++) {
    const diff = a[at + j]! - b[bt + j]!;
    sum += diff * diff;
  }
  return sum;
}

/** The mean over features of each feature's (population) variance: the scale of `tol`. */
export function meanVariance(data: Table): number {
  const { rows: n, cols: d, data: x } = data;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * d + j]!;
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * d + j]! - mean) ** 2;
    total += v / n;
  }
  return total / d;
}

function sameLabels(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first index whose cumulative value is ≥ `value` (numpy's searchsorted, side "left"). */
function searchSorted(cumulative: Float64Array, value: number): number {
  let lo = 0;
  let hi = cumulative.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

interface KMeansParams extends Omit<KMeansOptions, "k"> {
  readonly k: number | undefined;
}

export function parseKMeansParams(args: ArgReader, maxColumns: number): KMeansParams {
  const k = args.optionalInteger("k", { min: 1, max: MAX_CLUSTERS });
  const initial = args.matrix("initial_centers", MAX_CLUSTERS, maxColumns);
  if (k !== undefined && initial && initial.rows !== k)
    throw new FunctionError(
      "INVALID_ARGUMENT",
      `argument initial_centers has ${initial.rows} rows, but k is ${k}`,
    );
  const params: KMeansParams = {
    k: k ?? initial?.rows,
    maxIter: args.integer("max_iter", { default: 300, min: 1, max: 1_000_000 }),
    tol: args.number("tol", { default: 1e-4, min: 0 }),
    seed: args.integer("seed", { default: 0, min: 0, max: 0xffffffff }),
    nInit: args.integer("n_init", { default: 10, min: 1, max: 100 }),
  };
  return initial ? { ...params, initialCenters: initial.data } : params;
}

export function checkClusterCount(k: number, data: Table): void {
  if (k > data.rows)
    throw new FunctionError(
      "INVALID_ARGUMENT",
      `argument k is ${k}, more than the ${data.rows} rows of training_data`,
    );
}

export function kmeansEstimator(limits: AnalyticsLimits): Estimator<KMeansParams, KMeansModel> {
  return {
    name: "builtin-kmeans",
    supervised: false,
    parseParams: (args) => parseKMeansParams(args, limits.csv.maxColumns),
    fit({ features }, params, run) {
      const k = params.k;
      if (k === undefined) throw new FunctionError("INVALID_ARGUMENT", "argument k is required");
      checkClusterCount(k, features);
      const initial = params.initialCenters;
      if (initial && initial.length !== k * features.cols)
        throw new FunctionError(
          "INVALID_ARGUMENT",
          `argument initial_centers has ${initial.length / k} columns, but training_data has ${features.cols} features`,
        );
      const { labels: _labels, ...model } = kmeans(features, { ...params, k }, run.signal);
      run.log(`builtin-kmeans: inertia ${model.inertia} after ${model.iterations} iterations`);
      return model;
    },
    predict(model, features) {
      const labels = new Int32Array(features.rows);
      assign(
        features.data,
        features.rows,
        features.cols,
        model.centers,
        model.k,
        labels,
        new Float64Array(features.rows),
      );
      return Float64Array.from(labels);
    },
    features: (model) => model.cols,
    encode: (model) => ({
      k: model.k,
      centers: nested(model.centers, model.cols),
      inertia: model.inertia,
      iterations: model.iterations,
    }),
    decode(reader) {
      const k = reader.integer("k", 1, MAX_CLUSTERS);
      return {
        k,
        cols: reader.features,
        centers: reader.matrix("centers", k, reader.features),
        inertia: reader.number("inertia"),
        iterations: reader.integer("iterations", 0, Number.MAX_SAFE_INTEGER),
      };
    },
  };
}

export function createKMeansFunction(limits: AnalyticsLimits = DEFAULT_ANALYTICS_LIMITS) {
  return estimatorFunction(kmeansEstimator(limits), limits);
}
