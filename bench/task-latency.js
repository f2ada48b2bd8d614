#!/usr/bin/env node
// Task latency: how long an echo task takes from CreateTask to the client seeing it Finished, through the
// public gRPC API of an all-in-one platform, against a trivial authenticated call (GetTask of a finished
// task) by the same clients in the same run.
//
//   npx tsc -b packages/platform packages/sdk && node bench/task-latency.js [--concurrency 1,4,16]
//       [--duration 10] [--slices 2] [--warmup 1] [--poll-ms 2] [--think-ms 0] [--slots N] [--tmp DIR]
//       [--json FILE] [--server-cpu-prof DIR]
//
// The platform runs in a child process (bench/execution/platform-server.js: `defaultConfig`, so the
// execution worker runs in process with the platform's default slots unless --slots is given), the clients
// in this one. Each of the N clients is a DataOwner with its own MesateeClient (own HTTP/2 connections) and
// runs a closed loop of tasks: CreateTask (builtin-echo), InvokeTask, then GetTask right away and again
// every --poll-ms milliseconds after each answer that is not final, until the task is Finished. The
// latency is CreateTask sent → the GetTask answer that says Finished arrived. The SDK's waitForTask is not
// used: it sleeps 20 ms, then 40, 80 … between polls, which would measure its schedule, not the platform.
// --think-ms makes each client pause that long after a task before it creates the next (an open-ish load
// instead of back-to-back tasks; the pause is not part of the latency, but it is part of tasks/s).
//
// Two phases per concurrency level, interleaved in --slices slices so that drifting background load hits
// both alike; each slice starts with --warmup seconds that are not recorded:
//   task       the loop above;
//   reference  GetTask of the client's own finished task, in a closed loop: the cost of a plain call.
// A task or call counts when it starts inside a measured window.
//
// The platform process also records when each task was leased, when the runner and the isolate started and
// ended, and when the outcome was committed (timing probes, see platform-server.js); the report breaks the
// latency down with them (medians of per-task durations).
import { Buffer } from "node:buffer";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { clientFor } from "./execution/clients.js";
import { startPlatformProcess } from "./execution/platform-process.js";
import { cpuOf, machineCpu } from "./execution/proc.js";
import { fixed, markdownTable, median, ratio, summarize } from "./execution/stats.js";

const sdk = await import(new URL("../packages/sdk/dist/index.js", import.meta.url).href).catch((error) => {
  console.error(
    `cannot load the SDK: build first with \`npx tsc -b packages/platform packages/sdk\` (${error.message})`,
  );
  process.exit(1);
});

const { values: opts } = parseArgs({
  options: {
    concurrency: { type: "string", default: "1,4,16" },
    duration: { type: "string", default: "10" },
    slices: { type: "string", default: "2" },
    warmup: { type: "string", default: "1" },
    "poll-ms": { type: "string", default: "2" },
    "think-ms": { type: "string", default: "0" },
    slots: { type: "string" },
    tmp: { type: "string", default: tmpdir() },
    json: { type: "string" },
    "server-cpu-prof": { type: "string" },
  },
});

