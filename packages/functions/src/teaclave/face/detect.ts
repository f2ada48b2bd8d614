// Viola–Jones face detection: integral images, a sliding window over growing window sizes, the
// cascade's stages with variance-normalised Haar features, then grouping of overlapping hits. The
// score of a face is the number of raw window hits merged into it.
import { FunctionError } from "../../types.js";
import type { Cascade } from "./cascade.js";

export interface DetectOptions {
  /** Smallest face (window) size in pixels, ≥ the cascade's 20. */
  minSize: number;
  /** Largest face size in pixels. */
  maxSize: number;
  /** Each window size is the previous one divided by this factor (0 < factor < 1). */
  pyramidScaleFactor: number;
  /** Window step in pixels at window size `stepBase`, scaled with the window. */
  stepX: number;
  stepY: number;
  stepBase: number;
  /** Minimum score (merged hits) of a reported face. */
  minScore: number;
}

export interface Face {
  x: number;
  y: number;
  width: number;
  height: number;
  score: number;
}

/** Integral image of `values` (w × h) and of their squares, each (w+1) × (h+1). */
function integrals(gray: Float64Array, w: number, h: number): { sum: Float64Array; sq: Float64Array } {
  const stride = w + 1;
  const sum = new Float64Array(stride * (h + 1));
  const sq = new Float64Array(stride * (h + 1));
  for (let y = 0; y < h; y++) {
    let rowSum = 0;
    let rowSq = 0;
    for (let x = 0; x < w; x++) {
      const v = gray[y * w + x] as number;
      rowSum += v;
      rowSq += v * v;
      sum[(y + 1) * stride + x + 1] = (sum[y * stride + x + 1] as number) + rowSum;
      sq[(y + 1) * stride + x + 1] = (sq[y * stride + x + 1] as number) + rowSq;
    }
  }
  return { sum, sq };
}

export function grayscale(rgba: Uint8Array, w: number, h: number): Float64Array {
  const gray = new Float64Array(w * h);
  for (let i = 0; i < w * h; i++)
    gray[i] =
      0.299 * (rgba[4 * i] as number) +
      0.587 * (rgba[4 * i + 1] as number) +
      0.114 * (rgba[4 * i + 2] as number);
  return gray;
}

/** Raw window hits at one window size. */
function scan(
  c: Cascade,
  sum: Float64Array,
  sq: Float64Array,
  w: number,
  h: number,
  size: number,
  stepX: number,
  stepY: number,
  out: Face[],
): void {
  const stride = w + 1;
  const scale = size / c.width;
  const inv = 1 / (size * size);
  const rectAt = (x: number, y: number, rw: number, rh: number): number =>
    (sum[(y + rh) * stride + x + rw] as number) -
    (sum[y * stride + x + rw] as number) -
    (sum[(y + rh) * stride + x] as number) +
    (sum[y * stride + x] as number);
  // Scaled rectangles do not depend on the window position: compute them once per size.
  const nr = c.rects.length / 5;
  const rx = new Int32Array(nr),
    ry = new Int32Array(nr),
    rw = new Int32Array(nr),
    rh = new Int32Array(nr);
  for (let r = 0; r < nr; r++) {
    rx[r] = Math.round((c.rects[5 * r] as number) * scale);
    ry[r] = Math.round((c.rects[5 * r + 1] as number) * scale);
    rw[r] = Math.round((c.rects[5 * r + 2] as number) * scale);
    rh[r] = Math.round((c.rects[5 * r + 3] as number) * scale);
  }
  for (let y = 0; y + size <= h; y += stepY) {
    for (let x = 0; x + size <= w; x += stepX) {
      const total = rectAt(x, y, size, size);
      const totalSq =
        (sq[(y + size) * stride + x + size] as number) -
        (sq[y * stride + x + size] as number) -
        (sq[(y + size) * stride + x] as number) +
        (sq[y * stride + x] as number);
      const mean = total * inv;
      const variance = totalSq * inv - mean * mean;
      const std = variance > 0 ? Math.sqrt(variance) : 1;
      let passed = true;
      for (let s = 0; s < c.stageThreshold.length && passed; s++) {
        let stageSum = 0;
        const first = c.stageFirstNode[s] as number;
        const last = first + (c.stageNodeCount[s] as number);
        for (let n = first; n < last; n++) {
          let featureSum = 0;
          const r0 = c.nodeFirstRect[n] as number;
          const r1 = r0 + (c.nodeRectCount[n] as number);
          for (let r = r0; r < r1; r++)
            featureSum +=
              (c.rects[5 * r + 4] as number) *
              rectAt(x + (rx[r] as number), y + (ry[r] as number), rw[r] as number, rh[r] as number);
          stageSum +=
            featureSum * inv < (c.nodeThreshold[n] as number) * std
              ? (c.nodeLeft[n] as number)
              : (c.nodeRight[n] as number);
        }
        if (stageSum < (c.stageThreshold[s] as number)) passed = false;
      }
      if (passed) out.push({ x, y, width: size, height: size, score: 1 });
    }
  }
}

