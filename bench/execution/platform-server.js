#!/usr/bin/env node
// The platform under test, in a process of its own so that the benchmark's clients, its file server and its
// memory sampler never share the platform's event loop. Started by platform-process.js:
//
//   node bench/execution/platform-server.js --data-dir DIR [--slots N]
//
// An all-in-one platform with the defaults of `defaultConfig` (in-process execution worker, SQLite store in
// DIR, argon2id with the default parameters), on loopback ports chosen by the OS. `--slots` sets the
// worker's slots (tasks at once; also the number of isolates kept warm).
//
// Timing probes: the scheduler's lease and complete, and the runner's run, isolate, download and upload
// methods are wrapped on their instances to record when each step of a task starts and ends. They only
// read the clock; the platform's code and configuration are unchanged.
import { AsyncLocalStorage } from "node:async_hooks";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setInterval } from "node:timers";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: { "data-dir": { type: "string" }, slots: { type: "string" } },
});
if (!opts["data-dir"]) throw new Error("--data-dir is required");

const platformPkg = await import(new URL("../../packages/platform/dist/index.js", import.meta.url).href);

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
const now = () => performance.timeOrigin + performance.now();

const adminPassword = randomBytes(16).toString("hex");
const slots = opts.slots === undefined ? undefined : Number(opts.slots);
const config = platformPkg.defaultConfig({
  dataDir: opts["data-dir"],
  authPort: 0,
  frontendPort: 0,
  schedulerPort: 0,
  adminPassword,
  ...(slots === undefined ? {} : { worker: { ...platformPkg.DEFAULT_WORKER_CONFIG, slots } }),
});
const platform = await platformPkg.startPlatform(config);

// ---------------------------------------------------------------------------------------------------------
// Timing probes

/** taskId → { event: epoch ms } */
const traces = new Map();
const currentTask = new AsyncLocalStorage();
const mark = (taskId, event) => {
  if (taskId === undefined) return;
  let t = traces.get(taskId);
  if (!t) traces.set(taskId, (t = {}));
  t[event] ??= now();
};

/** Replaces `obj[name]` with a function that marks `<event>Start` and `<event>End` around the original. */
function probe(obj, name, event, taskOf = () => currentTask.getStore()) {
  if (typeof obj?.[name] !== "function") return false;
  const original = obj[name].bind(obj);
  obj[name] = async (...args) => {
    const taskId = taskOf(args);
    mark(taskId, `${event}Start`);
    try {
      return await original(...args);
    } finally {
      mark(taskId, `${event}End`);
    }
  };
  return true;
}

const probes = [];
const scheduler = platform.scheduler;
const lease = scheduler.lease.bind(scheduler);
scheduler.lease = async (...args) => {
  const granted = await lease(...args);
  if (granted) mark(granted.staged.taskId, "leased");
  return granted;
};
probes.push("lease");
if (probe(scheduler, "complete", "complete", (args) => args[1])) probes.push("complete");
// The in-process worker's runner and, inside it, the isolate pool and the file agent (private fields in
// TypeScript, plain properties at run time).
const runner = platform.worker?.executor;
if (runner && typeof runner.run === "function") {
  const run = runner.run.bind(runner);
  runner.run = (staged, signal) => {
    mark(staged.taskId, "runStart");
    return currentTask
      .run(staged.taskId, () => run(staged, signal))
      .finally(() => mark(staged.taskId, "runEnd"));
  };
  probes.push("run");
  if (probe(runner.pool, "run", "function", (args) => args[0]?.taskId)) probes.push("function");
  if (probe(runner.agent, "download", "download")) probes.push("download");
  if (probe(runner.agent, "upload", "upload")) probes.push("upload");
}

// ---------------------------------------------------------------------------------------------------------
// Memory, as the platform process sees it

let peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
const sampleMemory = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]);
};
setInterval(sampleMemory, 50).unref();

// ---------------------------------------------------------------------------------------------------------
// Control channel

let stopping;
const stop = () =>
  (stopping ??= (async () => {
    await platform.close();
    rmSync(opts["data-dir"], { recursive: true, force: true });
    // A normal exit, so that --cpu-prof writes its profile.
    process.exit(0);
  })());

process.on("message", (m) => {
  switch (m?.type) {
    case "traces": {
      const out = {};
      for (const id of m.taskIds) {
        out[id] = traces.get(id);
        traces.delete(id);
      }
      process.send({ type: "reply", id: m.id, value: out });
      break;
    }
    case "memory":
      sampleMemory();
      process.send({ type: "reply", id: m.id, value: peak });
      break;
    case "reset-memory":
      peak = { rss: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
      sampleMemory();
      process.send({ type: "reply", id: m.id, value: true });
      break;
    case "stop":
      void stop();
      break;
  }
});
process.on("disconnect", () => void stop());

process.send({
  type: "ready",
  pid: process.pid,
  authenticationUrl: platform.authenticationUrl,
  frontendUrl: platform.frontendUrl,
  // What a client needs to trust the platform: its client directory (signed policy) or, on builds that
  // pin a plain TLS certificate instead, that certificate.
  clientDir: platform.clientDir,
  ca: platform.serverCertificate,
  adminId: platformPkg.ADMIN_ID,
  adminPassword,
  slots: config.worker.slots,
  probes,
});
