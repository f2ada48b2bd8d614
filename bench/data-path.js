#!/usr/bin/env node
// Data path: one large input through builtin-copy, end to end, against curl + openssl on the same
// ciphertext, from the same loopback file server, in the same run.
//
//   npx tsc -b packages/platform packages/sdk && node bench/data-path.js [--size-mib 1024]
//       [--schemas aes-gcm-128,mesatee-stream-v1] [--runs 1] [--tmp DIR] [--slots N] [--sample-ms 50]
//       [--poll-ms 50] [--skip-check] [--json FILE] [--server-cpu-prof DIR]
//
// For each schema: the owner encrypts a random plaintext of --size-mib MiB with a fresh key (encryptFile),
// and the ciphertext is served by a loopback HTTP file server in this process (the platform's test file
// server: GET serves a file, PUT stores the body). Then:
//
//   reference  curl -s -o downloads the ciphertext, openssl enc -d -aes-128-ctr decrypts it to a file (openssl
//              enc has no AEAD modes; for aes-gcm-128 the key and IV‖00000002 make CTR decrypt the GCM body
//              exactly, without authenticating it; for mesatee-stream-v1 it is the same amount of AES-128-CTR
//              over the same bytes, not a decryption of that format). "Full reference" adds what the
//              platform does on the way out: openssl enc -e -aes-128-ctr of the plaintext and curl -s -T
//              (PUT) to the same server.
//   platform   an all-in-one platform in a child process (bench/execution/platform-server.js, the defaults
//              of defaultConfig) runs builtin-copy on the registered input: the runner decrypts the
//              ciphertext as the file agent downloads it, restaging it under a per-task key, and checks its
//              tag at the end; the isolate copies it to a staged output; the runner encrypts the output for
//              its owner (same schema, fresh key) as the file agent uploads it (PUT) to the same server. Timed from InvokeTask sent to the
//              GetTask answer "Finished", polled every --poll-ms (each GetTask is an audited call, i.e. a store commit
//              with an fsync in the platform process: polling much faster slows the data path down).
//
// Each step is timed with performance.now() in this process. Throughput is plaintext MiB over seconds.
// While the task runs, this process samples /proc/<platform pid>/status (VmRSS, VmHWM) and the VmHWM of
// the platform's child processes (the isolates) every --sample-ms; the platform process samples its own
// process.memoryUsage() every 50 ms. A fresh platform process per run makes its VmHWM that run's peak.
// Unless --skip-check, the owner decrypts the uploaded output afterwards (checking its tag against the
// task's result) and compares its SHA-256 with the plaintext's.
//
// Every temporary file lives under one directory in --tmp (default the OS temp dir), removed at the end,
// on failure and on Ctrl-C.
import { Buffer } from "node:buffer";
import { execFile } from "node:child_process";
import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Writable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs, promisify } from "node:util";
import { Cleanup } from "./execution/cleanup.js";
import { clientFor } from "./execution/clients.js";
import { startPlatformProcess } from "./execution/platform-process.js";
import { cpuSince, MemorySampler } from "./execution/proc.js";
import { fixed, markdownTable, median, ratio } from "./execution/stats.js";

const load = (path) =>
  import(new URL(path, new URL("..", import.meta.url)).href).catch((error) => {
    console.error(
      `cannot load ${path}: build first with \`npx tsc -b packages/platform packages/sdk\` (${error.message})`,
    );
    process.exit(1);
  });
const sdk = await load("packages/sdk/dist/index.js");
const crypto = await load("packages/crypto/dist/index.js");
const testing = await load("packages/platform/dist/testing/index.js");

