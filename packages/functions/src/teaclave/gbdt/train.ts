// gbdt-rs 0.1's training algorithm (GBDT::fit with DecisionTree::fit_n), reproduced step for step so
// that a model trained here equals one trained by Teaclave. What makes it exact:
//  - every f32 operation of gbdt-rs is rounded with Math.fround, every f64 one left in double;
//  - sums run in the same order (a node's samples in its parent's best-feature order);
//  - the same quirks: the LAD leaf value is the mean of the two middle residuals of the upper half
//    (gbdt-rs's weighted median), `min_leaf_size` stops splitting at `len <= min_leaf_size`,
//    samples with a missing split feature are dropped from both children, and so on.
// What makes it fast: features are sorted once; each node owns one contiguous segment of every
// feature's sorted order (interleaved id/value pairs), and splitting a node scatters those segments
// stably into a second buffer — the pre-sorted "exact greedy" method, with the same candidate splits
// and the same arithmetic as gbdt-rs's cached path. Children certain to be leaves receive only the
// split feature's segment, which gives their sample order.
// One difference remains: gbdt-rs sorts with an unstable sort, so among samples with EQUAL feature
// values its order is unspecified; here ties are ordered by row. Under SquaredError/LogLikelyhood
// that can change the last bit of a sum (and so, rarely, a near-tie between two splits); LAD sums
// are of ±1 and are exact either way.
// Large problems use helper threads (pool.ts): each takes a share of the features of a split search
// or partition; merging in feature order keeps the model identical for any number of threads.
import { randomInt } from "node:crypto";
import { availableParallelism } from "node:os";
import { setImmediate as nextTurn } from "node:timers/promises";
import { FunctionError } from "../../types.js";
import { featureImpurity, partitionFeature } from "./kernels.js";
import { F32_MIN, type GbdtConfig, type GbdtModel, type Tree } from "./model.js";
import { TrainingPool } from "./pool.js";
import { makeBank, type Bank } from "./shared.js";

const f = Math.fround;

export interface TrainingData {
  rows: number;
  features: number;
  /** Column-major f32 features: column j is x[j*rows .. (j+1)*rows). */
  x: Float32Array;
  /** f32 labels */
  y: Float32Array;
}

interface Work {
  cols: number;
  target: Float32Array;
  residual: Float32Array;
  /** Each sample's s = target · weight (weights are 1): the f32 target itself. */
  s: Float32Array;
  /** Leaf prediction of each training sample in the current tree (gbdt-rs's cache.preds). */
  preds: Float32Array;
  /**
   * Two banks (nodes at even depths read bank 0, odd depths bank 1; a split scatters its segment
   * into the other bank). Per feature: (sample id, value) pairs in ascending value order, one
   * contiguous segment per node, so split finding reads memory sequentially.
   */
  banks: [Bank, Bank];
  /** Helper threads, for large problems. */
  pool: TrainingPool | undefined;
  scratchSplit: Float64Array;
  /** Per sample: 0 left, 1 right, 2 missing, for the split being applied. */
  side: Uint8Array;
  /** Room for a node's residuals (LAD's median). */
  scratch: Float32Array;
}

export interface Builder {
  featureIndex: number[];
  featureValue: number[];
  pred: number[];
  isLeaf: number[];
  left: number[];
  right: number[];
}

export function addNode(b: Builder): number {
  b.featureIndex.push(0);
  b.featureValue.push(0);
  b.pred.push(0);
  b.isLeaf.push(0);
  b.left.push(0);
  b.right.push(0);
  return b.pred.length - 1;
}

/** gbdt-rs's label_average, accumulated in f32. */
function labelAverage(y: Float32Array): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < y.length; i++) {
    s = f(s + (y[i] as number));
    c = f(c + 1);
  }
  return f(s / c);
}

/** gbdt-rs's weighted_label_median (unit weights), including its index quirk for i == 1. */
function labelMedian(y: Float32Array): number {
  const sorted = Float32Array.from(y).sort();
  const all = sorted.length > 16777216 ? 16777216 : sorted.length; // f32 sum of ones saturates
  let weight = 0;
  for (let i = 0; i < sorted.length; i++) {
    weight = f(weight + 1);
    if (weight * 2 > all) {
      // gbdt-rs tests `i - 1 > 0` on usize: i == 1 takes the element alone; i == 0 (a single
      // sample) would panic there, and takes the element here.
      if (i >= 2) return f(f((sorted[i] as number) + (sorted[i - 1] as number)) / 2);
      return sorted[i] as number;
    }
  }
  return 0;
}