const levels = opts.concurrency.split(",").map((s) => Number(s.trim()));
const slices = Number(opts.slices);
const durationMs = Number(opts.duration) * 1000;
const warmupMs = Number(opts.warmup) * 1000;
const pollMs = Number(opts["poll-ms"]);
const thinkMs = Number(opts["think-ms"]);
const slots = opts.slots === undefined ? undefined : Number(opts.slots);
if (levels.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--concurrency: positive integers");
if (
  !Number.isInteger(slices) ||
  slices < 1 ||
  !(durationMs > 0) ||
  !(warmupMs >= 0) ||
  !(pollMs >= 0) ||
  !(thinkMs >= 0)
)
  throw new Error(
    "--slices a positive integer, --duration > 0, --warmup >= 0, --poll-ms and --think-ms >= 0",
  );
if (slots !== undefined && (!Number.isInteger(slots) || slots < 1))
  throw new Error("--slots: a positive integer");

const PASSWORD = "bench-user-password";
const { TaskStatus } = sdk.common;
const FINAL = new Set([TaskStatus.Finished, TaskStatus.Failed, TaskStatus.Canceled]);
/** Epoch milliseconds, sub-millisecond resolution; the platform process's probes use the same clock. */
const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------------------
// One task, one call

async function runTask(w) {
  const message = `hello from client ${w.index}`;
  const t0 = now();
  const { taskId } = await w.client.frontend.createTask({
    functionId: w.functionId,
    functionArguments: JSON.stringify({ message }),
    executor: "builtin",
  });
  const created = now();
  await w.client.frontend.invokeTask({ taskId });
  const invoked = now();
  let polls = 0;
  let task;
  for (;;) {
    task = await w.client.frontend.getTask({ taskId });
    polls++;
    if (FINAL.has(task.status)) break;
    if (pollMs > 0) await sleep(pollMs);
  }
  const seen = now();
  const r = task.result?.result;
  const ok =
    task.status === TaskStatus.Finished &&
    r?.case === "Ok" &&
    Buffer.from(r.value.returnValue).toString("utf8") === message;
  const failure = ok ? undefined : r?.case === "Err" ? r.value.reason : `status ${TaskStatus[task.status]}`;
  if (thinkMs > 0) await sleep(thinkMs);
  return { taskId, t0, created, invoked, seen, polls, ok, failure };
}

async function referenceCall(w) {
  const t0 = now();
  const task = await w.client.frontend.getTask({ taskId: w.finishedTaskId });
  if (task.status !== TaskStatus.Finished) throw new Error("the reference task is not Finished");
  return now() - t0;
}

/**
 * Runs `step(worker)` in a closed loop on every worker for warmup + duration; returns what the steps that
 * started inside the measured window returned, and everything that ran (for the traces to be collected).
 */
async function runSlice(workers, step, sliceMs) {
  const measureFrom = now() + warmupMs;
  const end = measureFrom + sliceMs;
  const measured = [];
  const all = [];
  await Promise.all(
    workers.map(async (w) => {
      while (now() < end) {
        const start = now();
        const result = await step(w);
        all.push(result);
        if (start >= measureFrom && start < end) measured.push(result);
      }
    }),
  );
  return { measured, all, seconds: sliceMs / 1000 };
}

/**
 * CPU time spent while `fn` runs: by the platform process, by its child processes that exited meanwhile
 * (the isolates: each runs one task, then exits), by this process (the clients), and by the whole machine.
 */
async function measureCpu(platformPid, fn) {
  const before = { platform: cpuOf(platformPid), client: process.cpuUsage(), machine: machineCpu() };
  const result = await fn();
  const platform = cpuOf(platformPid);
  const client = process.cpuUsage(before.client);
  const machine = machineCpu();
  return {
    result,
    cpu: {
      platformMs: platform.selfMs - before.platform.selfMs,
      isolatesMs: platform.childrenMs - before.platform.childrenMs,
      clientMs: (client.user + client.system) / 1000,
      machineBusyMs: machine.busyMs - before.machine.busyMs,
      machineTotalMs: machine.totalMs - before.machine.totalMs,
    },
  };
}

const addCpu = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, (a?.[k] ?? 0) + b[k]]));

// ---------------------------------------------------------------------------------------------------------
// Breakdown from the platform's probes

const STEPS = [
  ["create RPC", (c) => c.created - c.t0],
  ["invoke RPC", (c) => c.invoked - c.created],
  ["→ leased", (c, s) => s.leased - c.invoked],
  ["runner prepares", (c, s) => s.functionStart - s.leased],
  ["function (isolate)", (c, s) => s.functionEnd - s.functionStart],
  ["runner cleans up", (c, s) => s.runEnd - s.functionEnd],
  ["outcome committed", (c, s) => s.completeEnd - s.runEnd],
  ["→ client sees it", (c, s) => c.seen - s.completeEnd],
];

