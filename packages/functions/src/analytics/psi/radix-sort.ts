// Sorting 256-bit identifiers held as 8 big-endian 32-bit words each (`keys[8 * i + w]`), without objects:
// an LSD radix sort (11-bit digits) on the first word, then, only inside runs that share that word, on the
// next word, and so on. Random hashes almost never share a 32-bit prefix, so one level usually sorts
// everything; adversarial inputs that share long prefixes cost at most 8 levels, never a quadratic sort.
// Not oblivious: which buckets are touched depends on the key values (see psi.ts).

export const WORDS = 8;
const SMALL_RUN = 24;

const TOP_BITS = 8;

/**
 * Sorts the `n` keys ascending, in place (stable), and returns the permutation from sorted position to
 * original position. The keys are first distributed by their top 8 bits into a staging copy, so that
 * the rest of the work (radix passes and the final gather) stays inside one small, cache-resident bucket.
 */
export function sortKeysInPlace(keys: Uint32Array, n: number): Uint32Array {
  const perm = new Uint32Array(n);
  if (n === 0) return perm;
  const buckets = 1 << TOP_BITS;
  const shift = 32 - TOP_BITS;
  const starts = new Uint32Array(buckets + 1);
  for (let i = 0; i < n; i++) starts[(keys[i * WORDS]! >>> shift) + 1]!++;
  for (let b = 0; b < buckets; b++) starts[b + 1]! += starts[b]!;
  const next = starts.slice(0, buckets);
  const stage = new Uint32Array(n * WORDS);
  const stageIndex = new Uint32Array(n);
  for (let i = 0, from = 0; i < n; i++) {
    const at = next[keys[from]! >>> shift]!++;
    for (let w = 0, to = at * WORDS; w < WORDS; w++) stage[to++] = keys[from++]!;
    stageIndex[at] = i;
  }
  const local = new Uint32Array(n);
  const scratch: Scratch = {
    words: new Uint32Array(n),
    tmpWords: new Uint32Array(n),
    tmpPerm: new Uint32Array(n),
    counts: new Uint32Array(4 * 2048),
  };
  for (let b = 0; b < buckets; b++) {
    const lo = starts[b]!;
    const hi = starts[b + 1]!;
    for (let k = lo; k < hi; k++) local[k] = k;
    sortRange(stage, local, lo, hi, 0, scratch);
    for (let k = lo; k < hi; k++) {
      const src = local[k]!;
      for (let w = 0, from = src * WORDS, to = k * WORDS; w < WORDS; w++) keys[to++] = stage[from++]!;
      perm[k] = stageIndex[src]!;
    }
  }
  return perm;
}

/** Index of the first key that is smaller than its predecessor, or -1 if the keys ascend. */
export function firstDescent(keys: Uint32Array, n: number): number {
  for (let i = 1; i < n; i++) if (compareKeys(keys, i - 1, keys, i, 0) > 0) return i;
  return -1;
}

interface Scratch {
  words: Uint32Array;
  tmpWords: Uint32Array;
  tmpPerm: Uint32Array;
  counts: Uint32Array;
}

function sortRange(
  keys: Uint32Array,
  perm: Uint32Array,
  lo: number,
  hi: number,
  word: number,
  s: Scratch,
): void {
  if (hi - lo <= SMALL_RUN) {
    insertionSort(keys, perm, lo, hi, word);
    return;
  }
  const words = s.words;
  for (let k = lo; k < hi; k++) words[k] = keys[perm[k]! * WORDS + word]!;
  radixSortWord(words, perm, lo, hi, s);
  if (word + 1 === WORDS) return;
  // Runs that share this word are ordered by the next one.
  let runStart = lo;
  for (let k = lo + 1; k <= hi; k++) {
    if (k < hi && words[k] === words[runStart]) continue;
    if (k - runStart > 1) sortRange(keys, perm, runStart, k, word + 1, s);
    runStart = k;
  }
}

// Digit layouts: 11-bit digits for large ranges, 8-bit digits for small ones (where clearing and summing
// 2048 counters would cost more than the keys).
const WIDE = [
  [0, 0x7ff],
  [11, 0x7ff],
  [22, 0x3ff],
] as const;
const NARROW = [
  [0, 0xff],
  [8, 0xff],
  [16, 0xff],
  [24, 0xff],
] as const;
const NARROW_BELOW = 4096;

/** Stable LSD radix sort of `words[lo, hi)` carrying `perm` along; the result is left in place. */
function radixSortWord(words: Uint32Array, perm: Uint32Array, lo: number, hi: number, s: Scratch): void {
  const digits = hi - lo < NARROW_BELOW ? NARROW : WIDE;
  const stride = digits === NARROW ? 256 : 2048;
  const counts = s.counts.fill(0, 0, digits.length * stride);
  for (let k = lo; k < hi; k++) {
    const w = words[k]!;
    for (let pass = 0; pass < digits.length; pass++) {
      const [shift, mask] = digits[pass]!;
      counts[pass * stride + ((w >>> shift) & mask)]!++;
    }
  }
  let src = words;
  let srcPerm = perm;
  let dst = s.tmpWords;
  let dstPerm = s.tmpPerm;
  const len = hi - lo;
  for (let pass = 0; pass < digits.length; pass++) {
    const [shift, mask] = digits[pass]!;
    const base = pass * stride;
    // A digit that is the same for every key needs no pass.
    if (counts[base + ((src[lo]! >>> shift) & mask)] === len) continue;
    let offset = lo;
    for (let d = 0; d <= mask; d++) {
      const c = counts[base + d]!;
      counts[base + d] = offset;
      offset += c;
    }
    for (let k = lo; k < hi; k++) {
      const w = src[k]!;
      const at = counts[base + ((w >>> shift) & mask)]!++;
      dst[at] = w;
      dstPerm[at] = srcPerm[k]!;
    }
    [src, dst] = [dst, src];
    [srcPerm, dstPerm] = [dstPerm, srcPerm];
  }
  if (src !== words) {
    words.set(src.subarray(lo, hi), lo);
    perm.set(srcPerm.subarray(lo, hi), lo);
  }
}

function insertionSort(keys: Uint32Array, perm: Uint32Array, lo: number, hi: number, word: number): void {
  for (let k = lo + 1; k < hi; k++) {
    const p = perm[k]!;
    let j = k - 1;
    while (j >= lo && compareKeys(keys, perm[j]!, keys, p, word) > 0) {
      perm[j + 1] = perm[j]!;
      j--;
    }
    perm[j + 1] = p;
  }
}

/** Lexicographic comparison of key `i` of `a` with key `j` of `b`, from word `from` on. */
export function compareKeys(a: Uint32Array, i: number, b: Uint32Array, j: number, from: number): number {
  for (let w = from; w < WORDS; w++) {
    const x = a[i * WORDS + w]!;
    const y = b[j * WORDS + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
