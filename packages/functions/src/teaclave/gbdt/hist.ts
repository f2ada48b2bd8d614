// A histogram fast path for gbdt-rs training (MesaTEE's `split_finding: "histogram"`). Everything
// but split finding is gbdt-rs's: the losses, the initial bias, the leaf values (mean, logit step,
// LAD's median rule), the stopping rules, the tree layout and the model format. Split finding looks
// only at bin boundaries: each feature's sorted values are cut into at most 255 bins (one bin per
// distinct value when there are that few; gbdt-rs never splits between values closer than 1e-5, and
// neither do bins), a node's per-bin sums are built once (the larger child's as parent minus the
// smaller child's), and the split value is the f32 midpoint between the neighbouring bins' values.
// Differences from the exact path: with more than 255 distinct values a feature offers fewer
// candidate splits, and sums are added in a different order, so models are close but not
// byte-identical; with at most 255 distinct values per feature the candidate splits are the same.
import { setImmediate as nextTurn } from "node:timers/promises";
import { FunctionError } from "../../types.js";
import { F32_MIN, type GbdtConfig, type GbdtModel } from "./model.js";
import {
  addNode,
  bias,
  candidateFeatures,
  predictTree,
  sortedColumns,
  treeFromBuilder,
  updateTargets,
  type Builder,
  type TrainingData,
} from "./train.js";

const f = Math.fround;
/** Bins per feature; bin index MAX_BINS marks a missing value, so codes fit in a byte. */
export const MAX_BINS = 255;

interface Binning {
  /** column-major bin of each (feature, row); `bins[j]` (one past the last bin) marks a missing value */
  code: Uint8Array;
  bins: Int32Array;
  /** per feature × MAX_BINS: smallest and largest value in the bin */
  lo: Float32Array;
  hi: Float32Array;
}

function binColumns(data: TrainingData): Binning {
  const n = data.rows;
  const F = data.features;
  const code = new Uint8Array(n * F);
  const bins = new Int32Array(F);
  const lo = new Float32Array(F * MAX_BINS);
  const hi = new Float32Array(F * MAX_BINS);
  const sorted = sortedColumns(data);
  for (let j = 0; j < F; j++) {
    const pairs = sorted[j] as Int32Array;
    const values = new Float32Array(pairs.buffer);
    let missing = 0;
    while (missing < n && values[2 * missing + 1] === F32_MIN) missing++;
    // Group boundaries: where gbdt-rs could split (consecutive values not almost equal).
    let groups = missing < n ? 1 : 0;
    for (let i = missing + 1; i < n; i++)
      if (!(Math.abs(f((values[2 * i - 1] as number) - (values[2 * i + 1] as number))) < 1e-5)) groups++;
    const perBin = Math.max(1, Math.ceil((n - missing) / MAX_BINS));
    let bin = -1;
    let inBin = 0;
    for (let i = missing; i < n; i++) {
      const v = values[2 * i + 1] as number;
      const boundary = i === missing || !(Math.abs(f((values[2 * i - 1] as number) - v)) < 1e-5);
      // One bin per group when there are few groups; otherwise start a new bin at the first
      // boundary after a bin has its share of samples.
      if (boundary && (bin < 0 || groups <= MAX_BINS || inBin >= perBin) && bin < MAX_BINS - 1) {
        bin++;
        inBin = 0;
        lo[j * MAX_BINS + bin] = v;
      }
      hi[j * MAX_BINS + bin] = v;
      inBin++;
      code[j * n + (pairs[2 * i] as number)] = bin;
    }
    bins[j] = bin + 1;
    for (let i = 0; i < missing; i++) code[j * n + (pairs[2 * i] as number)] = bin + 1;
  }
  return { code, bins, lo, hi };
}

interface Work {
  conf: GbdtConfig;
  data: TrainingData;
  bin: Binning;
  target: Float32Array;
  residual: Float32Array;
  preds: Float32Array;
  ids: Int32Array;
  tmp: Int32Array;
  scratch: Float32Array;
  /** the node's targets in node order, gathered once per histogram */
  nodeTargets: Float64Array;
  /** per-bin counts over all rows (when every tree uses every row) */
  rootCounts: Float64Array | undefined;
  /** one histogram per depth: features × (MAX_BINS + 1) × (Σs, count) */
  hists: Float64Array[];
}