function breakdown(tasks) {
  const traced = tasks.filter((t) => t.trace?.leased !== undefined && t.trace?.completeEnd !== undefined);
  return {
    traced: traced.length,
    steps: STEPS.map(([name, f]) => [name, median(traced.map((t) => f(t, t.trace)).filter(Number.isFinite))]),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Driver

async function main() {
  const platform = await startPlatformProcess({ tmp: opts.tmp, slots, cpuProfDir: opts["server-cpu-prof"] });
  const clients = [];
  const client = () => {
    const c = clientFor(sdk, platform);
    clients.push(c);
    return c;
  };
  const onSignal = () => {
    platform.kill();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const admin = client();
    await admin.login(platform.adminId, platform.adminPassword);
    await admin.authentication.userRegister({
      id: "bench_fo",
      password: PASSWORD,
      role: "FunctionOwner",
      attribute: "",
    });
    const owner = client();
    await owner.login("bench_fo", PASSWORD);
    const { functionId } = await owner.frontend.registerFunction({
      name: "builtin-echo",
      description: "task latency benchmark",
      executorType: "builtin",
      public: true,
      arguments: [{ key: "message", defaultValue: "", allowOverwrite: true }],
      inputs: [],
      outputs: [],
      usageQuota: -1,
    });
    const workers = [];
    for (let index = 0; index < Math.max(...levels); index++) {
      const id = `bench_do_${index}`;
      await admin.authentication.userRegister({
        id,
        password: PASSWORD,
        role: "DataOwner",
        attribute: "bench",
      });
      const c = client();
      await c.login(id, PASSWORD);
      const w = { index, client: c, functionId };
      // Its first task: warms the connection and leaves a finished task for the reference calls.
      const first = await runTask(w);
      if (!first.ok) throw new Error(`the first echo task failed: ${first.failure}`);
      w.finishedTaskId = first.taskId;
      workers.push(w);
    }

    console.log(
      [
        `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(" ")} at the start.`,
        `All-in-one platform in a child process, worker slots ${platform.slots}${slots === undefined ? " (the platform's default)" : ""}; ` +
          `clients in this process. Data directory under ${opts.tmp}.`,
        `Per level: ${opts.duration} s measured per phase in ${slices} slice(s), interleaved, each after ${opts.warmup} s of warmup. ` +
          `Latency: CreateTask sent → GetTask answer "Finished" received, polling GetTask every ${pollMs} ms` +
          (thinkMs > 0 ? `; each client pauses ${thinkMs} ms between tasks.` : "; tasks back to back."),
        `Platform timing probes: ${platform.probes.join(", ")}.`,
        "",
      ].join("\n"),
    );

    const results = [];
    for (const level of levels) {
      const active = workers.slice(0, level);
      const tasks = [];
      const calls = [];
      let taskSeconds = 0;
      let callSeconds = 0;
      let cpu;
      let tasksRun = 0;
      for (let i = 0; i < slices; i++) {
        const { result: t, cpu: sliceCpu } = await measureCpu(platform.pid, () =>
          runSlice(active, runTask, durationMs / slices),
        );
        cpu = addCpu(cpu, sliceCpu);
        tasksRun += t.all.length;
        const traces = await platform.traces(t.all.map((x) => x.taskId));
        for (const task of t.measured) task.trace = traces[task.taskId];
        tasks.push(...t.measured);
        taskSeconds += t.seconds;
        const r = await runSlice(active, referenceCall, durationMs / slices);
        calls.push(...r.measured);
        callSeconds += r.seconds;
      }
      const failed = tasks.filter((t) => !t.ok);
      const task = summarize(
        tasks.filter((t) => t.ok).map((t) => t.seen - t.t0),
        taskSeconds,
      );
      const reference = summarize(calls, callSeconds);
      const polls = tasks.reduce((a, t) => a + t.polls, 0) / Math.max(1, tasks.length);
      const parts = breakdown(tasks.filter((t) => t.ok));
      results.push({
        level,
        task,
        reference,
        failed: failed.length,
        failures: [...new Set(failed.map((t) => t.failure))],
        polls,
        parts,
        cpu: { ...cpu, tasks: tasksRun },
      });
      report(results.at(-1));
    }
    console.log(summaryTable(results));
    if (opts.json) {
      const run = {
        node: process.version,
        cpus: cpus().length,
        slots: platform.slots,
        options: opts,
        results,
      };
      writeFileSync(opts.json, JSON.stringify(run, null, 2));
    }
  } finally {
    clients.forEach((c) => c.close());
    await platform.stop();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function report({ level, task, reference, failed, failures, polls, parts, cpu }) {
  console.log(`### ${level} concurrent client${level === 1 ? "" : "s"}\n`);
  console.log(
    markdownTable(
      ["phase", "count", "per s", "p50 ms", "p99 ms", "p50 / reference", "p99 / reference"],
      [
        [
          "echo task (create → Finished seen)",
          task.count,
          fixed(task.perSecond),
          fixed(task.p50, 2),
          fixed(task.p99, 2),
          ratio(task.p50, reference.p50),
          ratio(task.p99, reference.p99),
        ],
        [
          "GetTask (reference)",
          reference.count,
          fixed(reference.perSecond, 0),
          fixed(reference.p50, 2),
          fixed(reference.p99, 2),
          "1.00×",
          "1.00×",
        ],
      ],
      new Set([1, 2, 3, 4, 5, 6]),
    ),
  );
  console.log(
    `\nTasks/s over reference calls/s: ${ratio(task.perSecond, reference.perSecond)}; ${fixed(polls)} GetTask polls per task; ` +
      `${failed} task(s) not Finished${failures.length ? ` (${failures.join("; ")})` : ""}.\n`,
  );
  console.log(`Where a task's time goes (median per step over ${parts.traced} traced tasks):\n`);
  console.log(
    markdownTable(
      parts.steps.map(([name]) => name),
      [parts.steps.map(([, ms]) => fixed(ms, 2))],
      new Set(parts.steps.map((_, i) => i)),
    ),
  );
  const perTask = (ms) => fixed(ms / Math.max(1, cpu.tasks), 1);
  const ours = cpu.platformMs + cpu.isolatesMs + cpu.clientMs;
  const share = (ms) => `${fixed((100 * ms) / cpu.machineTotalMs, 0)} %`;
  console.log(
    `\nCPU per task (task phase, ${cpu.tasks} tasks including warmup): platform process ${perTask(cpu.platformMs)} ms, ` +
      `isolates ${perTask(cpu.isolatesMs)} ms, clients ${perTask(cpu.clientMs)} ms. ` +
      `Machine (${cpus().length} cores) busy ${share(cpu.machineBusyMs)} of the time: this benchmark ${share(ours)}, ` +
      `other processes ${share(Math.max(0, cpu.machineBusyMs - ours))}.`,
  );
  console.log("");
}

function summaryTable(results) {
  return [
    "### Summary\n",
    markdownTable(
      [
        "clients",
        "tasks/s",
        "task p50 ms",
        "task p99 ms",
        "GetTask calls/s",
        "GetTask p50 ms",
        "task p50 / GetTask p50",
        "tasks/s / calls/s",
      ],
      results.map(({ level, task, reference }) => [
        level,
        fixed(task.perSecond),
        fixed(task.p50, 2),
        fixed(task.p99, 2),
        fixed(reference.perSecond, 0),
        fixed(reference.p50, 2),
        ratio(task.p50, reference.p50),
        ratio(task.perSecond, reference.perSecond),
      ]),
      new Set([0, 1, 2, 3, 4, 5, 6, 7]),
    ),
    "",
  ].join("\n");
}

await main();
