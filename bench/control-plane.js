#!/usr/bin/env node
// Control-plane benchmark: how fast the public gRPC API serves a user's round of calls, against a trivial
// echo service on the same stack, measured in the same run.
//
//   npx tsc -b packages/platform && node bench/control-plane.js [--concurrency 1,8,32] [--duration 6]
//       [--slices 3] [--warmup 0.5] [--tmp DIR] [--json FILE] [--server-cpu-prof DIR]
//
// The servers run in a child process, the clients in this one, so they do not share an event loop. The
// child runs an all-in-one platform (default argon2id parameters; data directory in a fresh temporary
// directory under --tmp, default the OS temp dir: that disk's fsync latency is part of the result) and
// the echo server, both on loopback. Each concurrency level N uses N clients, each with its own HTTP/2
// connections and its own FunctionOwner and DataOwner accounts. Three phases per level:
//   echo         GetTask against a server that answers from memory: the platform's own server code
//                (http2.createSecureServer + connectNodeAdapter), gRPC, TLS, the same client transport.
//   with login   login + register function + create task + get task, repeated.
//   tokens kept  register function + create task + get task, repeated, with the token of one login (what a
//                client normally does: a token is valid for 24 h).
// Each phase is measured for --duration seconds in total, cut into --slices slices that alternate with
// the other phases' slices; each slice starts with --warmup seconds that are not recorded.
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = new URL("..", import.meta.url);
const load = async (path) => {
  try {
    return await import(new URL(path, ROOT).href);
  } catch (error) {
    console.error(
      `cannot load ${path}: build first with \`npx tsc -b packages/platform\` (${error.message})`,
    );
    process.exit(1);
  }
};
const platformPkg = await load("packages/platform/dist/index.js");
const sdk = await load("packages/sdk/dist/index.js");
// The echo server uses the platform's own server code, so the only difference is what the handler does.
const { startRpcServer } = await load("packages/platform/dist/server/rpc-server.js");
const { DEFAULT_PASSWORD_HASHING } = await load(
  "packages/platform/dist/services/authentication/passwords.js",
);

const { values: opts } = parseArgs({
  options: {
    concurrency: { type: "string", default: "1,8,32" },
    duration: { type: "string", default: "6" },
    slices: { type: "string", default: "3" },
    warmup: { type: "string", default: "0.5" },
    tmp: { type: "string", default: tmpdir() },
    json: { type: "string" },
    "server-cpu-prof": { type: "string" },
    serve: { type: "boolean", default: false },
  },
});

const PASSWORD = "bench-user-password";
const GROUP = "bench";

// ---------------------------------------------------------------------------------------------------
// Server side (child process)

/** The echo answer: a GetTaskResponse shaped like the platform's for the tasks this benchmark creates. */
function echoTask(taskId) {
  return {
    taskId,
    creator: "bench_do_0",
    functionId: "function-00000000-0000-4000-8000-000000000000",
    functionOwner: "bench_fo_0",
    functionArguments: JSON.stringify({ order: "descending", limit: "10" }),
    inputsOwnership: [{ dataName: "input_data", uids: ["bench_do_0"] }],
    outputsOwnership: [{ dataName: "output_result", uids: ["bench_do_0"] }],
    participants: ["bench_do_0"],
    status: sdk.common.TaskStatus.Created,
    result: {},
  };
}

async function serve() {
  const dataDir = mkdtempSync(join(opts.tmp, "mesatee-bench-"));
  const adminPassword = randomBytes(16).toString("hex");
  // No passwordHashing override: the service's defaults (argon2id) apply.
  const config = platformPkg.defaultConfig({
    dataDir,
    authPort: 0,
    frontendPort: 0,
    schedulerPort: 0,
    adminPassword,
  });
  const platform = await platformPkg.startPlatform(config);
  // The echo server presents an RA-TLS certificate of the same deployment, so clients attest it exactly
  // as they attest the platform: the comparison isolates the services' own work.
  const echo = await startRpcServer({
    host: config.host,
    port: 0,
    security: { mode: "public", certificates: await platform.deployment.certificates("frontend") },
    maxMessageBytes: config.maxMessageBytes,
    routes: (router) =>
      router.rpc(sdk.frontend.TeaclaveFrontend.method.getTask, (req) => echoTask(req.taskId)),
  });
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.all([echo.close(), platform.close()]);
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    })());
  process.on("message", (m) => m?.type === "stop" && stop());
  process.on("disconnect", stop);
  process.send({
    type: "ready",
    authenticationUrl: platform.authenticationUrl,
    frontendUrl: platform.frontendUrl,
    clientDir: platform.clientDir,
    echoUrl: echo.url,
    adminId: platformPkg.ADMIN_ID,
    adminPassword,
    passwordHashing: config.authentication.passwordHashing ?? DEFAULT_PASSWORD_HASHING,
  });
}