function histogramFor(w: Work, depth: number): Float64Array {
  let h = w.hists[depth];
  if (!h) {
    h = new Float64Array(w.data.features * (MAX_BINS + 1) * 2);
    w.hists[depth] = h;
  }
  return h;
}

/**
 * Per-bin sums and counts of the node's samples. Feature by feature, so each feature's 256 bins
 * stay in the L1 cache while the node's samples stream past.
 */
function buildHistogram(w: Work, h: Float64Array, start: number, end: number): void {
  const n = w.data.rows;
  const F = w.data.features;
  const { code } = w.bin;
  const { ids, target, nodeTargets } = w;
  const count = end - start;
  // The root of a tree grown on every row has the same counts each time: copy them, add only sums.
  const wholeRoot = count === n && w.rootCounts !== undefined;
  if (wholeRoot) h.set(w.rootCounts as Float64Array);
  else h.fill(0);
  for (let k = 0; k < count; k++) nodeTargets[k] = target[ids[start + k] as number] as number;
  for (let j = 0; j < F; j++) {
    const base = j * n;
    const hb = j * (MAX_BINS + 1) * 2;
    if (wholeRoot) {
      // ids are 0 … n-1 in order here, so codes are read sequentially.
      for (let k = 0; k < count; k++) {
        const at = hb + 2 * (code[base + k] as number);
        h[at] = (h[at] as number) + (nodeTargets[k] as number);
      }
      continue;
    }
    for (let k = 0; k < count; k++) {
      const at = hb + 2 * (code[base + (ids[start + k] as number)] as number);
      h[at] = (h[at] as number) + (nodeTargets[k] as number);
      h[at + 1] = (h[at + 1] as number) + 1;
    }
  }
}

/** Counts per bin over all rows, the same for every tree's root: sums zero, counts filled in. */
function rootCounts(w: Work): Float64Array {
  const n = w.data.rows;
  const F = w.data.features;
  const h = new Float64Array(F * (MAX_BINS + 1) * 2);
  for (let j = 0; j < F; j++) {
    const hb = j * (MAX_BINS + 1) * 2;
    for (let k = 0; k < n; k++) {
      const at = hb + 2 * (w.bin.code[j * n + k] as number) + 1;
      h[at] = (h[at] as number) + 1;
    }
  }
  return h;
}

function leafValue(w: Work, start: number, end: number): number {
  const { conf, ids, target } = w;
  const count = end - start;
  if (conf.loss === "LAD") {
    const r = w.scratch.subarray(0, count);
    for (let k = 0; k < count; k++) r[k] = w.residual[ids[start + k] as number] as number;
    r.sort();
    const i = Math.floor(count / 2);
    if (count === 0) return 0;
    return i >= 1 ? f(f((r[i] as number) + (r[i - 1] as number)) / 2) : (r[0] as number);
  }
  let s = 0;
  let c = 0;
  if (conf.loss === "LogLikelyhood") {
    for (let k = start; k < end; k++) {
      const t = target[ids[k] as number] as number;
      s += t;
      const a = Math.abs(t);
      c += f(a * (2 - a));
    }
  } else {
    for (let k = start; k < end; k++) s += target[ids[k] as number] as number;
    c = count;
  }
  return Math.abs(c) < 1e-10 ? 0 : f(s / c);
}

/**
 * The best bin boundary over the candidate features. gbdt-rs's impurity of a split is
 * Σ over sides of (Σs² − (Σs)²/count); the Σs² terms add up to the node's total whatever the split,
 * so the lowest impurity is the highest Σ (Σs)²/count, which needs only sums and counts per bin.
 * Ties go to the earlier boundary and the earlier feature, as in gbdt-rs.
 */
interface HistSplit {
  feature: number;
  value: number;
  /** the last bin on the left */
  lastBin: number;
}