const { values: opts } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "1024" },
    schemas: { type: "string", default: "aes-gcm-128,mesatee-stream-v1" },
    runs: { type: "string", default: "1" },
    tmp: { type: "string", default: tmpdir() },
    slots: { type: "string" },
    "sample-ms": { type: "string", default: "50" },
    "poll-ms": { type: "string", default: "50" },
    "skip-check": { type: "boolean", default: false },
    json: { type: "string" },
    "server-cpu-prof": { type: "string" },
  },
});
const sizeMiB = Number(opts["size-mib"]);
const size = sizeMiB * 1024 * 1024;
const schemas = opts.schemas.split(",").map((s) => s.trim());
const runs = Number(opts.runs);
const sampleMs = Number(opts["sample-ms"]);
const pollMs = Number(opts["poll-ms"]);
const slots = opts.slots === undefined ? undefined : Number(opts.slots);
if (!(sizeMiB > 0) || !Number.isInteger(size)) throw new Error("--size-mib: a positive number of MiB");
for (const s of schemas)
  if (s !== "aes-gcm-128" && s !== "mesatee-stream-v1")
    throw new Error(`--schemas: aes-gcm-128, mesatee-stream-v1 (not ${s})`);
if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs: a positive integer");
if (!(sampleMs > 0) || !(pollMs > 0)) throw new Error("--sample-ms and --poll-ms: positive numbers");

const exec = promisify(execFile);
const PASSWORD = "bench-user-password";
const OWNER = "bench_owner";
const { TaskStatus } = sdk.common;
const FINAL = new Set([TaskStatus.Finished, TaskStatus.Failed, TaskStatus.Canceled]);
const MiB = 1024 * 1024;
const mibPerSecond = (ms) => sizeMiB / (ms / 1000);

/** Runs `fn` and returns [its result, elapsed ms]. */
async function timed(fn) {
  const t0 = performance.now();
  const result = await fn();
  return [result, performance.now() - t0];
}

// ---------------------------------------------------------------------------------------------------------
// Plaintext and ciphertext