// ---------------------------------------------------------------------------------------------------
// Measurement

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function summarize(samples, seconds) {
  const sorted = Float64Array.from(samples).sort();
  return {
    calls: sorted.length,
    perSecond: sorted.length / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

/**
 * Runs `round(worker, timed)` in a loop on every worker for `warmupMs + durationMs`. A call counts when it
 * starts inside the measured window: in a closed loop at steady state, calls started per second equal calls
 * completed per second, and no latency is cut short by the end of the window.
 */
async function runSlice(workers, round, { warmupMs, durationMs }) {
  const samples = new Map();
  const measureFrom = performance.now() + warmupMs;
  const end = measureFrom + durationMs;
  const timed = async (op, call) => {
    const t0 = performance.now();
    const result = await call();
    if (t0 >= measureFrom && t0 < end) {
      if (!samples.has(op)) samples.set(op, []);
      samples.get(op).push(performance.now() - t0);
    }
    return result;
  };
  await Promise.all(
    workers.map(async (w) => {
      while (performance.now() < end) await round(w, timed);
    }),
  );
  return { seconds: durationMs / 1000, samples };
}

/** The slices of one phase, added up. */
class Phase {
  seconds = 0;
  samples = new Map();

  add(slice) {
    this.seconds += slice.seconds;
    for (const [op, list] of slice.samples) this.samples.set(op, [...(this.samples.get(op) ?? []), ...list]);
  }

  result() {
    const ops = Object.fromEntries([...this.samples].map(([op, s]) => [op, summarize(s, this.seconds)]));
    return {
      seconds: this.seconds,
      ops,
      overall: summarize([...this.samples.values()].flat(), this.seconds),
    };
  }
}

const functionRequest = {
  name: "bench-function",
  description: "control-plane benchmark",
  executorType: "builtin",
  public: true,
  arguments: [
    { key: "order", defaultValue: "ascending", allowOverwrite: true },
    { key: "limit", defaultValue: "10", allowOverwrite: false },
  ],
  inputs: [{ name: "input_data", description: "input" }],
  outputs: [{ name: "output_result", description: "output" }],
  usageQuota: -1,
};

async function platformRound(w, timed, { login }) {
  if (login) await timed("login", () => w.dataOwner.login(w.dataOwnerId, PASSWORD));
  const { functionId } = await timed("register_function", () =>
    w.functionOwner.frontend.registerFunction(functionRequest),
  );
  const { taskId } = await timed("create_task", () =>
    w.dataOwner.frontend.createTask({
      functionId,
      functionArguments: JSON.stringify({ order: "descending" }),
      executor: "builtin",
      inputsOwnership: [{ dataName: "input_data", uids: [w.dataOwnerId] }],
      outputsOwnership: [{ dataName: "output_result", uids: [w.dataOwnerId] }],
    }),
  );
  const task = await timed("get_task", () => w.dataOwner.frontend.getTask({ taskId }));
  if (task.taskId !== taskId || task.status !== sdk.common.TaskStatus.Created)
    throw new Error(`unexpected task ${taskId}`);
}

async function echoRound(w, timed) {
  const taskId = `task-${w.index}`;
  const task = await timed("echo", () => w.echo.frontend.getTask({ taskId }));
  if (task.taskId !== taskId) throw new Error("echo answered another request");
}

// ---------------------------------------------------------------------------------------------------
// Report

const ms = (x) => (Number.isFinite(x) ? x.toFixed(2) : "-");
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "-");
const rate = (x) => x.toFixed(0);

function table(level, echo, withLogin, tokensKept) {
  const e = echo.overall;
  const rows = [
    "| phase | operation | calls | calls/s | p50 ms | p99 ms | p50 / echo | p99 / echo |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  const row = (phase, op, s) =>
    rows.push(
      `| ${phase} | ${op} | ${s.calls} | ${rate(s.perSecond)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ratio(s.p50, e.p50)} | ${ratio(s.p99, e.p99)} |`,
    );
  row("echo", "GetTask (reference)", e);
  for (const [phase, result] of [
    ["with login", withLogin],
    ["tokens kept", tokensKept],
  ]) {
    for (const op of ["login", "register_function", "create_task", "get_task"])
      if (result.ops[op]) row(phase, op, result.ops[op]);
    row(phase, "**all calls**", result.overall);
  }
  return [
    `### ${level} concurrent client${level === 1 ? "" : "s"}`,
    "",
    ...rows,
    "",
    `Throughput, platform calls/s over echo calls/s: ${ratio(tokensKept.overall.perSecond, e.perSecond)} with tokens kept, ` +
      `${ratio(withLogin.overall.perSecond, e.perSecond)} with a login every round.`,
    "",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------------
// Driver (parent process)

async function main() {
  const levels = opts.concurrency.split(",").map((s) => Number(s.trim()));
  if (levels.some((n) => !Number.isInteger(n) || n < 1))
    throw new Error("--concurrency: positive integers, comma-separated");
  const slices = Number(opts.slices);
  const slice = { warmupMs: Number(opts.warmup) * 1000, durationMs: (Number(opts.duration) * 1000) / slices };
  if (!(slice.durationMs > 0) || !(slice.warmupMs >= 0) || !Number.isInteger(slices) || slices < 1)
    throw new Error("--duration > 0 and --warmup >= 0 (seconds); --slices a positive integer");

  const child = fork(fileURLToPath(import.meta.url), ["--serve", "--tmp", opts.tmp], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    // Where the server's time goes: a V8 CPU profile, to open in Chrome DevTools.
    execArgv: opts["server-cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${opts["server-cpu-prof"]}`] : [],
  });
  const server = await new Promise((resolve, reject) => {
    child.once("message", resolve);
    child.once("exit", (code) => reject(new Error(`server process exited (${code})`)));
  });
  const clients = [];
  const client = (overrides = {}) => {
    const c = sdk.MesateeClient.fromClientDir({
      authenticationUrl: server.authenticationUrl,
      frontendUrl: server.frontendUrl,
      clientDir: server.clientDir,
      ...overrides,
    });
    clients.push(c);
    return c;
  };
  try {
    const admin = client();
    await admin.login(server.adminId, server.adminPassword);
    // N pairs of users: a DataOwner cannot register functions and a FunctionOwner cannot create tasks.
    const workers = [];
    for (let i = 0; i < Math.max(...levels); i++) {
      const functionOwnerId = `bench_fo_${i}`;
      const dataOwnerId = `bench_do_${i}`;
      await admin.authentication.userRegister({
        id: functionOwnerId,
        password: PASSWORD,
        role: "FunctionOwner",
        attribute: "",
      });
      await admin.authentication.userRegister({
        id: dataOwnerId,
        password: PASSWORD,
        role: "DataOwner",
        attribute: GROUP,
      });
      const functionOwner = client();
      await functionOwner.login(functionOwnerId, PASSWORD);
      const dataOwner = client();
      // The echo client carries a real credential, so its requests are the same size as the platform's.
      const echo = client({ frontendUrl: server.echoUrl, authenticationUrl: server.echoUrl });
      echo.setCredential({ id: dataOwnerId, token: await dataOwner.login(dataOwnerId, PASSWORD) });
      workers.push({ index: i, functionOwner, dataOwner, dataOwnerId, echo });
    }

    const h = server.passwordHashing;
    console.log(
      [
        `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}; servers in one child process, clients in another.`,
        `Password hashing: argon2id, the platform's defaults (memoryCost ${h.memoryCost} KiB, timeCost ${h.timeCost}, parallelism ${h.parallelism}).`,
        `Data directory under ${opts.tmp}. Each phase: ${opts.duration} s measured in ${slices} slice(s) interleaved with the other phases, ` +
          `each after ${opts.warmup} s of warmup. Latencies are per call, seen by the client.`,
        "",
      ].join("\n"),
    );
    const results = [];
    for (const level of levels) {
      const active = workers.slice(0, level);
      const phases = [
        [new Phase(), echoRound],
        [new Phase(), (w, timed) => platformRound(w, timed, { login: true })],
        [new Phase(), (w, timed) => platformRound(w, timed, { login: false })],
      ];
      // On a shared machine the background load drifts; interleaving makes it drift under every phase alike.
      for (let i = 0; i < slices; i++)
        for (const [phase, round] of phases) phase.add(await runSlice(active, round, slice));
      const [echo, withLogin, tokensKept] = phases.map(([phase]) => phase.result());
      console.log(table(level, echo, withLogin, tokensKept));
      results.push({ concurrency: level, echo, withLogin, tokensKept });
    }
    if (opts.json) {
      const run = { node: process.version, cpus: cpus().length, passwordHashing: h, options: opts, results };
      writeFileSync(opts.json, JSON.stringify(run, null, 2));
    }
  } finally {
    clients.forEach((c) => c.close());
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.send({ type: "stop" });
      await exited;
    }
  }
}

if (opts.serve) await serve();
else await main();