function findSplit(w: Work, h: Float64Array): HistSplit | undefined {
  let best = -Infinity;
  let found: HistSplit | undefined;
  const { bins, lo, hi } = w.bin;
  for (const j of candidateFeatures(w.conf)) {
    const nb = bins[j] as number;
    const hb = j * (MAX_BINS + 1) * 2;
    let ts = 0;
    let tc = 0;
    for (let b = 0; b < nb; b++) {
      ts += h[hb + 2 * b] as number;
      tc += h[hb + 2 * b + 1] as number;
    }
    let ls = 0;
    let lc = 0;
    let last = -1;
    let gain = -Infinity;
    let value = F32_MIN;
    let lastBin = -1;
    for (let b = 0; b < nb; b++) {
      const c = h[hb + 2 * b + 1] as number;
      if (c === 0) continue;
      if (last >= 0) {
        const rs = ts - ls;
        const rc = tc - lc;
        const g = (ls * ls) / lc + (rc > 0 ? (rs * rs) / rc : 0);
        if (g > gain) {
          gain = g;
          value = f(f((hi[j * MAX_BINS + last] as number) + (lo[j * MAX_BINS + b] as number)) / 2);
          lastBin = last;
        }
      }
      ls += h[hb + 2 * b] as number;
      lc += c;
      last = b;
    }
    if (gain > best) {
      best = gain;
      found = { feature: j, value, lastBin };
    }
  }
  return found;
}

function sameTargets(w: Work, start: number, end: number): boolean {
  const { ids, target } = w;
  if (end <= start) return false;
  const t0 = target[ids[start] as number] as number;
  for (let k = start + 1; k < end; k++)
    if (!(Math.abs(f(t0 - (target[ids[k] as number] as number))) < 1e-5)) return false;
  return true;
}

function subtract(big: Float64Array, small: Float64Array): void {
  for (let i = 0; i < big.length; i++) big[i] = (big[i] as number) - (small[i] as number);
}

const sideCounts = new Int32Array(3);

/**
 * Stable partition of the node's ids into left, right, missing — by the comparison prediction uses
 * (value < split value). When the split value lies strictly above the left bin's largest value and
 * at most the next bin's smallest, comparing bin codes gives the same answer and reads a byte
 * instead of a float; otherwise (adjacent floats, where the midpoint rounds onto one of them) the
 * values themselves are compared.
 */
function partitionNode(w: Work, start: number, end: number, split: HistSplit): Int32Array {
  const { ids, tmp } = w;
  const n = w.data.rows;
  const j = split.feature;
  const missingBin = w.bin.bins[j] as number;
  const codes = w.bin.code.subarray(j * n, (j + 1) * n);
  const column = w.data.x.subarray(j * n, (j + 1) * n);
  const hiLeft = w.bin.hi[j * MAX_BINS + split.lastBin] as number;
  const byCode = hiLeft < split.value;
  let l = start;
  let t = 0;
  let nMissing = 0;
  for (let k = start; k < end; k++) {
    const id = ids[k] as number;
    const c = codes[id] as number;
    if (c === missingBin) {
      nMissing++;
      tmp[t++] = -1 - id;
    } else if (byCode ? c <= split.lastBin : (column[id] as number) < split.value) ids[l++] = id;
    else tmp[t++] = id;
  }
  let r = l;
  for (let k = 0; k < t; k++) if ((tmp[k] as number) >= 0) ids[r++] = tmp[k] as number;
  const nRight = r - l;
  for (let k = 0; k < t; k++) if ((tmp[k] as number) < 0) ids[r++] = -1 - (tmp[k] as number);
  sideCounts[0] = l - start;
  sideCounts[1] = nRight;
  sideCounts[2] = nMissing;
  return sideCounts;
}

