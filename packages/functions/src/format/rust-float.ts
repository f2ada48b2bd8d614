// Rust's float formatting, reproduced exactly. Teaclave's functions print numbers with Rust's `{}`,
// `{:?}`, `{:.N}` and serde_json (ryu); results are compared byte for byte, and JavaScript's own
// formatting differs (exponent thresholds, `.0`, `+` in exponents, round-half-up in toFixed).

/** Sign, integer mantissa and binary exponent of a finite double: |x| = mantissa · 2^exponent. */
function decompose(x: number): { negative: boolean; mantissa: bigint; exponent: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const negative = hi >>> 31 === 1;
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exponent: number;
  if (biased === 0) {
    exponent = -1074; // subnormal
  } else {
    mantissa |= 1n << 52n;
    exponent = biased - 1075;
  }
  return { negative, mantissa, exponent };
}

function signBit(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "inf";
  if (x === -Infinity) return "-inf";
  return undefined;
}

/**
 * Rust `{:.N}`: the exact binary value rounded to N decimals, ties to even. The sign of negative
 * values (and of -0.0) is kept even when the digits round to zero, as Rust does.
 */
export function formatFixed(x: number, decimals: number): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 1100)
    throw new RangeError(`decimals must be an integer in 0..1100, got ${decimals}`);
  const special = nonFinite(x);
  if (special !== undefined) return special;
  // Fast path: toFixed is exact but rounds ties away from zero. A tie shows as a 5 followed only by
  // zeros after the last kept digit; anything else (or a near-tie that merely looks like one at
  // this width) is decided correctly by toFixed or, for look-alikes, by the exact path below.
  if (x !== 0 && Math.abs(x) < 1e21 && decimals <= 60) {
    const wide = x.toFixed(decimals + 40);
    const tail = wide.slice(wide.length - 40);
    if (!/^50*$/.test(tail)) return x.toFixed(decimals);
  }
  const { negative, mantissa, exponent } = decompose(x);
  const scale = 10n ** BigInt(decimals);
  let q: bigint;
  if (exponent >= 0) {
    q = (mantissa << BigInt(exponent)) * scale;
  } else {
    const num = mantissa * scale;
    const den = 1n << BigInt(-exponent);
    q = num / den;
    const twice = (num % den) * 2n;
    if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  }
  let digits = q.toString();
  if (decimals > 0) {
    digits = digits.padStart(decimals + 1, "0");
    digits = `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  }
  return (negative ? "-" : "") + digits;
}

/** Shortest round-trip decimal digits of a finite, non-zero double: value = 0.d1d2… · 10^point. */
export interface Decimal {
  negative: boolean;
  digits: string;
  /** Position of the decimal point relative to the first digit (10^(point-1) <= |x| < 10^point). */
  point: number;
}

function shortestF64(x: number): Decimal {
  // toExponential() without an argument yields the shortest digits that round-trip, nearest to x.
  const [mant = "", exp = "0"] = Math.abs(x).toExponential().split("e");
  return { negative: signBit(x), digits: mant.replace(".", ""), point: Number(exp) + 1 };
}

/** Shortest decimal digits that read back (as f32) to the f32 value `x`; ties go to the nearest. */
export function shortestF32(x: number): Decimal {
  const value = Math.fround(x);
  const abs = Math.abs(value);
  for (let precision = 1; precision <= 9; precision++) {
    const [m = "", e = "0"] = abs.toExponential(precision - 1).split("e");
    const scaled = Number(m.replace(".", ""));
    const shift = Number(e) - (precision - 1);
    // Near powers of two the rounding interval is lopsided: the nearest p-digit number may miss it
    // while a neighbour hits it, so try both neighbours too. Exact ties go to the even digit (ryu).
    const hits = [scaled, scaled - 1, scaled + 1]
      .map((digits) => ({ digits, value: Number(`${digits}e${shift}`) }))
      .filter((c) => c.digits > 0 && Math.fround(c.value) === abs)
      .sort((a, b) => Math.abs(a.value - abs) - Math.abs(b.value - abs) || (a.digits % 2) - (b.digits % 2));
    const best = hits[0];
    if (best) {
      const text = String(best.digits);
      const digits = text.replace(/0+$/, "");
      return { negative: signBit(value), digits, point: text.length + shift };
    }
  }
  return shortestF64(value);
}

/** Plain decimal notation of shortest digits, with at least `minFraction` fractional digits. */
function plain(d: Decimal, minFraction: number): string {
  const { digits, point } = d;
  let intPart: string;
  let fracPart: string;
  if (point <= 0) {
    intPart = "0";
    fracPart = "0".repeat(-point) + digits;
  } else if (point >= digits.length) {
    intPart = digits + "0".repeat(point - digits.length);
    fracPart = "";
  } else {
    intPart = digits.slice(0, point);
    fracPart = digits.slice(point);
  }
  if (fracPart.length < minFraction) fracPart += "0".repeat(minFraction - fracPart.length);
  return (d.negative ? "-" : "") + intPart + (fracPart ? `.${fracPart}` : "");
}

/** Exponential notation as Rust's `{:e}` and ryu write it: `1e21`, `1.5e-7` (no `+`, no padding). */
function exponential(d: Decimal): string {
  const { digits, point } = d;
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${d.negative ? "-" : ""}${mant}e${point - 1}`;
}

function zero(x: number, text: string): string {
  return (signBit(x) ? "-" : "") + text;
}

/** Rust `{}` for f64: shortest round-trip digits, never an exponent, no `.0` for integers. */
export function formatDisplay(x: number): string {
  const special = nonFinite(x);
  if (special !== undefined) return special;
  if (x === 0) return zero(x, "0");
  return plain(shortestF64(x), 0);
}

/**
 * Rust `{:?}` for f64: like `{}` but integers keep `.0`, and magnitudes below 1e-4 or from 1e16 up
 * use exponential notation (`1e16`, `1e-7`, `5e-324`).
 */
export function formatDebug(x: number): string {
  const special = nonFinite(x);
  if (special !== undefined) return special;
  if (x === 0) return zero(x, "0.0");
  const abs = Math.abs(x);
  const d = shortestF64(x);
  if (abs < 1e-4 || abs >= 1e16) return exponential(d);
  return plain(d, 1);
}

/** Rust `{}` for f32 (shortest digits that round-trip as f32). */
export function formatDisplayF32(x: number): string {
  const v = Math.fround(x);
  const special = nonFinite(v);
  if (special !== undefined) return special;
  if (v === 0) return zero(v, "0");
  return plain(shortestF32(v), 0);
}

function ryu(d: Decimal, maxInt: number, minNeg: number): string {
  const kk = d.point;
  const k = kk - d.digits.length;
  if (0 <= k && kk <= maxInt) return plain(d, 1);
  if (0 < kk && kk <= maxInt) return plain(d, 0);
  if (minNeg < kk && kk <= 0) return plain(d, 0);
  return exponential(d);
}

/** serde_json's text for an f64 (ryu): `1.0`, `0.3`, `1e-7`, `1.5e21`. Non-finite → `null`. */
export function formatJsonF64(x: number): string {
  if (!Number.isFinite(x)) return "null";
  if (x === 0) return zero(x, "0.0");
  return ryu(shortestF64(x), 16, -5);
}

/** serde_json's text for an f32 (ryu's f32 rules: plain up to 13 integer digits, down to 1e-6). */
export function formatJsonF32(x: number): string {
  const v = Math.fround(x);
  if (!Number.isFinite(v)) return "null";
  if (v === 0) return zero(v, "0.0");
  return ryu(shortestF32(v), 13, -6);
}
