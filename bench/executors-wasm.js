#!/usr/bin/env node
// The same C programs compiled natively (gcc -O2) and to WebAssembly (clang -O2, Teaclave's freestanding
// build), run both ways in the same run, alternating, on the same data; every result is checked to be
// identical. Native runs time entrypoint() inside a host that serves the five Teaclave host functions
// from memory (bench/executors/native-host.c); WebAssembly runs time the whole runUserFunction call
// (module checks, compilation, instantiation, argv placement, the run and the outputs), with the V8 flag
// the platform's WebAssembly isolates use (--no-liftoff: optimized code from the start).
// Needs the executors package built (npx tsc -b packages/executors), gcc and clang with wasm-ld.
//   node bench/executors-wasm.js [--lines 500000] [--mib 64] [--rounds 4] [--runs 5]
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createMemoryContext } from "@mesatee/functions";
import { runUserFunction } from "@mesatee/executors";
import { compileC } from "@mesatee/executors/testing";
import { machine, median, ms, option, run, table } from "./executors/common.js";

if (!process.execArgv.includes("--no-liftoff")) {
  const again = spawnSync(process.execPath, ["--no-liftoff", ...process.execArgv, ...process.argv.slice(1)], {
    stdio: "inherit",
  });
  process.exit(again.status ?? 1);
}

const lines = option("lines", 500_000);
const mib = option("mib", 64);
const rounds = option("rounds", 4);
const runs = option("runs", 5);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const testdata = here("../packages/executors/testdata/");
const dir = mkdtempSync(join(tmpdir(), "executors-wasm-"));

async function native(name, sources, defines = []) {
  const exe = join(dir, name);
  await run("gcc", [
    "-O2",
    ...defines,
    `-I${testdata}`,
    "-o",
    exe,
    here("executors/native-host.c"),
    ...sources,
  ]);
  return exe;
}

/** One workload: native and wasm alternately; returns medians and checks results match. */
async function compare(label, exe, wasm, args, inputs) {
  const files = Object.fromEntries(Object.keys(inputs).map((id) => [id, join(dir, `${label}-${id}`)]));
  for (const id of Object.keys(inputs)) writeFileSync(files[id], inputs[id]);
  const outputs = label === "psi" ? ["output_data1", "output_data2"] : ["output"];
  const nativeArgs = [
    ...Object.keys(args)
      .sort()
      .flatMap((k) => ["-a", k, String(args[k])]),
    ...Object.keys(files).flatMap((id) => ["-i", id, files[id]]),
    ...outputs.flatMap((id) => ["-o", id, join(dir, `${label}-${id}.native`)]),
  ];
  const nativeTimes = [];
  const wasmTimes = [];
  let nativeResult;
  let wasmResult;
  let wasmOutputs;
  for (let r = 0; r < runs; r++) {
    const { stdout } = await run(exe, nativeArgs, { maxBuffer: 1 << 20 });
    const parsed = JSON.parse(stdout);
    nativeTimes.push(parsed.ms);
    nativeResult = String(parsed.result);

    const ctx = createMemoryContext({ args, inputs, outputs, maxReadBytes: 1 << 30 });
    const start = performance.now();
    wasmResult = await runUserFunction({
      family: "wasm",
      payload: wasm,
      functionName: label,
      ctx,
      limits: { memoryMb: 4096, maxInputBytes: 1 << 30, maxOutputBytes: 1 << 30 },
    });
    wasmTimes.push(performance.now() - start);
    wasmOutputs = outputs.map((o) => ctx.output(o));
  }
  if (wasmResult !== nativeResult)
    throw new Error(`${label}: results differ (${wasmResult} vs ${nativeResult})`);
  outputs.forEach((o, i) => {
    if (!readFileSync(join(dir, `${label}-${o}.native`)).equals(wasmOutputs[i]))
      throw new Error(`${label}: ${o} differs`);
  });
  return { label, native: median(nativeTimes), wasm: median(wasmTimes) };
}

try {
  console.log(`WebAssembly vs native, median of ${runs} alternating runs; ${await machine()}`);
  // PSI: lines of 32 hex characters; half of party 1's items are also in party 2's set.
  const one = randomBytes(lines * 16);
  const two = randomBytes(lines * 16);
  one.copy(two, 0, 0, (lines / 2) * 16);
  const hexLines = (buf) =>
    Array.from({ length: lines }, (_, i) => buf.toString("hex", i * 16, i * 16 + 16)).join("\n") + "\n";
  const psi = await compare(
    "psi",
    await native("psi", [join(testdata, "psi.c")], ["-DPSI_NATIVE"]),
    await compileC("psi.c"),
    {},
    { input_data1: hexLines(one), input_data2: hexLines(two) },
  );
  const sha = await compare(
    "sha256",
    await native("sha256", [here("executors/sha256.c")]),
    await compileC(here("executors/sha256.c")),
    { rounds },
    { input: randomBytes(mib << 20) },
  );
  console.log(
    table(
      ["program", "native (gcc -O2)", "WebAssembly (clang -O2)", "WebAssembly / native"],
      [
        [
          `PSI, ${lines} × ${lines} lines (testdata/psi.c)`,
          ms(psi.native),
          ms(psi.wasm),
          `${(psi.wasm / psi.native).toFixed(2)}×`,
        ],
        [
          `SHA-256 of ${mib} MiB × ${rounds} (executors/sha256.c)`,
          ms(sha.native),
          ms(sha.wasm),
          `${(sha.wasm / sha.native).toFixed(2)}×`,
        ],
      ],
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
