// builtin-dbscan: density-based clustering. A point with at least `min_samples` points (itself included)
// within distance `eps` is a core point; clusters are the connected core points plus the points within eps
// of them; the rest is noise (label -1). Clusters are numbered, and border points shared by two clusters
// assigned, in the order scikit-learn's DBSCAN uses (by the index of each cluster's first core point).
//
// Neighbours are found through a grid of cells of side eps over (at most) the 3 widest dimensions: only
// the 3^g surrounding cells are searched, so the cost grows with the number of true neighbours rather than
// with n² — unless eps is so large that most points are neighbours of each other.
import { FunctionError, type BuiltinFunction, type FunctionContext } from "../types.js";
import { ArgReader } from "./common/args.js";
import { throwIfCancelled } from "./common/cancel.js";
import {
  checkFiles,
  DEFAULT_ANALYTICS_LIMITS,
  formatColumn,
  readTable,
  RESULT_FILE,
  TRAINING_DATA,
  type AnalyticsLimits,
} from "./common/estimator.js";
import type { Table } from "./data/table.js";

const NOISE = -1;
const GRID_DIMENSIONS = 3;

export interface DbscanResult {
  readonly labels: Int32Array;
  readonly clusters: number;
  readonly noise: number;
}

export function dbscan(data: Table, eps: number, minSamples: number, signal: AbortSignal): DbscanResult {
  const n = data.rows;
  const grid = new Grid(data, eps);
  const found = new Int32Array(n);
  // Work in grid order (points of a cell are adjacent in memory); `core` and `labels` are by grid position.
  const core = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    if ((p & 0xfff) === 0) throwIfCancelled(signal);
    core[p] = grid.neighbours(p, found, minSamples) >= minSamples ? 1 : 0;
  }
  const labels = new Int32Array(n).fill(NOISE);
  const stack = new Int32Array(n);
  let clusters = 0;
  // Clusters start from core points in input order, so that numbering and shared border points follow
  // scikit-learn.
  for (let start = 0; start < n; start++) {
    const s = grid.position[start]!;
    if (labels[s] !== NOISE || !core[s]) continue;
    throwIfCancelled(signal);
    let top = 0;
    labels[s] = clusters;
    stack[top++] = s;
    while (top > 0) {
      const p = stack[--top]!;
      const count = grid.neighbours(p, found, n);
      for (let f = 0; f < count; f++) {
        const q = found[f]!;
        if (labels[q] !== NOISE) continue;
        labels[q] = clusters;
        if (core[q]) stack[top++] = q;
      }
    }
    clusters++;
  }
  const byInput = new Int32Array(n);
  let noise = 0;
  for (let i = 0; i < n; i++) {
    byInput[i] = labels[grid.position[i]!]!;
    if (byInput[i] === NOISE) noise++;
  }
  return { labels: byInput, clusters, noise };
}

/**
 * The points sorted by the key of their grid cell, with their coordinates copied in that order; the
 * points of a cell are found by binary search on the sorted keys.
 */
class Grid {
  /** Grid position of each input row. */
  readonly position: Uint32Array;
  private readonly sizes: number[];
  private readonly keys: Float64Array;
  private readonly cells: Float64Array;
  private readonly x: Float64Array;
  private readonly d: number;
  private readonly eps2: number;
  private readonly offsets: Int8Array;