/** GBDT::init: the initial prediction for the loss. */
export function bias(conf: GbdtConfig, y: Float32Array): number {
  if (conf.initial_guess_enabled) return 0;
  switch (conf.loss) {
    case "LogLikelyhood": {
      const v = labelAverage(y);
      return f(f(Math.log(f(f(1 + v) / f(1 - v)))) / 2);
    }
    case "LAD":
      return labelMedian(y);
    default:
      return labelAverage(y);
  }
}

/**
 * Sets each sample's target (and, for LAD, residual) for the next tree from the current
 * predictions: GBDT's square_loss_process, log_loss_process and lad_loss_process. With weights of
 * 1, TrainingCache's s = target, ss = target², c = 1 and logit_c = |target|·(2 − |target|) are
 * derived from the target where they are used.
 */
export function updateTargets(
  conf: GbdtConfig,
  y: Float32Array,
  predicted: Float32Array,
  target: Float32Array,
  residual: Float32Array,
): void {
  const n = y.length;
  if (conf.loss === "LAD") {
    for (let i = 0; i < n; i++) {
      const r = f((y[i] as number) - (predicted[i] as number));
      residual[i] = r;
      target[i] = r >= 0 ? 1 : -1;
    }
  } else if (conf.loss === "LogLikelyhood") {
    for (let i = 0; i < n; i++) {
      const twoY = f(2 * (y[i] as number));
      target[i] = f(twoY / f(1 + f(Math.exp(f(twoY * (predicted[i] as number))))));
    }
  } else {
    for (let i = 0; i < n; i++) target[i] = f((y[i] as number) - (predicted[i] as number));
  }
}

/**
 * The node's samples in gbdt-rs's node order: sample k is `ids[offset + step · k]` (the root lists
 * its rows directly; other nodes read the ids of their parent's split feature, stored in pairs).
 */
interface NodeView {
  ids: Int32Array;
  offset: number;
  step: number;
  count: number;
}

/** calculate_pred over the node's samples, summed in node order (weights are 1). */
function leafValue(conf: GbdtConfig, w: Work, v: NodeView): number {
  const { ids, offset, step, count } = v;
  if (conf.loss === "LAD") {
    const r = w.scratch.subarray(0, count);
    for (let k = 0; k < count; k++) r[k] = w.residual[ids[offset + step * k] as number] as number;
    r.sort();
    // lad_optimal_value: first i with 2·(i+1) > count, then the mean of r[i-1] and r[i].
    const i = Math.floor(count / 2);
    if (count === 0) return 0;
    return i >= 1 ? f(f((r[i] as number) + (r[i - 1] as number)) / 2) : (r[0] as number);
  }
  const sArr = w.s;
  let s = 0;
  let c = 0;
  if (conf.loss === "LogLikelyhood") {
    for (let k = 0; k < count; k++) {
      const t = sArr[ids[offset + step * k] as number] as number;
      s += t;
      const a = Math.abs(t);
      c += f(a * (2 - a)); // logit_c, stored as f32 by gbdt-rs
    }
  } else {
    for (let k = 0; k < count; k++) s += sArr[ids[offset + step * k] as number] as number;
    c = count; // the sum of `count` weights of 1.0, exactly
  }
  return Math.abs(c) < 1e-10 ? 0 : f(s / c);
}

function sameTarget(w: Work, v: NodeView): boolean {
  const { ids, offset, step, count } = v;
  if (count === 0) return false;
  const t0 = w.s[ids[offset] as number] as number;
  for (let k = 1; k < count; k++) {
    if (!(Math.abs(f(t0 - (w.s[ids[offset + step * k] as number] as number))) < 1e-5)) return false;
  }
  return true;
}

export function candidateFeatures(conf: GbdtConfig): number[] {
  const all = Array.from({ length: conf.feature_size }, (_, i) => i);
  if (conf.feature_sample_ratio >= 1) return all;
  for (let i = all.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [all[i], all[j]] = [all[j] as number, all[i] as number];
  }
  return all.slice(0, Math.floor(conf.feature_sample_ratio * conf.feature_size));
}

