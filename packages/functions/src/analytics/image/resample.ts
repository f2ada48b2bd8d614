// Separable resampling: each output pixel is a normalised weighted sum of the source pixels under the
// filter, which is widened by the scale factor when shrinking (so that every source pixel contributes).
// The sample positions and windows are those of the Rust `image` crate's resize: output pixel o samples
// source position (o + 0.5)·ratio, over [floor(pos − support·s), ceil(pos + support·s)) clamped to the
// image, with weights kernel((i − pos + 0.5) / s) where s = max(ratio, 1). Unlike that crate, colours are
// weighted by alpha (premultiplied) so that transparent pixels do not bleed their colour into the result,
// and the intermediate image is kept in floating point; results are rounded to the nearest integer.
import type { Filter } from "./filters.js";
import type { Raster } from "./raster.js";

interface Taps {
  /** First source index of each output index. */
  readonly start: Int32Array;
  /** Number of weights of each output index. */
  readonly count: Int32Array;
  /** Weights, `stride` per output index. */
  readonly weights: Float64Array;
  readonly stride: number;
}

function taps(from: number, to: number, filter: Filter): Taps {
  const ratio = from / to;
  const scale = Math.max(ratio, 1);
  const support = filter.support * scale;
  const stride = Math.max(1, Math.ceil(2 * support) + 2);
  const start = new Int32Array(to);
  const count = new Int32Array(to);
  const weights = new Float64Array(to * stride);
  for (let o = 0; o < to; o++) {
    const center = (o + 0.5) * ratio;
    const left = Math.min(Math.max(Math.floor(center - support), 0), from - 1);
    const right = Math.min(Math.max(Math.ceil(center + support), left + 1), from);
    let sum = 0;
    for (let i = left; i < right; i++) {
      const w = filter.kernel((i - center + 0.5) / scale);
      weights[o * stride + i - left] = w;
      sum += w;
    }
    // A window whose weights cancel out (possible only for negative lobes at a border) falls back to the
    // nearest source pixel.
    if (Math.abs(sum) < 1e-12) {
      weights.fill(0, o * stride, (o + 1) * stride);
      const nearest = Math.min(Math.max(Math.floor(center), left), right - 1);
      weights[o * stride + nearest - left] = 1;
      sum = 1;
    }
    for (let i = left; i < right; i++) weights[o * stride + i - left]! /= sum;
    start[o] = left;
    count[o] = right - left;
  }
  return { start, count, weights, stride };
}

export function resample(image: Raster, width: number, height: number, filter: Filter): Raster {
  const { width: w0, height: h0, data } = image;
  // Premultiply: colour channels weighted by alpha.
  const source = new Float32Array(w0 * h0 * 4);
  for (let p = 0; p < w0 * h0 * 4; p += 4) {
    const a = data[p + 3]! / 255;
    source[p] = data[p]! * a;
    source[p + 1] = data[p + 1]! * a;
    source[p + 2] = data[p + 2]! * a;
    source[p + 3] = data[p + 3]!;
  }
  // Vertical pass first (as the image crate does), into a float image of w0 × height.
  const v = taps(h0, height, filter);
  const middle = new Float32Array(w0 * height * 4);
  for (let y = 0; y < height; y++) {
    const first = v.start[y]!;
    const base = y * v.stride;
    for (let t = 0; t < v.count[y]!; t++) {
      const wt = v.weights[base + t]!;
      if (wt === 0) continue;
      const row = (first + t) * w0 * 4;
      const out = y * w0 * 4;
      for (let k = 0; k < w0 * 4; k++) middle[out + k]! += wt * source[row + k]!;
    }
  }
  const h = taps(w0, width, filter);
  const result = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = y * w0 * 4;
    for (let x = 0; x < width; x++) {
      const first = h.start[x]!;
      const base = x * h.stride;
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let t = 0; t < h.count[x]!; t++) {
        const wt = h.weights[base + t]!;
        const p = row + (first + t) * 4;
        r += wt * middle[p]!;
        g += wt * middle[p + 1]!;
        b += wt * middle[p + 2]!;
        a += wt * middle[p + 3]!;
      }
      const out = (y * width + x) * 4;
      const alpha = Math.min(Math.max(a, 0), 255);
      const unpremultiply = alpha > 0 ? 255 / alpha : 0;
      result[out] = clampByte(r * unpremultiply);
      result[out + 1] = clampByte(g * unpremultiply);
      result[out + 2] = clampByte(b * unpremultiply);
      result[out + 3] = clampByte(alpha);
    }
  }
  return { width, height, data: result };
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