  constructor(data: Table, eps: number) {
    const { rows: n, cols: d, data: x } = data;
    this.d = d;
    this.eps2 = eps * eps;
    const ranges = Array.from({ length: d }, (_, j) => {
      let min = Infinity;
      let max = -Infinity;
      for (let i = 0; i < n; i++) {
        min = Math.min(min, x[i * d + j]!);
        max = Math.max(max, x[i * d + j]!);
      }
      return { j, min, cells: Math.floor((max - min) / eps) + 1 };
    });
    // The widest dimensions separate points best; their cell counts must multiply to an exact key.
    ranges.sort((a, b) => b.cells - a.cells || a.j - b.j);
    const chosen: typeof ranges = [];
    let product = 1;
    for (const r of ranges) {
      if (chosen.length === GRID_DIMENSIONS || !(r.cells > 1)) break;
      if (product * r.cells > Number.MAX_SAFE_INTEGER) continue;
      chosen.push(r);
      product *= r.cells;
    }
    const g = chosen.length;
    this.sizes = chosen.map((r) => r.cells);
    const cells = new Float64Array(n * g);
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let key = 0;
      let stride = 1;
      chosen.forEach((r, k) => {
        const cell = Math.min(Math.floor((x[i * d + r.j]! - r.min) / eps), r.cells - 1);
        cells[i * g + k] = cell;
        key += cell * stride;
        stride *= r.cells;
      });
      keys[i] = key;
    }
    const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
    this.position = new Uint32Array(n);
    this.keys = new Float64Array(n);
    this.cells = new Float64Array(n * g);
    this.x = new Float64Array(n * d);
    order.forEach((i, p) => {
      this.position[i] = p;
      this.keys[p] = keys[i]!;
      this.cells.set(cells.subarray(i * g, (i + 1) * g), p * g);
      this.x.set(x.subarray(i * d, (i + 1) * d), p * d);
    });
    // The 3^g offsets (-1, 0, 1 per grid dimension) of the neighbouring cells.
    this.offsets = new Int8Array(3 ** g * g);
    for (let c = 0; c < 3 ** g; c++)
      for (let k = 0, v = c; k < g; k++, v = Math.floor(v / 3)) this.offsets[c * g + k] = (v % 3) - 1;
  }

  /** Writes the grid positions of the points within eps of point p (p included) to `out`, up to `limit`. */
  neighbours(p: number, out: Int32Array, limit: number): number {
    const { d, x, eps2, keys, cells, sizes, offsets } = this;
    const g = sizes.length;
    let count = 0;
    for (let o = 0; o < offsets.length; o += g) {
      let key = 0;
      let stride = 1;
      let inside = true;
      for (let k = 0; k < g; k++) {
        const cell = cells[p * g + k]! + offsets[o + k]!;
        if (cell < 0 || cell >= sizes[k]!) inside = false;
        key += cell * stride;
        stride *= sizes[k]!;
      }
      if (!inside) continue;
      for (let q = lowerBound(keys, key); q < keys.length && keys[q] === key; q++) {
        let dist = 0;
        for (let c = 0; c < d; c++) {
          const diff = x[p * d + c]! - x[q * d + c]!;
          dist += diff * diff;
        }
        if (dist > eps2) continue;
        out[count++] = q;
        if (count >= limit) return count;
      }
    }
    return count;
  }
}

function lowerBound(keys: Float64Array, key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function createDbscanFunction(limits: AnalyticsLimits = DEFAULT_ANALYTICS_LIMITS): BuiltinFunction {
  return { name: "builtin-dbscan", run: (ctx) => runDbscan(ctx, limits) };
}

async function runDbscan(ctx: FunctionContext, limits: AnalyticsLimits): Promise<string> {
  const args = new ArgReader(ctx.args);
  // DBSCAN labels the rows it is given and has no model to apply to other rows: one mode only.
  args.choice("mode", ["train-predict"], "train-predict");
  const eps = args.number("eps", { default: 0.5, min: 0, exclusiveMin: true });
  const minSamples = args.integer("min_samples", { default: 5, min: 1, max: 1_000_000 });
  args.finish();
  checkFiles(ctx, "builtin-dbscan", { inputs: [TRAINING_DATA], outputs: [RESULT_FILE] });
  const data = await readTable(ctx, TRAINING_DATA, limits);
  if (!Number.isFinite(eps * eps)) throw new FunctionError("INVALID_ARGUMENT", "argument eps is too large");
  const { labels, clusters, noise } = dbscan(data, eps, minSamples, ctx.signal);
  await ctx.writeOutput(RESULT_FILE, formatColumn(Float64Array.from(labels)));
  return `Clustered ${data.rows} lines of data into ${clusters} clusters and ${noise} noise points.`;
}