interface Split {
  feature: number;
  value: number;
}

/** DecisionTree::split + get_impurity over the node segment [start, end). */
/** Nodes smaller than this are split on the main thread alone (a hand-off costs more). */
const PARALLEL_MIN_SAMPLES = 8192;

/** Σ s and Σ s² over the node's samples, in node order. */
function nodeSums(
  s: Float32Array,
  ids: Int32Array,
  offset: number,
  step: number,
  count: number,
  out: Float64Array,
): void {
  let sumS = 0;
  let sumSS = 0;
  for (let k = 0; k < count; k++) {
    const t = s[ids[offset + step * k] as number] as number;
    sumS += t;
    sumSS += t * t;
  }
  out[0] = sumS;
  out[1] = sumSS;
}

function findSplit(
  conf: GbdtConfig,
  w: Work,
  bankIndex: number,
  start: number,
  end: number,
  v: NodeView,
): Split | undefined {
  // ImpurityCache sums, in node order (recomputed per feature in gbdt-rs, to the same values).
  const count = v.count;
  nodeSums(w.s, v.ids, v.offset, v.step, count, w.scratchSplit);
  const sumS = w.scratchSplit[0] as number;
  const sumSS = w.scratchSplit[1] as number;
  const sumC = count;
  const candidates = candidateFeatures(conf);
  if (w.pool && count >= PARALLEL_MIN_SAMPLES)
    return w.pool.split(bankIndex, start, end, sumS, sumSS, sumC, candidates);
  const bank = w.banks[bankIndex] as Bank;
  let best = Number.MAX_VALUE;
  let found: Split | undefined;
  for (const feature of candidates) {
    featureImpurity(
      bank.ids[feature] as Int32Array,
      bank.vals[feature] as Float32Array,
      w.s,
      start,
      end,
      sumS,
      sumSS,
      sumC,
      w.scratchSplit,
    );
    const impurity = w.scratchSplit[0] as number;
    if (best > impurity) {
      best = impurity;
      found = { feature, value: w.scratchSplit[1] as number };
    }
  }
  return found;
}

/**
 * Scatters the node's segment of each feature from bank `from` into bank `to`: lefts, then rights,
 * then missing, each in sorted order. With `onlyFeature`, just that feature moves (children that
 * are certain to be leaves need only their sample order).
 */
function partition(
  w: Work,
  from: number,
  to: number,
  start: number,
  nLeft: number,
  nRight: number,
  end: number,
  onlyFeature: number,
): void {
  if (w.pool && onlyFeature < 0 && end - start >= PARALLEL_MIN_SAMPLES)
    return w.pool.partition(from, to, start, nLeft, nRight, end);
  const a = w.banks[from] as Bank;
  const o = w.banks[to] as Bank;
  for (let feature = 0; feature < w.cols; feature++) {
    if (onlyFeature >= 0 && feature !== onlyFeature) continue;
    partitionFeature(w.side, a.ids[feature]!, o.ids[feature]!, start, nLeft, nRight, end);
  }
}

const sideCounts = new Int32Array(3);

/** Marks each sample of the split feature's segment left (0), right (1) or missing (2). */
function markSides(
  side: Uint8Array,
  ids: Int32Array,
  vals: Float32Array,
  start: number,
  end: number,
  value: number,
): Int32Array {
  let nLeft = 0;
  let nRight = 0;
  let nMissing = 0;
  for (let k = start; k < end; k++) {
    const v = vals[2 * k + 1] as number;
    const id = ids[2 * k] as number;
    if (v === F32_MIN) {
      side[id] = 2;
      nMissing++;
    } else if (v < value) {
      side[id] = 0;
      nLeft++;
    } else {
      side[id] = 1;
      nRight++;
    }
  }
  sideCounts[0] = nLeft;
  sideCounts[1] = nRight;
  sideCounts[2] = nMissing;
  return sideCounts;
}

/**
 * DecisionTree::fit_node. The node's samples are the segment [start, end) of every feature's sorted
 * order; `orderFeature` names the feature whose segment lists them in gbdt-rs's node order (-1:
 * the root, in row order, held in `rootOrder`).
 */