function fitNode(
  w: Work,
  b: Builder,
  node: number,
  depth: number,
  start: number,
  end: number,
  h: Float64Array | undefined,
): void {
  const { conf, ids } = w;
  const count = end - start;
  const pred = leafValue(w, start, end);
  b.pred[node] = pred;
  const makeLeaf = (): void => {
    b.isLeaf[node] = 1;
    for (let k = start; k < end; k++) w.preds[ids[k] as number] = pred;
  };
  if (depth >= conf.max_depth || count <= conf.min_leaf_size) return makeLeaf();
  if (sameTargets(w, start, end)) return makeLeaf();

  let hist = h;
  if (!hist) {
    hist = histogramFor(w, depth);
    buildHistogram(w, hist, start, end);
  }
  const split = findSplit(w, hist);
  if (!split) return makeLeaf();
  const counts = partitionNode(w, start, end, split);
  const nLeft = counts[0] as number;
  const nRight = counts[1] as number;
  const nMissing = counts[2] as number;
  if ((nLeft === 0 ? 1 : 0) + (nRight === 0 ? 1 : 0) + (nMissing === 0 ? 1 : 0) >= 2) return makeLeaf();
  b.featureIndex[node] = split.feature;
  b.featureValue[node] = split.value;

  // Children's histograms: build the smaller child's, derive the other as parent minus it.
  let leftHist: Float64Array | undefined;
  let rightHist: Float64Array | undefined;
  if (depth + 1 < conf.max_depth && nMissing === 0) {
    const small = histogramFor(w, depth + 1);
    const big = hist;
    const smallIsLeft = nLeft <= nRight;
    buildHistogram(
      w,
      small,
      smallIsLeft ? start : start + nLeft,
      smallIsLeft ? start + nLeft : start + nLeft + nRight,
    );
    subtract(big, small);
    // `big` (this node's buffer) now holds the larger child's sums and `small` (the depth+1
    // buffer) the smaller child's. A subtree only writes buffers of its own depth and deeper, so
    // whichever child is fitted second still finds its sums intact.
    leftHist = smallIsLeft ? small : big;
    rightHist = smallIsLeft ? big : small;
  }
  const leftNode = addNode(b);
  b.left[node] = leftNode;
  fitNode(w, b, leftNode, depth + 1, start, start + nLeft, leftHist);
  const rightNode = addNode(b);
  b.right[node] = rightNode;
  fitNode(w, b, rightNode, depth + 1, start + nLeft, start + nLeft + nRight, rightHist);
}

/** GBDT::fit with histogram split finding. */
export async function trainGbdtHistogram(
  conf: GbdtConfig,
  data: TrainingData,
  signal?: AbortSignal,
): Promise<GbdtModel> {
  const n = data.rows;
  const w: Work = {
    conf,
    data,
    bin: binColumns(data),
    target: new Float32Array(n),
    residual: new Float32Array(n),
    preds: new Float32Array(n).fill(F32_MIN),
    ids: new Int32Array(n),
    tmp: new Int32Array(n),
    scratch: new Float32Array(n),
    nodeTargets: new Float64Array(n),
    rootCounts: undefined,
    hists: [],
  };
  const model: GbdtModel = { conf, trees: [], bias: bias(conf, data.y) };
  const predicted = new Float32Array(n).fill(model.bias);
  const nrSamples = conf.data_sample_ratio < 1 ? Math.floor(n * conf.data_sample_ratio) : n;
  if (nrSamples === n) w.rootCounts = rootCounts(w);
  const { randomInt } = await import("node:crypto");
  for (let iter = 0; iter < conf.iterations; iter++) {
    await nextTurn();
    if (signal?.aborted) throw new FunctionError("FAILED", "training was cancelled");
    const inSubset = new Uint8Array(n).fill(nrSamples < n ? 0 : 1);
    if (nrSamples < n) {
      const perm = Int32Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        const t = perm[i] as number;
        perm[i] = perm[j] as number;
        perm[j] = t;
      }
      for (let i = 0; i < nrSamples; i++) inSubset[perm[i] as number] = 1;
    }
    updateTargets(conf, data.y, predicted, w.target, w.residual);
    for (let i = 0, k = 0; i < n; i++) if (inSubset[i] === 1) w.ids[k++] = i;
    const b: Builder = { featureIndex: [], featureValue: [], pred: [], isLeaf: [], left: [], right: [] };
    fitNode(w, b, addNode(b), 0, 0, nrSamples, undefined);
    const tree = treeFromBuilder(b);
    model.trees.push(tree);
    for (let i = 0; i < n; i++) {
      const p = inSubset[i] === 1 ? (w.preds[i] as number) : predictTree(tree, data, i);
      predicted[i] = (predicted[i] as number) + f(p * conf.shrinkage);
    }
  }
  return model;
}