/** Two hits belong to one face when all their edges lie within 20% of their mean size. */
function similar(a: Face, b: Face): boolean {
  const delta = 0.2 * (Math.min(a.width, b.width) + Math.min(a.height, b.height)) * 0.5;
  return (
    Math.abs(a.x - b.x) <= delta &&
    Math.abs(a.y - b.y) <= delta &&
    Math.abs(a.x + a.width - b.x - b.width) <= delta &&
    Math.abs(a.y + a.height - b.y - b.height) <= delta
  );
}

export function groupHits(hits: Face[], minScore: number): Face[] {
  const parent = hits.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  for (let i = 0; i < hits.length; i++)
    for (let j = i + 1; j < hits.length; j++)
      if (similar(hits[i] as Face, hits[j] as Face)) parent[find(i)] = find(j);
  const groups = new Map<number, Face[]>();
  hits.forEach((h, i) => {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), h]);
  });
  const faces: Face[] = [];
  for (const members of groups.values()) {
    if (members.length < minScore) continue;
    const avg = (k: "x" | "y" | "width" | "height") =>
      Math.round(members.reduce((s, m) => s + m[k], 0) / members.length);
    faces.push({
      x: avg("x"),
      y: avg("y"),
      width: avg("width"),
      height: avg("height"),
      score: members.length,
    });
  }
  // Drop a face lying inside a bigger one that has at least as many hits.
  const kept = faces.filter(
    (a) =>
      !faces.some(
        (b) =>
          b !== a &&
          b.score >= a.score &&
          b.width > a.width &&
          a.x >= b.x &&
          a.y >= b.y &&
          a.x + a.width <= b.x + b.width &&
          a.y + a.height <= b.y + b.height,
      ),
  );
  return kept.sort((a, b) => b.score - a.score || a.y - b.y || a.x - b.x);
}

/** Window sizes from minSize up to maxSize (and the image), growing by 1 / pyramidScaleFactor. */
export function windowSizes(o: DetectOptions, w: number, h: number): number[] {
  const sizes: number[] = [];
  const limit = Math.min(o.maxSize, w, h);
  for (let s = o.minSize; s <= limit; s /= o.pyramidScaleFactor) {
    const size = Math.floor(s);
    if (sizes[sizes.length - 1] !== size) sizes.push(size);
    if (sizes.length > 1000) break;
  }
  return sizes;
}

/** A bound on the windows one detection may evaluate (a few seconds of work). */
export const MAX_WINDOWS = 50_000_000;

function stepAt(step: number, size: number, base: number): number {
  return Math.max(1, Math.round((step * size) / base));
}

/** Detects faces; `yieldFn` runs between window sizes so a long scan can be cancelled. */
export async function detectFaces(
  c: Cascade,
  gray: Float64Array,
  w: number,
  h: number,
  o: DetectOptions,
  yieldFn: () => Promise<void>,
): Promise<Face[]> {
  const sizes = windowSizes(o, w, h);
  let windows = 0;
  for (const size of sizes)
    windows +=
      Math.ceil((w - size + 1) / stepAt(o.stepX, size, o.stepBase)) *
      Math.ceil((h - size + 1) / stepAt(o.stepY, size, o.stepBase));
  if (windows > MAX_WINDOWS)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `the scan would evaluate ${windows} windows (limit ${MAX_WINDOWS}); use larger steps, a larger min_face_size or a smaller pyramid_scale_factor`,
    );
  const { sum, sq } = integrals(gray, w, h);
  const hits: Face[] = [];
  for (const size of sizes) {
    await yieldFn();
    const stepX = stepAt(o.stepX, size, o.stepBase);
    const stepY = stepAt(o.stepY, size, o.stepBase);
    scan(c, sum, sq, w, h, size, stepX, stepY, hits);
  }
  return groupHits(hits, o.minScore);
}