function fitNode(
  conf: GbdtConfig,
  w: Work,
  b: Builder,
  node: number,
  depth: number,
  start: number,
  end: number,
  orderFeature: number,
  rootOrder: Int32Array,
): void {
  const count = end - start;
  const bankIndex = depth & 1;
  const bank = w.banks[bankIndex] as Bank;
  const view: NodeView =
    orderFeature < 0
      ? { ids: rootOrder, offset: 0, step: 1, count }
      : { ids: bank.ids[orderFeature] as Int32Array, offset: 2 * start, step: 2, count };
  const pred = leafValue(conf, w, view);
  b.pred[node] = pred;
  const makeLeaf = (): void => {
    b.isLeaf[node] = 1;
    const { ids, offset, step } = view;
    for (let k = 0; k < count; k++) w.preds[ids[offset + step * k] as number] = pred;
  };
  if (depth >= conf.max_depth || sameTarget(w, view) || count <= conf.min_leaf_size) return makeLeaf();

  const split = findSplit(conf, w, bankIndex, start, end, view);
  if (split === undefined) return makeLeaf();
  const counts = markSides(
    w.side,
    bank.ids[split.feature] as Int32Array,
    bank.vals[split.feature] as Float32Array,
    start,
    end,
    split.value,
  );
  const nLeft = counts[0] as number;
  const nRight = counts[1] as number;
  const nMissing = counts[2] as number;
  if ((nLeft === 0 ? 1 : 0) + (nRight === 0 ? 1 : 0) + (nMissing === 0 ? 1 : 0) >= 2) return makeLeaf();
  b.featureIndex[node] = split.feature;
  b.featureValue[node] = split.value;
  const childrenAreLeaves = depth + 1 >= conf.max_depth;
  partition(w, bankIndex, bankIndex ^ 1, start, nLeft, nRight, end, childrenAreLeaves ? split.feature : -1);
  const leftNode = addNode(b);
  b.left[node] = leftNode;
  fitNode(conf, w, b, leftNode, depth + 1, start, start + nLeft, split.feature, rootOrder);
  const rightNode = addNode(b);
  b.right[node] = rightNode;
  fitNode(conf, w, b, rightNode, depth + 1, start + nLeft, start + nLeft + nRight, split.feature, rootOrder);
}

/** Each feature's samples as interleaved (id, value) pairs in ascending value order. */
export function sortedColumns(data: TrainingData): Int32Array[] {
  const n = data.rows;
  const out: Int32Array[] = [];
  // One native sort per feature over 64-bit keys: the f32 value's bits made order-preserving in the
  // high half, the row in the low half (so ties are ordered by row; see the note at the top).
  const keys = new BigUint64Array(n);
  const bits = new Uint32Array(1);
  const fl = new Float32Array(bits.buffer);
  for (let j = 0; j < data.features; j++) {
    const column = data.x.subarray(j * n, (j + 1) * n);
    for (let i = 0; i < n; i++) {
      fl[0] = column[i] as number;
      const b = bits[0] as number;
      const ordered = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0;
      keys[i] = (BigInt(ordered) << 32n) | BigInt(i);
    }
    keys.sort();
    const pairs = new Int32Array(2 * n);
    const pairVals = new Float32Array(pairs.buffer);
    for (let i = 0; i < n; i++) {
      const id = Number((keys[i] as bigint) & 0xffffffffn);
      pairs[2 * i] = id;
      pairVals[2 * i + 1] = column[id] as number;
    }
    out.push(pairs);
  }
  return out;
}

export function treeFromBuilder(b: Builder): Tree {
  const n = b.pred.length;
  return {
    featureIndex: Int32Array.from(b.featureIndex),
    featureValue: Float32Array.from(b.featureValue),
    pred: Float32Array.from(b.pred),
    missing: new Int8Array(n),
    isLeaf: Uint8Array.from(b.isLeaf),
    left: Int32Array.from(b.left),
    right: Int32Array.from(b.right),
  };
}

export function predictTree(tree: Tree, data: TrainingData, row: number): number {
  let node = 0;
  while (tree.isLeaf[node] === 0) {
    const x = data.x[(tree.featureIndex[node] as number) * data.rows + row] as number;
    if (x === F32_MIN) {
      if (tree.missing[node] === 0) break;
      node = (tree.missing[node] === -1 ? tree.left[node] : tree.right[node]) as number;
    } else node = (x < (tree.featureValue[node] as number) ? tree.left[node] : tree.right[node]) as number;
  }
  return tree.pred[node] as number;
}

