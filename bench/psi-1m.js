#!/usr/bin/env node
// builtin-psi on 1M × 1M random 32-byte identifiers (half of them common) against a plain sort-merge in C
// (bench/psi-reference.c, qsort + memcmp, compiled here with `cc -O2`), on the same data in the same run.
// Every result is checked to be identical to C's. Needs the functions package built (npx tsc -b packages/functions).
//   node bench/psi-1m.js [identifiers per party] [runs]
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createMemoryContext, findBuiltin } from "@mesatee/functions";

const n = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "psi-bench-"));
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

try {
  const one = randomBytes(n * 32);
  const two = randomBytes(n * 32);
  one.copy(two, 0, 0, (n / 2) * 32); // the first half of party 1 is common, at the start of party 2
  const hex = (buf) => {
    const lines = new Array(n);
    for (let i = 0; i < n; i++) lines[i] = buf.toString("hex", i * 32, i * 32 + 32);
    return Buffer.from(lines.join("\n"));
  };
  const files = ["in1", "in2", "out1", "out2"].map((f) => join(dir, f));
  writeFileSync(files[0], one);
  writeFileSync(files[1], two);

  const exe = join(dir, "psi-reference");
  execFileSync("cc", ["-O2", "-o", exe, new URL("psi-reference.c", import.meta.url).pathname]);
  const cTimes = [];
  for (let r = 0; r < runs; r++) cTimes.push(Number(execFileSync(exe, files).toString().trim()));
  const cFlags = [readFileSync(files[2]).toString(), readFileSync(files[3]).toString()];

  const psi = findBuiltin("builtin-psi");
  const measure = async (format, a, b) => {
    const times = [];
    let flags;
    for (let r = 0; r < runs; r++) {
      const ctx = createMemoryContext({
        args: { identifier_format: format },
        inputs: { input_data1: a, input_data2: b },
        outputs: ["output_data1", "output_data2"],
        maxReadBytes: 1 << 30,
      });
      const start = performance.now();
      await psi.run(ctx);
      times.push(performance.now() - start);
      flags = [ctx.output("output_data1").toString(), ctx.output("output_data2").toString()];
    }
    if (flags[0] !== cFlags[0] || flags[1] !== cFlags[1]) throw new Error(`${format}: results differ from C`);
    return median(times);
  };
  const c = median(cTimes);
  const binary = await measure("binary", one, two);
  const [hexOne, hexTwo] = [hex(one), hex(two)];
  const hexTime = await measure("hex", hexOne, hexTwo);
  // The same lines as free text: every line is hashed with SHA-256 first; equal lines stay equal.
  const textTime = await measure("text", hexOne, hexTwo);
  console.log(`PSI ${n} × ${n} identifiers, median of ${runs} runs (results identical to the C reference)`);
  console.log(`  C sort-merge (qsort+memcmp, cc -O2), sort+merge only: ${c.toFixed(0)} ms`);
  console.log(
    `  builtin-psi binary, whole function: ${binary.toFixed(0)} ms  (ratio to C ${(binary / c).toFixed(2)})`,
  );
  console.log(
    `  builtin-psi hex lines, whole function: ${hexTime.toFixed(0)} ms  (ratio to C ${(hexTime / c).toFixed(2)})`,
  );
  console.log(
    `  builtin-psi text lines (SHA-256 each), whole function: ${textTime.toFixed(0)} ms  (ratio to C ${(textTime / c).toFixed(2)})`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
