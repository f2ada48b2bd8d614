#!/usr/bin/env node
// The same numeric Python function (bench/executors/numeric.py: spectral norm, n-body, a matrix product
// over lists) under the Python executor (Pyodide 314, CPython 3.14 compiled to WebAssembly) and under
// the machine's CPython (/usr/bin/python3), alternating, in the same run; results must be identical.
// Both time entrypoint() alone: the executor's run starts from an interpreter loaded beforehand, as in
// a warm isolate; CPython's from a started interpreter (bench/executors/run-cpython.py).
// Needs the executors package built (npx tsc -b packages/executors).
//   node bench/executors-python.js [--scale 2] [--runs 5]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { createMemoryContext } from "@mesatee/functions";
import { preloadExecutor, runUserFunction } from "@mesatee/executors";
import { machine, median, ms, option, run, table } from "./executors/common.js";

const scale = option("scale", 2);
const runs = option("runs", 5);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const payload = readFileSync(here("executors/numeric.py"));
const python = "/usr/bin/python3";

console.log(`Python executor vs CPython, median of ${runs} alternating runs; ${await machine()}`);
const { stdout: version } = await run(python, ["--version"]);
const pyodide = [];
const cpython = [];
let results = new Set();
for (let r = 0; r < runs; r++) {
  const { stdout } = await run(python, [
    here("executors/run-cpython.py"),
    here("executors/numeric.py"),
    "scale",
    String(scale),
  ]);
  const native = JSON.parse(stdout);
  cpython.push(native.ms);
  results.add(native.result);

  await preloadExecutor("python");
  const ctx = createMemoryContext({ args: { scale: String(scale) } });
  const start = performance.now();
  results.add(
    await runUserFunction({
      family: "python",
      payload,
      functionName: "numeric",
      ctx,
      limits: { timeoutMs: 600_000 },
    }),
  );
  pyodide.push(performance.now() - start);
}
if (results.size !== 1) throw new Error(`results differ: ${[...results].join(" / ")}`);
console.log(
  table(
    ["interpreter", `numeric.py, scale ${scale}`, "ratio to CPython"],
    [
      [`CPython ${version.trim().replace("Python ", "")} (/usr/bin/python3)`, ms(median(cpython)), "1.00×"],
      [
        "Python executor (Pyodide 314.0.8)",
        ms(median(pyodide)),
        `${(median(pyodide) / median(cpython)).toFixed(2)}×`,
      ],
    ],
  ),
);
