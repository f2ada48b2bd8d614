// The comparison step of PSI, written so that its control flow does not depend on the identifiers: the
// loop runs exactly na + nb times whatever the data, every comparison looks at all 8 words, and the compare
// result steers the merge only through arithmetic (masks and 0/1 increments), never through a branch.
// Words are compared as 16-bit halves so that `(x - y) >>> 31` is an exact, branch-free "x < y".
// What still depends on the data is which addresses are read and written (the merge position) — see psi.ts.
import { WORDS } from "./radix-sort.js";

/**
 * Sets `marks[i] = 1` for every key of the sorted list `a` that also occurs in the sorted list `b`
 * (leaves the other marks untouched). Both lists hold `WORDS` words per key, ascending.
 */
export function markCommon(a: Uint32Array, na: number, b: Uint32Array, nb: number, marks: Uint8Array): void {
  if (na === 0 || nb === 0) return;
  const lastA = na - 1;
  const lastB = nb - 1;
  let i = 0;
  let j = 0;
  for (let step = 0, steps = na + nb; step < steps; step++) {
    // 1 while the index is inside its list (sizes are below 2^30, so the subtraction cannot overflow).
    const inA = ((i - na) >> 31) & 1;
    const inB = ((j - nb) >> 31) & 1;
    // Past the end, read the last key instead (and ignore the outcome) rather than branch out of the loop.
    const maskA = -inA;
    const maskB = -inB;
    const ia = (i & maskA) | (lastA & ~maskA);
    const jb = (j & maskB) | (lastB & ~maskB);
    const pa = ia * WORDS;
    const pb = jb * WORDS;
    let lt = 0;
    let gt = 0;
    for (let w = 0; w < WORDS; w++) {
      const x = a[pa + w]!;
      const y = b[pb + w]!;
      const xh = x >>> 16;
      const yh = y >>> 16;
      const xl = x & 0xffff;
      const yl = y & 0xffff;
      let open = 1 ^ (lt | gt);
      lt |= open & ((xh - yh) >>> 31);
      gt |= open & ((yh - xh) >>> 31);
      open = 1 ^ (lt | gt);
      lt |= open & ((xl - yl) >>> 31);
      gt |= open & ((yl - xl) >>> 31);
    }
    marks[ia]! |= (1 ^ (lt | gt)) & inA & inB;
    // Advance in `a` while a[i] <= b[j] (so duplicates in `a` all meet their match) or once `b` is done.
    const stepA = (1 ^ gt) | (1 ^ inB);
    i += stepA;
    j += 1 ^ stepA;
  }
}

/**
 * The number of distinct keys among the marked ones of a sorted list, counted without branching on the
 * keys: a marked key counts when it differs from its predecessor.
 */
export function countDistinctMarked(a: Uint32Array, na: number, marks: Uint8Array): number {
  if (na === 0) return 0;
  let count = marks[0]! & 1;
  for (let i = 1; i < na; i++) {
    const p = i * WORDS;
    let diff = 0;
    for (let w = 0; w < WORDS; w++) {
      const x = (a[p + w]! ^ a[p - WORDS + w]!) | 0;
      diff |= (x | -x) >>> 31; // 1 iff x != 0
    }
    count += marks[i]! & diff;
  }
  return count;
}
