import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  formatDebug,
  formatDisplay,
  formatDisplayF32,
  formatFixed,
  formatJsonF32,
  formatJsonF64,
} from "./rust-float.js";

test("{} and {:?} print the shortest round-trip digits of 0.1 + 0.2", () => {
  assert.equal(formatDisplay(0.1 + 0.2), "0.30000000000000004");
  assert.equal(formatDebug(0.1 + 0.2), "0.30000000000000004");
});

test("{} never uses an exponent while {:?} switches at 1e16 and below 1e-4", () => {
  assert.equal(formatDisplay(1e21), "1000000000000000000000");
  assert.equal(formatDebug(1e21), "1e21");
  assert.equal(formatDisplay(1e-7), "0.0000001");
  assert.equal(formatDebug(1e-7), "1e-7");
  assert.equal(formatDebug(1e16), "1e16");
  assert.equal(formatDebug(1e15), "1000000000000000.0");
  assert.equal(formatDebug(0.0001), "0.0001");
  assert.equal(formatDebug(0.00001), "1e-5");
  assert.equal(formatDebug(1.5e-7), "1.5e-7");
  assert.equal(formatDebug(-2.5e20), "-2.5e20");
  assert.equal(formatDebug(1.7976931348623157e308), "1.7976931348623157e308");
});

test("the smallest subnormal prints as 5e-324 in {:?} and in full in {}", () => {
  assert.equal(formatDebug(5e-324), "5e-324");
  assert.equal(formatDisplay(5e-324), `0.${"0".repeat(323)}5`);
});

test("{:?} keeps .0 on integral values and {} drops it; zero keeps its sign", () => {
  assert.equal(formatDebug(1), "1.0");
  assert.equal(formatDisplay(1), "1");
  assert.equal(formatDebug(-3), "-3.0");
  assert.equal(formatDebug(0), "0.0");
  assert.equal(formatDebug(-0), "-0.0");
  assert.equal(formatDisplay(-0), "-0");
  assert.equal(formatDebug(NaN), "NaN");
  assert.equal(formatDebug(Infinity), "inf");
  assert.equal(formatDisplay(-Infinity), "-inf");
});

test("{:.N} rounds the exact binary value half to even", () => {
  assert.equal(formatFixed(2.5, 0), "2");
  assert.equal(formatFixed(3.5, 0), "4");
  assert.equal(formatFixed(0.5, 0), "0");
  assert.equal(formatFixed(0.125, 2), "0.12");
  assert.equal(formatFixed(0.375, 2), "0.38");
  // 1.005 is stored as 1.00499999999999989…, so it rounds down whatever the tie rule.
  assert.equal(formatFixed(1.005, 2), "1.00");
  assert.equal(formatFixed(0.1, 20), "0.10000000000000000555");
  assert.equal(formatFixed(1e21, 1), "1000000000000000000000.0");
  assert.equal(formatFixed(-0.01, 1), "-0.0");
  assert.equal(formatFixed(2, 4), "2.0000");
  assert.equal(formatFixed(Math.fround(1.0000264645), 10), "1.0000264645");
  assert.equal(formatFixed(Math.fround(2.9999732971), 10), "2.9999732971");
});

test("serde_json writes f64 and f32 the way ryu does", () => {
  assert.equal(formatJsonF64(0.3), "0.3");
  assert.equal(formatJsonF64(1), "1.0");
  assert.equal(formatJsonF64(1e15), "1000000000000000.0");
  assert.equal(formatJsonF64(1e16), "1e16");
  assert.equal(formatJsonF64(1e17), "1e17");
  assert.equal(formatJsonF64(1.5e17), "1.5e17");
  assert.equal(formatJsonF64(0.00001), "0.00001");
  assert.equal(formatJsonF64(0.000001), "1e-6");
  assert.equal(formatJsonF64(-0.0), "-0.0");
  assert.equal(formatJsonF32(0.1), "0.1");
  assert.equal(formatJsonF32(1.1), "1.1");
  assert.equal(formatJsonF32(16777216), "16777216.0");
  assert.equal(formatJsonF32(1e12), "1000000000000.0");
  assert.equal(formatJsonF32(1e13), "1e13");
  assert.equal(formatJsonF32(0.000001), "0.000001");
  assert.equal(formatJsonF32(1e-7), "1e-7");
  assert.equal(formatJsonF32(3.4028234663852886e38), "3.4028235e38");
  assert.equal(formatJsonF32(1.401298464324817e-45), "1e-45");
  assert.equal(formatDisplayF32(0.1), "0.1");
});

// A deterministic spread of doubles and floats over many magnitudes.
function samples(count: number): number[] {
  let state = 0x2545f491;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const magnitude = Math.floor(next() * 40) - 20;
    out.push((next() - 0.3) * 10 ** magnitude);
  }
  return out;
}

test("fixed, shortest and f32-shortest digits agree with Python's exact formatting on 2000 values", () => {
  const values = samples(2000);
  const script = `
import sys, json, numpy as np
vals = json.loads(sys.stdin.read())
out = []
for v in vals:
    out.append(['%.6f' % v, '%.12f' % v, repr(v), np.format_float_positional(np.float32(v), unique=True, trim='-')])
print(json.dumps(out))
`;
  const stdout = execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(values) });
  const expected = JSON.parse(stdout.toString()) as [string, string, string, string][];
  values.forEach((v, i) => {
    const [f6, f12, repr, f32] = expected[i] as [string, string, string, string];
    assert.equal(formatFixed(v, 6), f6, `{:.6} of ${v}`);
    assert.equal(formatFixed(v, 12), f12, `{:.12} of ${v}`);
    // Python's repr chooses the same shortest digits; only the notation differs.
    assert.equal(Number(formatDebug(v)), Number(repr), `{:?} of ${v}`);
    assert.equal(
      formatDebug(v).replace(/e.*/, "").replace(/[-.]/g, "").replace(/^0+/, "").replace(/0+$/, ""),
      repr.replace(/e.*/, "").replace(/[-.]/g, "").replace(/^0+/, "").replace(/0+$/, ""),
      `digits of ${v}`,
    );
    assert.equal(formatDisplayF32(v), f32 === "-0" ? "-0" : f32, `f32 {} of ${v}`);
  });
});