/** Writes `size` random bytes to `path`; returns their SHA-256 (hex). */
function writePlaintext(path) {
  const hash = createHash("sha256");
  const block = Buffer.alloc(8 * MiB);
  const fd = openSync(path, "w");
  try {
    for (let left = size; left > 0;) {
      const chunk = block.subarray(0, Math.min(block.length, left));
      randomFillSync(chunk);
      hash.update(chunk);
      for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
      left -= chunk.length;
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** SHA-256 of a file's plaintext, decrypted with `fileCrypto` and checked against `expectedTag`. */
async function decryptedDigest(fileCrypto, path, expectedTag, fileName) {
  const hash = createHash("sha256");
  const sink = new Writable({
    write(chunk, _encoding, done) {
      hash.update(chunk);
      done();
    },
  });
  await crypto.decryptFile({ crypto: fileCrypto, input: path, output: sink, expectedTag, fileName });
  return hash.digest("hex");
}

// ---------------------------------------------------------------------------------------------------------
// Reference: curl + openssl

/** The AES-128-CTR key and IV for openssl: for aes-gcm-128 the ones that decrypt the GCM body. */
function ctrParameters(fileCrypto) {
  if (fileCrypto.schema === "aes-gcm-128")
    return {
      key: Buffer.from(fileCrypto.key).toString("hex"),
      iv: `${Buffer.from(fileCrypto.iv).toString("hex")}00000002`,
    };
  return { key: randomBytes(16).toString("hex"), iv: randomBytes(16).toString("hex") };
}

async function reference(dir, url, uploadUrl, fileCrypto) {
  const enc = join(dir, "reference.enc");
  const plain = join(dir, "reference.plain");
  const out = join(dir, "reference.out");
  const { key, iv } = ctrParameters(fileCrypto);
  // curl and openssl are this process's children: their time is in its children's time once they exit.
  const cpu = cpuSince([process.pid]);
  try {
    const [, download] = await timed(() => exec("curl", ["-s", "-f", "-o", enc, url]));
    if (statSync(enc).size < size) throw new Error("curl downloaded fewer bytes than the ciphertext has");
    const [, decrypt] = await timed(() =>
      exec("openssl", ["enc", "-d", "-aes-128-ctr", "-K", key, "-iv", iv, "-in", enc, "-out", plain]),
    );
    const [, encrypt] = await timed(() =>
      exec("openssl", ["enc", "-e", "-aes-128-ctr", "-K", key, "-iv", iv, "-in", plain, "-out", out]),
    );
    const [, upload] = await timed(() => exec("curl", ["-s", "-f", "-T", out, uploadUrl]));
    return { download, decrypt, encrypt, upload, cpu: cpu() };
  } finally {
    for (const p of [enc, plain, out]) rmSync(p, { force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Platform: builtin-copy

async function platformRun(cleanup, files, schema, input) {
  const platform = await startPlatformProcess({ tmp: opts.tmp, slots, cpuProfDir: opts["server-cpu-prof"] });
  const forget = cleanup.onExit(() => platform.kill());
  const clients = [];
  const client = () => {
    const c = clientFor(sdk, platform);
    clients.push(c);
    return c;
  };
  try {
    const admin = client();
    await admin.login(platform.adminId, platform.adminPassword);
    await admin.authentication.userRegister({
      id: OWNER,
      password: PASSWORD,
      role: "DataOwner",
      attribute: "bench",
    });
    const { functionId } = await admin.frontend.registerFunction({
      name: "builtin-copy",
      description: "data path benchmark",
      executorType: "builtin",
      public: true,
      arguments: [],
      inputs: [{ name: "input", description: "the data" }],
      outputs: [{ name: "output", description: "a copy" }],
      usageQuota: -1,
    });
    const owner = client();
    await owner.login(OWNER, PASSWORD);
    const { dataId: inputId } = await owner.frontend.registerInputFile({
      url: input.url,
      cmac: input.tag,
      cryptoInfo: input.crypto,
    });
    const output = await testing.registerOutput(owner, files, `output-${schema}.enc`, schema);
    const { taskId } = await owner.frontend.createTask({
      functionId,
      functionArguments: "{}",
      executor: "builtin",
      inputsOwnership: [{ dataName: "input", uids: [OWNER] }],
      outputsOwnership: [{ dataName: "output", uids: [OWNER] }],
    });
    await owner.frontend.assignData({
      taskId,
      inputs: [{ dataName: "input", dataId: inputId }],
      outputs: [{ dataName: "output", dataId: output.dataId }],
    });
    await owner.frontend.approveTask({ taskId });

    await platform.resetMemory();
    const sampler = new MemorySampler(platform.pid, sampleMs);
    const cpu = cpuSince([platform.pid, process.pid]);
    const t0 = performance.now();
    await owner.frontend.invokeTask({ taskId });
    let task;
    for (;;) {
      task = await owner.frontend.getTask({ taskId });
      if (FINAL.has(task.status)) break;
      await sleep(pollMs);
    }
    const elapsed = performance.now() - t0;
    const load = cpu();
    const memory = sampler.stop();
    const own = await platform.memory();
    const trace = (await platform.traces([taskId]))[taskId] ?? {};
    const r = task.result?.result;
    if (task.status !== TaskStatus.Finished || r?.case !== "Ok")
      throw new Error(
        `the copy task ended ${TaskStatus[task.status]}: ${r?.case === "Err" ? r.value.reason : "no result"}`,
      );
    const returned = Buffer.from(r.value.returnValue).toString("utf8");
    if (returned !== String(size)) throw new Error(`builtin-copy reports ${returned} bytes, not ${size}`);
    return { elapsed, load, memory, own, trace, output, tag: r.value.tagsMap.output };
  } finally {
    clients.forEach((c) => c.close());
    await platform.stop();
    forget();
  }
}

/**
 * Where the platform's time went, from its probes (ms). Download and staging are one pass, and so are
 * unstaging and upload; "rest" is invoke, lease, commit and polling.
 */
function breakdown(trace, elapsed) {
  const d = (a, b) => (trace[a] !== undefined && trace[b] !== undefined ? trace[b] - trace[a] : NaN);
  const steps = {
    "download + verify + stage": d("runStart", "functionStart"),
    "function (isolate)": d("functionStart", "functionEnd"),
    "unstage + encrypt + upload": d("functionEnd", "runEnd"),
  };
  steps.rest = elapsed - Object.values(steps).reduce((a, b) => a + b, 0);
  return steps;
}

// ---------------------------------------------------------------------------------------------------------
// Driver

async function main() {
  const cleanup = new Cleanup();
  const work = cleanup.path(mkdtempSync(join(opts.tmp, "mesatee-datapath-")));
  // The test file server makes its root under os.tmpdir(): put it in the work directory too.
  const previousTmp = process.env.TMPDIR;
  process.env.TMPDIR = work;
  const files = await testing.startFileServer();
  if (previousTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previousTmp;
  cleanup.path(files.root);
  const results = [];
  try {
    console.log(
      [
        `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "unknown CPU"}, load average ${loadavg()
          .map((x) => x.toFixed(1))
          .join(" ")} at the start; ${(await exec("openssl", ["version"])).stdout.trim()}; ` +
          `${(await exec("curl", ["--version"])).stdout.split("\n")[0].split(" ").slice(0, 2).join(" ")}.`,
        `${sizeMiB} MiB of random plaintext; temporary files under ${opts.tmp}; file server ${files.url} (loopback, this process); ` +
          `platform in a child process${slots === undefined ? "" : `, ${slots} worker slots`}; GetTask polled every ${pollMs} ms.`,
        "",
      ].join("\n"),
    );
    const plainPath = join(work, "plaintext");
    const [digest, generateMs] = await timed(async () => writePlaintext(plainPath));
    console.log(`plaintext written in ${fixed(generateMs / 1000, 1)} s`);

    for (let run = 1; run <= runs; run++) {
      for (const schema of schemas) {
        const name = `input-${schema}.enc`;
        const fileCrypto = testing.newCrypto(schema);
        const [{ tag }, encryptMs] = await timed(() =>
          crypto.encryptFile({
            crypto: fileCrypto,
            input: plainPath,
            output: files.path(name),
            fileName: name,
          }),
        );
        const input = { url: files.urlOf(name), tag, crypto: fileCrypto };
        const ref = await reference(work, input.url, files.urlOf(`reference-upload-${schema}`), fileCrypto);
        rmSync(files.path(`reference-upload-${schema}`), { force: true });
        console.log(
          `${schema} run ${run}: owner encrypt ${fixed(encryptMs / 1000, 2)} s; reference curl ${fixed(ref.download / 1000, 2)} s, ` +
            `openssl dec ${fixed(ref.decrypt / 1000, 2)} s, openssl enc ${fixed(ref.encrypt / 1000, 2)} s, curl PUT ${fixed(ref.upload / 1000, 2)} s`,
        );
        const p = await platformRun(cleanup, files, schema, input);
        const steps = breakdown(p.trace, p.elapsed);
        console.log(
          `${schema} run ${run}: platform ${fixed(p.elapsed / 1000, 2)} s (` +
            Object.entries(steps)
              .map(([k, v]) => `${k} ${fixed(v / 1000, 2)} s`)
              .join(", ") +
            ")",
        );
        rmSync(files.path(name), { force: true });
        let checked = "not checked";
        if (!opts["skip-check"]) {
          const out = await decryptedDigest(p.output.crypto, files.path(p.output.name), p.tag, p.output.name);
          if (out !== digest) throw new Error(`${schema}: the output's plaintext differs from the input's`);
          checked = "output decrypts to the input (SHA-256)";
        }
        rmSync(files.path(p.output.name), { force: true });
        console.log(`${schema} run ${run}: ${checked}`);
        results.push({
          schema,
          run,
          encryptMs,
          reference: ref,
          platform: { ...p, output: undefined },
          steps,
        });
      }
    }
    rmSync(plainPath, { force: true });
    console.log("");
    console.log(report(results));
    if (opts.json)
      writeFileSync(
        opts.json,
        JSON.stringify({ node: process.version, cpus: cpus().length, options: opts, results }, null, 2),
      );
  } finally {
    await files.close();
    cleanup.now();
  }
}

const fullReferenceMs = (r) => r.download + r.decrypt + r.encrypt + r.upload;

function report(results) {
  const throughput = markdownTable(
    [
      "schema",
      "run",
      "platform s",
      "platform MiB/s",
      "curl + openssl dec MiB/s",
      "platform / reference",
      "full reference MiB/s",
      "platform / full reference",
      "platform VmHWM MiB",
      "platform max rss MiB",
      "isolate VmHWM MiB",
    ],
    results.map(({ schema, run, reference: ref, platform: p }) => {
      const refMs = ref.download + ref.decrypt;
      const fullMs = fullReferenceMs(ref);
      return [
        schema,
        run,
        fixed(p.elapsed / 1000, 2),
        fixed(mibPerSecond(p.elapsed), 0),
        fixed(mibPerSecond(refMs), 0),
        ratio(mibPerSecond(p.elapsed), mibPerSecond(refMs)),
        fixed(mibPerSecond(fullMs), 0),
        ratio(mibPerSecond(p.elapsed), mibPerSecond(fullMs)),
        fixed(p.memory.hwmMiB, 0),
        fixed(Math.max(p.memory.rssMaxMiB, p.own.rss / MiB), 0),
        fixed(p.memory.childHwmMiB, 0),
      ];
    }),
    new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
  );
  const others = (load) => `${fixed((100 * load.othersMs) / load.totalMs, 0)} %`;
  const stepNames = Object.keys(results[0]?.steps ?? {});
  const steps = markdownTable(
    ["schema", "run", ...stepNames.map((s) => `${s} s`), "machine CPU used by other processes"],
    results.map(({ schema, run, steps: s, platform: p }) => [
      schema,
      run,
      ...stepNames.map((k) => fixed(s[k] / 1000, 2)),
      others(p.load),
    ]),
    new Set(stepNames.map((_, i) => i + 2).concat([1, stepNames.length + 2])),
  );
  const refSteps = markdownTable(
    [
      "schema",
      "run",
      "curl GET s",
      "openssl dec s",
      "openssl enc s",
      "curl PUT s",
      "machine CPU used by other processes",
    ],
    results.map(({ schema, run, reference: r }) => [
      schema,
      run,
      ...[r.download, r.decrypt, r.encrypt, r.upload].map((ms) => fixed(ms / 1000, 2)),
      others(r.cpu),
    ]),
    new Set([1, 2, 3, 4, 5, 6]),
  );
  const bySchema = schemas.map((schema) => {
    const rs = results.filter((r) => r.schema === schema);
    const med = (f) => median(rs.map(f));
    return [
      schema,
      rs.length,
      fixed(
        med((r) => mibPerSecond(r.platform.elapsed)),
        0,
      ),
      fixed(
        med((r) => mibPerSecond(r.reference.download + r.reference.decrypt)),
        0,
      ),
      `${fixed(
        med((r) => (r.reference.download + r.reference.decrypt) / r.platform.elapsed),
        2,
      )}×`,
      fixed(
        med((r) => mibPerSecond(fullReferenceMs(r.reference))),
        0,
      ),
      `${fixed(
        med((r) => fullReferenceMs(r.reference) / r.platform.elapsed),
        2,
      )}×`,
      fixed(Math.max(...rs.map((r) => r.platform.memory.hwmMiB)), 0),
      fixed(Math.max(...rs.map((r) => r.platform.memory.childHwmMiB).filter(Number.isFinite)), 0),
    ];
  });
  const summary = markdownTable(
    [
      "schema",
      "runs",
      "platform MiB/s",
      "reference MiB/s",
      "platform / reference",
      "full reference MiB/s",
      "platform / full reference",
      "platform VmHWM MiB (max)",
      "isolate VmHWM MiB (max)",
    ],
    bySchema,
    new Set([1, 2, 3, 4, 5, 6, 7, 8]),
  );
  return [
    `${sizeMiB} MiB through builtin-copy (platform: InvokeTask sent → Finished seen):\n`,
    throughput,
    "\nWhere the platform's time goes (from its timing probes):\n",
    steps,
    "\nThe reference's steps:\n",
    refSteps,
    ...(runs > 1 ? [`\nMedians over ${runs} runs (ratios: median of each run's ratio):\n`, summary] : []),
    "",
  ].join("\n");
}

await main();