export interface TrainOptions {
  /** Stops training between trees once aborted. */
  signal?: AbortSignal;
  /** Threads to use (the main one included); 1 keeps everything on the calling thread. */
  threads?: number;
}

/**
 * Threads for training by default: helpers only where they leave a core for the rest of the
 * platform (on two cores a helper competes with the services' own event loops).
 */
export function defaultTrainingThreads(cores = availableParallelism()): number {
  return cores >= 4 ? Math.min(4, cores - 1) : 1;
}

/** Problems smaller than this (rows × features) are trained on one thread. */
const PARALLEL_MIN_VALUES = 1_000_000;

/** GBDT::fit. Between trees it yields to the event loop. */
export async function trainGbdt(
  conf: GbdtConfig,
  data: TrainingData,
  options: TrainOptions = {},
): Promise<GbdtModel> {
  const n = data.rows;
  const cols = data.features;
  const threads = Math.min(options.threads ?? 1, cols);
  const pool =
    threads > 1 && n * cols >= PARALLEL_MIN_VALUES ? await TrainingPool.create(n, cols, threads) : undefined;
  try {
    return await fit(conf, data, pool, options.signal);
  } finally {
    await pool?.close();
  }
}

async function fit(
  conf: GbdtConfig,
  data: TrainingData,
  pool: TrainingPool | undefined,
  signal: AbortSignal | undefined,
): Promise<GbdtModel> {
  const n = data.rows;
  const cols = data.features;
  const sorted = sortedColumns(data);
  const target = pool?.s ?? new Float32Array(n);
  const w: Work = {
    cols,
    target,
    residual: new Float32Array(n),
    s: target,
    preds: new Float32Array(n).fill(F32_MIN),
    banks: pool?.banks ?? [
      makeBank(new ArrayBuffer(n * cols * 8), n, cols),
      makeBank(new ArrayBuffer(n * cols * 8), n, cols),
    ],
    pool,
    scratchSplit: new Float64Array(2),
    side: pool?.side ?? new Uint8Array(n),
    scratch: new Float32Array(n),
  };
  const model: GbdtModel = { conf, trees: [], bias: bias(conf, data.y) };
  const predicted = new Float32Array(n).fill(model.bias);
  const nrSamples = conf.data_sample_ratio < 1 ? Math.floor(n * conf.data_sample_ratio) : n;
  const inSubset = new Uint8Array(n);

  for (let iter = 0; iter < conf.iterations; iter++) {
    await nextTurn();
    if (signal?.aborted) throw new FunctionError("FAILED", "training was cancelled");
    inSubset.fill(1);
    if (nrSamples < n) {
      const perm = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        const t = perm[i] as number;
        perm[i] = perm[j] as number;
        perm[j] = t;
      }
      inSubset.fill(0);
      for (let i = 0; i < nrSamples; i++) inSubset[perm[i] as number] = 1;
    }
    updateTargets(conf, data.y, predicted, w.target, w.residual);
    // Each feature's root segment: the subset's samples in value order.
    for (let j = 0; j < cols; j++) {
      const src = sorted[j] as Int32Array;
      const dst = w.banks[0].ids[j] as Int32Array;
      if (nrSamples === n) {
        dst.set(src);
      } else {
        let k = 0;
        for (let i = 0; i < n; i++) {
          const id = src[2 * i] as number;
          if (inSubset[id] === 1) {
            dst[2 * k] = id;
            dst[2 * k + 1] = src[2 * i + 1] as number;
            k++;
          }
        }
      }
    }
    const count = nrSamples;
    const rootOrder = new Int32Array(nrSamples);
    for (let i = 0, k = 0; i < n; i++) if (inSubset[i] === 1) rootOrder[k++] = i;
    const b: Builder = { featureIndex: [], featureValue: [], pred: [], isLeaf: [], left: [], right: [] };
    fitNode(conf, w, b, addNode(b), 0, 0, count, -1, rootOrder);
    const tree = treeFromBuilder(b);
    model.trees.push(tree);
    const shrinkage = conf.shrinkage;
    for (let i = 0; i < n; i++) {
      const p = inSubset[i] === 1 ? (w.preds[i] as number) : predictTree(tree, data, i);
      predicted[i] = (predicted[i] as number) + f(p * shrinkage);
    }
  }
  return model;
}
