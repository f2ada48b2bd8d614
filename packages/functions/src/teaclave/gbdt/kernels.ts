// The per-feature inner loops of gbdt-rs training, shared by the main thread and the helper
// workers (each thread runs them on its own features; the arithmetic is identical either way).
//
// A feature's node segment is stored as interleaved pairs in one 32-bit array: word 2k is the
// sample id, word 2k+1 the f32 feature value (read through a Float32Array view of the same memory).
// One stream per feature halves the memory traffic of the separate arrays it replaced; targets are
// read by id from `s` (rows × f32, small enough to stay in cache).
import { F32_MIN } from "./model.js";

const f = Math.fround;

/**
 * DecisionTree::get_impurity for one feature over the node segment [start, end). Writes the lowest
 * impurity and its split value into `out[0..2]` (impurity Number.MAX_VALUE when the feature cannot
 * split the node). `s` holds each sample's s = target · weight (weights are 1).
 */
export function featureImpurity(
  ids: Int32Array,
  vals: Float32Array,
  s: Float32Array,
  start: number,
  end: number,
  sumS: number,
  sumSS: number,
  sumC: number,
  out: Float64Array,
): void {
  out[0] = Number.MAX_VALUE;
  out[1] = F32_MIN;
  let k = start;
  let us = 0;
  let uss = 0;
  while (k < end && vals[2 * k + 1] === F32_MIN) {
    const a = s[ids[2 * k] as number] as number;
    us += a;
    uss += a * a;
    k++;
  }
  if (k === end) return;
  // Weights are 1, so the weight sums are counts (exact in double, as gbdt-rs's sums of 1.0).
  const uc = k - start;
  let fitness0 = uc > 1 ? uss - (us * us) / uc : 0;
  if (fitness0 < 0) fitness0 = 0;
  let rs = sumS - us;
  let rss = sumSS - uss;
  let rc = sumC - uc;
  let ls = 0;
  let lss = 0;
  let lc = 0;
  let impurity = Number.MAX_VALUE;
  let value = F32_MIN;
  let f2 = vals[2 * k + 1] as number;
  for (let i = k; i < end - 1; i++) {
    const a = s[ids[2 * i] as number] as number;
    const b = a * a; // ss = target · (target · weight), as TrainingCache computes it
    ls += a;
    lss += b;
    lc += 1;
    rs -= a;
    rss -= b;
    rc -= 1;
    const f1 = f2;
    f2 = vals[2 * i + 3] as number;
    // almost_equal: |f1 - f2| < 1e-5 in f32 (the cheap bounds skip the rounding when clear).
    const d = f1 - f2;
    if (d > -1.0001e-5 && d < 1.0001e-5 && Math.abs(f(d)) < 1e-5) continue;
    let fitness1 = lc > 1 ? lss - (ls * ls) / lc : 0;
    if (fitness1 < 0) fitness1 = 0;
    let fitness2 = rc > 1 ? rss - (rs * rs) / rc : 0;
    if (fitness2 < 0) fitness2 = 0;
    const fitness = fitness0 + fitness1 + fitness2;
    if (impurity > fitness) {
      impurity = fitness;
      value = f(f(f1 + f2) / 2);
    }
  }
  out[0] = impurity;
  out[1] = value;
}

/**
 * Scatters one feature's node segment from `from` to `to` (interleaved pairs, copied as raw bits):
 * lefts, then rights, then missing (side 0, 1, 2), each keeping its sorted order.
 */
export function partitionFeature(
  side: Uint8Array,
  from: Int32Array,
  to: Int32Array,
  start: number,
  nLeft: number,
  nRight: number,
  end: number,
): void {
  let l = start;
  let r = start + nLeft;
  let m = start + nLeft + nRight;
  for (let k = start; k < end; k++) {
    const id = from[2 * k] as number;
    const bits = from[2 * k + 1] as number;
    const sd = side[id] as number;
    let pos: number;
    if (sd === 2) {
      pos = m++; // missing: rare
    } else {
      // Branch-free choice between the left and right cursors: the side of consecutive samples
      // is random in this feature's order, so a branch would mispredict half the time.
      pos = l + sd * (r - l);
      l += 1 - sd;
      r += sd;
    }
    to[2 * pos] = id;
    to[2 * pos + 1] = bits;
  }
}
