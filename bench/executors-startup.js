#!/usr/bin/env node
// Executor start-up: how long an execution worker's isolate pool takes to run a trivial function
// (returns "ok", no files) per executor family, warm (an idle isolate has loaded its runtime) and cold
// (a new isolate process is started for the task), measured around IsolatePool.run() — the call the
// worker makes for every task, process start, sandbox, runtime load, IPC and result included.
// Python cold is reported twice: the first start in a worker (loads Pyodide from its files and makes
// the snapshot later isolates start from) and later cold starts (from the snapshot). Built-in echo is
// the reference. Needs the platform built (npx tsc -b packages/platform).
//   node bench/executors-startup.js [--runs 10]
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { sandboxPlan } from "@mesatee/executors";
import { wat } from "@mesatee/executors/testing";
import { IsolatePool } from "../packages/platform/dist/execution/isolate.js";
import { machine, median, ms, option, table } from "./executors/common.js";

const runs = option("runs", 10);
const MEMORY_MB = 512;
const limits = { timeoutMs: 120_000, memoryMb: MEMORY_MB };

const payloads = {
  builtin: { functionName: "builtin-echo", payload: "", args: { message: "ok" } },
  wasm: {
    functionName: "ok",
    payload: Buffer.from(
      await wat(
        '(module (memory (export "memory") 1 2) (func (export "entrypoint") (param i32 i32) (result i32) i32.const 0))',
      ),
    ).toString("base64"),
    args: {},
  },
  javascript: {
    functionName: "ok",
    payload: Buffer.from('function entrypoint() { return "ok"; }').toString("base64"),
    args: {},
  },
  python: {
    functionName: "ok",
    payload: Buffer.from('def entrypoint(argv):\n    return "ok"\n').toString("base64"),
    args: {},
  },
};

function task(family) {
  return {
    taskId: `bench-${family}`,
    family,
    ...payloads[family],
    inputs: {},
    outputs: {},
    stagingKey: randomBytes(32).toString("hex"),
    maxOutputBytes: 1 << 20,
    maxLogLines: 100,
    maxLogLineBytes: 1024,
  };
}

async function once(pool, family) {
  const start = performance.now();
  const outcome = await pool.run(task(family), limits, new globalThis.AbortController().signal);
  const elapsed = performance.now() - start;
  if (!outcome.ok) throw new Error(`${family}: ${outcome.reason}`);
  return elapsed;
}

const plan = await sandboxPlan(
  fileURLToPath(new URL("../packages/platform/dist/execution/isolate-main.js", import.meta.url)),
);
console.log(`Executor start-up, median of ${runs} runs; ${await machine()}`);
console.log(
  `User-function isolates: permission model${plan.networkNamespace ? ", own network namespace" : ""}${plan.unprivilegedUser ? ", uid 65534" : ""}`,
);

const rows = [];
// Python first: its first cold start in this process also makes the snapshot.
for (const family of ["python", "wasm", "javascript", "builtin"]) {
  const cold = new IsolatePool(1, MEMORY_MB, { warm: { builtin: 0, [family]: 0 } });
  const first = await once(cold, family);
  const colds = [];
  for (let r = 0; r < runs; r++) colds.push(await once(cold, family));
  cold.close();

  const warm = new IsolatePool(1, MEMORY_MB, { warm: { [family]: 1 } });
  const warms = [];
  for (let r = 0; r < runs; r++) {
    // Built-in isolates report no readiness; give each a moment to start.
    if (family === "builtin") await sleep(500);
    else await warm.warmed(family);
    warms.push(await once(warm, family));
  }
  warm.close();
  rows.push([family, ms(median(warms)), ms(median(colds)), family === "python" ? ms(first) : "-"]);
}
console.log(table(["executor", "warm", "cold", "first cold start in a worker"], rows));
