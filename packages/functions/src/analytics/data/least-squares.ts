// Least squares by Householder QR: min ‖A·w − b‖² for a tall matrix A. QR works on A itself rather than on
// AᵀA, so the conditioning is not squared as it is with the normal equations.

/**
 * Solves for `w` (length `p`), given A as `n` × `p` column-major (overwritten) and `b` (overwritten).
 * Returns undefined when A is rank-deficient: a diagonal entry of R is negligible next to the largest
 * (relative tolerance max(n, p)·ε, as LAPACK's least-squares drivers use by default).
 */
export function leastSquares(
  a: Float64Array,
  n: number,
  p: number,
  b: Float64Array,
): Float64Array | undefined {
  const diagonal = new Float64Array(p);
  for (let k = 0; k < p; k++) {
    const col = k * n;
    let norm = 0;
    for (let i = k; i < n; i++) norm += a[col + i]! * a[col + i]!;
    norm = Math.sqrt(norm);
    if (norm === 0) return undefined;
    // Reflect column k onto ∓‖x‖·e_k, choosing the sign that avoids cancellation.
    const alpha = a[col + k]! > 0 ? -norm : norm;
    a[col + k]! -= alpha;
    let vv = 0;
    for (let i = k; i < n; i++) vv += a[col + i]! * a[col + i]!;
    diagonal[k] = alpha;
    if (vv === 0) continue;
    for (let j = k + 1; j < p; j++) reflect(a, col, a, j * n, k, n, vv);
    reflect(a, col, b, 0, k, n, vv);
  }
  let largest = 0;
  for (const r of diagonal) largest = Math.max(largest, Math.abs(r));
  const tolerance = largest * Math.max(n, p) * Number.EPSILON;
  if (diagonal.some((r) => Math.abs(r) <= tolerance)) return undefined;
  const w = new Float64Array(p);
  for (let k = p - 1; k >= 0; k--) {
    let s = b[k]!;
    for (let j = k + 1; j < p; j++) s -= a[j * n + k]! * w[j]!;
    w[k] = s / diagonal[k]!;
  }
  return w;
}

/** y ← (I − 2·v·vᵀ/vᵀv)·y on rows k.., with v stored in rows k.. of column `vAt` of `v`. */
function reflect(
  v: Float64Array,
  vAt: number,
  y: Float64Array,
  yAt: number,
  k: number,
  n: number,
  vv: number,
): void {
  let dot = 0;
  for (let i = k; i < n; i++) dot += v[vAt + i]! * y[yAt + i]!;
  const scale = (2 * dot) / vv;
  for (let i = k; i < n; i++) y[yAt + i]! -= scale * v[vAt + i]!;
}
