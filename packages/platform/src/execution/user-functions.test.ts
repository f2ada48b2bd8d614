// User-supplied functions end to end through the public API (spec §5.1, §5.3, §5.4, §7.5): WebAssembly
// (C compiled with clang at test time), JavaScript and Python, with a real HTTP file server holding the
// ciphertext. Then the sandbox: each escape is tried and asserted refused, and each limit is crossed
// and asserted to fail the task.
import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { common, type MesateeClient } from "@mesatee/sdk";
import { compileC, testdata, wat } from "@mesatee/executors/testing";
import { wasmMaxPages, DEFAULT_EXECUTOR_LIMITS } from "@mesatee/executors";
import { fixturesDir, startFileServer, type FileServer } from "../testing/file-server.js";
import { startTestPlatform, type TestPlatform } from "../testing/harness.js";
import { readOutput, registerInput, registerOutput, type RegisteredOutput } from "../testing/journey.js";
import { DEFAULT_TASK_LIMITS } from "./limits.js";

// Long enough for any honest test function on a loaded machine; the infinite loops wait it out.
const TIMEOUT_MS = 8000;
const MAX_OUTPUT = 1 << 20;

let t: TestPlatform;
let files: FileServer;
let probe: Uint8Array;
let probeFn: string;

before(async () => {
  t = await startTestPlatform({
    config: {
      worker: { slots: 2, heartbeatMs: 200, pollMs: 1000 },
      taskLimits: { ...DEFAULT_TASK_LIMITS, timeoutMs: TIMEOUT_MS, maxOutputBytes: MAX_OUTPUT },
    },
  });
  files = await startFileServer();
  probe = await compileC("probe.c");
  probeFn = await register(t.admin, "wamr", probe, {
    args: ["action", "file", "x", "y"],
    inputs: ["input?"],
    outputs: ["output?"],
  });
});
after(async () => {
  await t.dispose();
  await files.close();
});

interface FunctionSpec {
  readonly args?: readonly string[];
  /** A trailing "?" marks an optional input or output. */
  readonly inputs?: readonly string[];
  readonly outputs?: readonly string[];
}

async function register(
  owner: MesateeClient,
  executorType: string,
  payload: Uint8Array | string,
  spec: FunctionSpec = {},
): Promise<string> {
  const file = (n: string) => ({ name: n.replace(/\?$/, ""), description: n, optional: n.endsWith("?") });
  const { functionId } = await owner.frontend.registerFunction({
    name: `${executorType}-function`,
    description: "a user-supplied function",
    executorType,
    payload: typeof payload === "string" ? Buffer.from(payload) : payload,
    public: true,
    arguments: (spec.args ?? []).map((key) => ({
      key,
      defaultValue: key === "save_log" ? "false" : "",
      allowOverwrite: true,
    })),
    inputs: (spec.inputs ?? []).map(file),
    outputs: (spec.outputs ?? []).map(file),
    usageQuota: -1,
  });
  return functionId;
}

interface Assigned {
  readonly owner: MesateeClient;
  readonly dataId: string;
}

interface TaskSpec {
  readonly executor?: string;
  readonly args?: Record<string, unknown>;
  readonly inputs?: Record<string, Assigned>;
  readonly outputs?: Record<string, Assigned>;
}

/** Creates a task, has each owner assign its files, every participant approve, and the creator invoke. */
async function invoke(creator: MesateeClient, functionId: string, spec: TaskSpec = {}): Promise<string> {
  const ownership = (m: Record<string, Assigned>) =>
    Object.entries(m).map(([dataName, a]) => ({ dataName, uids: [a.owner.userId!] }));
  const { taskId } = await creator.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify(spec.args ?? {}),
    executor: spec.executor ?? "",
    inputsOwnership: ownership(spec.inputs ?? {}),
    outputsOwnership: ownership(spec.outputs ?? {}),
  });
  const owners = new Map<string, MesateeClient>();
  for (const [dataName, a] of Object.entries(spec.inputs ?? {})) {
    await a.owner.frontend.assignData({ taskId, inputs: [{ dataName, dataId: a.dataId }] });
    owners.set(a.owner.userId!, a.owner);
  }
  for (const [dataName, a] of Object.entries(spec.outputs ?? {})) {
    await a.owner.frontend.assignData({ taskId, outputs: [{ dataName, dataId: a.dataId }] });
    owners.set(a.owner.userId!, a.owner);
  }
  if (owners.size > 0) {
    owners.set(creator.userId!, creator);
    for (const c of owners.values()) await c.frontend.approveTask({ taskId });
  }
  await creator.frontend.invokeTask({ taskId });
  return taskId;
}

async function succeeded(
  client: MesateeClient,
  taskId: string,
): Promise<{ value: string; tags: Record<string, Uint8Array>; log: string[] }> {
  const task = await client.waitForTask(taskId);
  const r = task.result?.result;
  assert.equal(
    r?.case,
    "Ok",
    r?.case === "Err" ? `failed: ${r.value.reason}` : `status ${common.TaskStatus[task.status]}`,
  );
  assert.equal(common.TaskStatus[task.status], "Finished");
  return {
    value: Buffer.from(r.value.returnValue).toString("utf8"),
    tags: r.value.tagsMap,
    log: r.value.log,
  };
}

async function failed(client: MesateeClient, taskId: string): Promise<string> {
  const task = await client.waitForTask(taskId);
  const r = task.result?.result;
  assert.equal(
    common.TaskStatus[task.status],
    "Failed",
    r?.case === "Ok" ? `finished with ${Buffer.from(r.value.returnValue).toString()}` : "",
  );
  assert.equal(r?.case, "Err");
  return r.case === "Err" ? r.value.reason : "";
}

/** Runs a function with only arguments, as the admin; returns the task id. */
async function argsOnly(
  executorType: string,
  payload: Uint8Array | string,
  args: Record<string, unknown> = {},
): Promise<string> {
  const fn = await register(t.admin, executorType, payload, { args: Object.keys(args) });
  return invoke(t.admin, fn, { args });
}

async function output(owner: MesateeClient, name: string): Promise<RegisteredOutput & Assigned> {
  return { ...(await registerOutput(owner, files, name)), owner };
}

async function input(owner: MesateeClient, name: string, plaintext: string | Uint8Array): Promise<Assigned> {
  return { owner, dataId: await registerInput(owner, files, name, plaintext) };
}

// ---------------------------------------------------------------------------------------------------
// Journeys

test("WebAssembly: Teaclave's simple_add, C compiled with clang, returns the sum of its two arguments", async () => {
  const fn = await register(t.admin, "wamr", await compileC("simple_add.c"), { args: ["arg1", "arg2"] });
  const taskId = await invoke(t.admin, fn, { executor: "wamr", args: { arg1: "3", arg2: "4" } });
  assert.equal((await succeeded(t.admin, taskId)).value, "7");
  // JSON numbers reach the function as their JSON text.
  const other = await invoke(t.admin, fn, { executor: "wamr", args: { arg1: 40, arg2: "-2" } });
  assert.equal((await succeeded(t.admin, other)).value, "38");
});

const PSI_SET1 = "apple\nbanana\ncherry\ndate\nelderberry\nfig\n";
const PSI_SET2 = "fig\nbanana\ngrape\napple\nkiwi\n";
const PSI_RESULT = "apple\nbanana\nfig\ndone\n";

async function psiJourney(
  executorType: string,
  payload: Uint8Array | string,
  prefix: string,
): Promise<{ value: string; log: string[] }> {
  const fo = await t.user(`${prefix}-fo`, "FunctionOwner");
  const u1 = await t.user(`${prefix}-u1`, "DataOwner", "a");
  const u2 = await t.user(`${prefix}-u2`, "DataOwner", "b");
  const fn = await register(fo, executorType, payload, {
    args: ["save_log"],
    inputs: ["input_data1", "input_data2"],
    outputs: ["output_data1", "output_data2"],
  });
  const out1 = await output(u1, `${prefix}-out1`);
  const out2 = await output(u2, `${prefix}-out2`);
  const taskId = await invoke(u1, fn, {
    args: { save_log: "true" },
    inputs: {
      input_data1: await input(u1, `${prefix}-in1`, PSI_SET1),
      input_data2: await input(u2, `${prefix}-in2`, PSI_SET2),
    },
    outputs: { output_data1: out1, output_data2: out2 },
  });
  const result = await succeeded(u1, taskId);
  assert.equal(await readOutput(files, out1, result.tags.output_data1), PSI_RESULT);
  assert.equal(await readOutput(files, out2, result.tags.output_data2), PSI_RESULT);
  // The second party reads the same result, and its output's tag, through the API.
  await succeeded(u2, taskId);
  assert.deepEqual((await u2.frontend.getOutputFile({ dataId: out2.dataId })).cmac, result.tags.output_data2);
  return result;
}

test("WebAssembly: two-party PSI in C reads both parties' encrypted inputs and writes both outputs", async () => {
  const result = await psiJourney("wamr", await compileC("psi.c"), "wpsi");
  assert.equal(result.value, "3");
  assert.deepEqual(result.log, [], "WebAssembly functions have no log");
});

test("JavaScript: the same two-party PSI; save_log captures console output", async () => {
  const result = await psiJourney("javascript", await testdata("psi.js"), "jpsi");
  assert.equal(result.value, "3");
  assert.deepEqual(result.log, ["[INFO javascript] common items: 3"]);
});

test("Python: Teaclave's echo payload runs unchanged (executor mesapy)", async () => {
  const fn = await register(t.admin, "python", await testdata("echo.py"), { args: ["message"] });
  const taskId = await invoke(t.admin, fn, { executor: "mesapy", args: { message: "Hello, Teaclave!" } });
  const result = await succeeded(t.admin, taskId);
  assert.equal(result.value, "Hello, Teaclave!");
  assert.deepEqual(result.log, [], "no log without save_log");
});

test("Python: logistic regression training outputs become the inputs of a prediction task", async () => {
  const u = await t.user("lr-user", "DataOwner", "lr");
  // Teaclave's own training data: teaclave-file-128 with key 0¹⁶ (spec §8.5).
  const fixture = join(fixturesDir(), "teaclave/functions/py_logistic_reg");
  copyFileSync(join(fixture, "train.enc"), files.path("train.enc"));
  const training = (
    await u.frontend.registerInputFile({
      url: files.urlOf("train.enc"),
      cmac: Buffer.from("00780510adc603725ec240ab979681f0", "hex"),
      cryptoInfo: { schema: "teaclave-file-128", key: new Uint8Array(16), iv: new Uint8Array() },
    })
  ).dataId;
  const train = await register(t.admin, "python", await testdata("logistic_reg_train.py"), {
    args: ["alpha", "iterations", "save_log"],
    inputs: ["training_data"],
    outputs: ["output_params", "output_scaler"],
  });
  const params = await output(u, "lr-params");
  const scaler = await output(u, "lr-scaler");
  const trained = await succeeded(
    u,
    await invoke(u, train, {
      executor: "mesapy",
      args: { alpha: "0.3", iterations: "100", save_log: "true" },
      inputs: { training_data: { owner: u, dataId: training } },
      outputs: { output_params: params, output_scaler: scaler },
    }),
  );
  assert.equal(trained.value, "Trained 100 rows");
  assert.deepEqual(trained.log, ["[INFO python] trained on 100 rows, 30 features"]);

  // Output → input: the platform's RegisterInputFromOutput for one, and for the other what Teaclave's
  // example does: register the output's URL, key and tag again as an input.
  const paramsInput = (await u.frontend.registerInputFromOutput({ dataId: params.dataId })).dataId;
  const scalerInput = (
    await u.frontend.registerInputFile({
      url: files.urlOf(scaler.name),
      cmac: trained.tags.output_scaler,
      cryptoInfo: scaler.crypto,
    })
  ).dataId;
  const rows = readFileSync(join(fixture, "train.txt"), "utf8").trim().split("\n").slice(0, 40);
  const features = rows.map((r) => r.split(",").slice(0, -1).join(",")).join("\n");
  const labels = rows.map((r) => Number(r.split(",").at(-1)));
  const predict = await register(t.admin, "python", await testdata("logistic_reg_predict.py"), {
    inputs: ["input_params", "input_scaler", "input_data"],
    outputs: ["output_prediction"],
  });
  const prediction = await output(u, "lr-prediction");
  const predicted = await succeeded(
    u,
    await invoke(u, predict, {
      inputs: {
        input_params: { owner: u, dataId: paramsInput },
        input_scaler: { owner: u, dataId: scalerInput },
        input_data: await input(u, "lr-predict.csv", features),
      },
      outputs: { output_prediction: prediction },
    }),
  );
  const values = (await readOutput(files, prediction, predicted.tags.output_prediction))
    .trim()
    .split("\n")
    .map(Number);
  assert.equal(predicted.value, `[${values.map((v) => v.toFixed(1)).join(" ")}]`);
  const correct = values.filter((v, i) => v === labels[i]).length;
  assert.ok(correct >= 36, `${correct} of 40 training rows predicted correctly`);
});

test("Python: an optional input may be present or absent", async () => {
  const u1 = await t.user("opt-u1", "DataOwner", "o1");
  const u2 = await t.user("opt-u2", "DataOwner", "o2");
  const fn = await register(t.admin, "python", await testdata("optional_files.py"), {
    inputs: ["input_data1", "input_data2?"],
  });
  const first = await input(u1, "opt-1", "one\n");
  const both = await invoke(u1, fn, {
    inputs: { input_data1: first, input_data2: await input(u2, "opt-2", "two\n") },
  });
  assert.equal((await succeeded(u1, both)).value, "input_data1=one; input_data2=two");
  const task = await u1.frontend.getTask({ taskId: both });
  assert.deepEqual(task.participants.sort(), ["opt-u1", "opt-u2"]);
  const one = await invoke(u1, fn, { inputs: { input_data1: first } });
  assert.equal(
    (await succeeded(u1, one)).value,
    "input_data1=one; input_data2 absent (fileio_init: teaclave_ffi_error)",
  );
});

test("Python: an infinite loop is canceled while running; the worker keeps serving", async () => {
  const loop = await register(t.admin, "python", await testdata("deadloop.py"));
  const taskId = await invoke(t.admin, loop, { executor: "mesapy" });
  const started = Date.now();
  while (common.TaskStatus[(await t.admin.frontend.getTask({ taskId })).status] !== "Running") {
    assert.ok(Date.now() - started < 30_000, "the task never started");
    await new Promise((r) => setImmediate(r));
  }
  await t.admin.frontend.cancelTask({ taskId });
  assert.equal(common.TaskStatus[(await t.admin.waitForTask(taskId)).status], "Canceled");
  await t.platform.worker?.settled(taskId);
  assert.ok(!t.platform.worker?.runningTasks.includes(taskId));
  const echo = await register(t.admin, "python", await testdata("echo.py"), { args: ["message"] });
  const after = await invoke(t.admin, echo, { args: { message: "still serving" } });
  assert.equal((await succeeded(t.admin, after)).value, "still serving");
});

test('save_log: Python print and stderr are kept only when save_log is "true"', async () => {
  const fn = await register(
    t.admin,
    "python",
    'import sys\ndef entrypoint(argv):\n    print("to stdout")\n    sys.stderr.write("to stderr\\n")\n    return "ok"\n',
    {
      args: ["save_log"],
    },
  );
  const saved = await succeeded(t.admin, await invoke(t.admin, fn, { args: { save_log: "true" } }));
  assert.deepEqual(saved.log, ["[INFO python] to stdout", "[ERROR python] to stderr"]);
  const dropped = await succeeded(t.admin, await invoke(t.admin, fn, { args: { save_log: "false" } }));
  assert.deepEqual(dropped.log, []);
});

// ---------------------------------------------------------------------------------------------------
// The sandbox: escapes

test("Python cannot reach the host: the JavaScript bridge, processes, sockets and host files are refused", async () => {
  const marker = join(tmpdir(), `mesatee-escape-${process.pid}`);
  rmSync(marker, { force: true });
  const server = createServer((socket) => {
    connections++;
    socket.end("reply from the host");
  });
  let connections = 0;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const unblock = 'sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "_Refuse"]';
  const attempts: Array<[string, RegExp]> = [
    // The bridge to JavaScript, tried every way in one function: each import must raise.
    [
      `refused = []
    for name in ("js", "pyodide_js", "pyodide", "pyodide.ffi", "pyodide.code", "_pyodide", "_pyodide_core", "micropip"):
        try:
            __import__(name)
        except ImportError:
            refused.append(name)
    ${unblock}
    for name in ("js", "pyodide_js"):
        try:
            __import__(name)
        except ImportError:
            refused.append("unblocked " + name)
    raise RuntimeError("refused: " + ", ".join(refused))`,
      /RuntimeError: refused: js, pyodide_js, pyodide, pyodide.ffi, pyodide.code, _pyodide, _pyodide_core, micropip, unblocked js, unblocked pyodide_js$/,
    ],
    [`import os\n    os.system("touch ${marker}")\n    return "ran"`, /PermissionError/],
    [
      `${unblock}\n    del sys.modules["posix"]\n    import posix\n    posix.system("touch ${marker}")\n    return "ran"`,
      /./,
    ],
    [`import socket\n    return "imported"`, /ImportError: module 'socket' is not available/],
    // Past the import block: connecting, sending and receiving must all come to nothing.
    [
      `${unblock}\n    import socket\n    s = socket.create_connection(("127.0.0.1", ${port}), timeout=2)\n    s.sendall(b"hello")\n    return repr(s.recv(100))`,
      /./,
    ],
    ['return open("/etc/passwd").read()', /FileNotFoundError/],
    ['import os\n    return " ".join(sorted(os.listdir("/")))', /^$/],
  ];
  try {
    const tasks = await Promise.all(
      attempts.map(([body]) => argsOnly("python", `import sys\ndef entrypoint(argv):\n    ${body}\n`)),
    );
    for (const [i, taskId] of tasks.entries()) {
      const [body, reason] = attempts[i]!;
      if (body.includes("create_connection")) {
        // However far the socket emulation gets inside the interpreter, nothing reaches the host.
        const task = await t.admin.waitForTask(taskId);
        const r = task.result?.result;
        const said =
          r?.case === "Ok"
            ? Buffer.from(r.value.returnValue).toString()
            : r?.case === "Err"
              ? r.value.reason
              : "";
        assert.doesNotMatch(said, /reply from the host/);
        continue;
      }
      if (body.includes("listdir")) {
        // Only Pyodide's in-memory file system: nothing of the host is mounted.
        const listing = (await succeeded(t.admin, taskId)).value.split(" ");
        assert.ok(
          !listing.includes("etc") && !listing.includes("work") && !listing.includes("root"),
          listing.join(" "),
        );
        continue;
      }
      assert.match(await failed(t.admin, taskId), reason, body);
    }
    assert.equal(existsSync(marker), false, "no process was started on the host");
    assert.equal(connections, 0, "no connection reached the host");
  } finally {
    server.close();
    rmSync(marker, { force: true });
  }
});

test("Python cannot climb from leftover JavaScript objects to Node's process or require", async () => {
  // Searches everything reachable from Python for JavaScript proxies, then tries the classic climbs.
  const hunt = `
import sys
def entrypoint(argv):
    seen, proxies = set(), []
    def classes(c):
        for s in type.__subclasses__(c):
            if id(s) not in seen:
                seen.add(id(s))
                yield s
                yield from classes(s)
    for c in list(classes(object)):
        for v in list(vars(c).values()):
            g = getattr(v, "__globals__", None) or getattr(getattr(v, "__func__", None), "__globals__", None) or {}
            for o in list(g.values()):
                if "JsProxy" in type(o).__name__ or "Js" in type(type(o)).__name__:
                    proxies.append(o)
    reached = []
    for o in proxies:
        for climb in (lambda o: o.constructor.constructor("return process")(),
                      lambda o: o.constructor.constructor("return require")(),
                      lambda o: o.process, lambda o: o.require, lambda o: o.globalThis.process):
            try:
                found = climb(o)
                if found is not None and str(type(found).__name__) != "JsNull":
                    reached.append(str(found)[:40])
            except Exception:
                pass
    if reached:
        return "REACHED " + " | ".join(reached)
    return "%d proxies, none led to the host" % len(proxies)
`;
  const value = (await succeeded(t.admin, await argsOnly("python", hunt))).value;
  assert.match(value, /none led to the host/, value);
});

test("JavaScript cannot reach process, require, modules or the host", async () => {
  const seen = await succeeded(
    t.admin,
    await argsOnly(
      "javascript",
      `function entrypoint() {
        const global = Function("return this")();
        return [typeof process, typeof require, typeof fetch, typeof global.process, typeof globalThis.std, typeof globalThis.os, typeof setTimeout].join(",");
      }`,
    ),
  );
  assert.equal(seen.value, "undefined,undefined,undefined,undefined,undefined,undefined,undefined");
  const imports = await Promise.all([
    argsOnly(
      "javascript",
      `import fs from "fs";\nexport function entrypoint() { return fs.readFileSync("/etc/passwd", "utf8"); }`,
    ),
    argsOnly(
      "javascript",
      `async function entrypoint() { const os = await import("os"); return String(os); }`,
    ),
    argsOnly("javascript", `function entrypoint() { return process.env.HOME; }`),
  ]);
  assert.match(await failed(t.admin, imports[0]!), /could not load module 'fs'/);
  assert.match(await failed(t.admin, imports[1]!), /could not load module 'os'/);
  assert.match(await failed(t.admin, imports[2]!), /ReferenceError: .*process/);
});

test("WebAssembly may import only the five host functions and env.memory", async () => {
  const refused: Array<[string, RegExp]> = [
    [
      '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
      /imports wasi_snapshot_preview1\.fd_write.*no WASI/,
    ],
    [
      '(import "env" "emscripten_memcpy_big" (func (param i32 i32 i32)))',
      /imports env\.emscripten_memcpy_big, which is not one of the five host functions/,
    ],
    [
      '(import "env" "teaclave_open_input" (func (param i64) (result i32)))',
      /env\.teaclave_open_input is imported as \(i64\) -> \(i32\); its signature is \(i32\) -> \(i32\)/,
    ],
    ['(import "env" "table" (table 1 funcref))', /imports env\.table/],
    ['(import "env" "g" (global i32))', /imports env\.g/],
  ];
  const tasks = await Promise.all(
    refused.map(async ([imp]) =>
      argsOnly(
        "wasm",
        await wat(
          `(module ${imp} (memory (export "memory") 1 1) (func (export "entrypoint") (param i32 i32) (result i32) i32.const 0))`,
        ),
      ),
    ),
  );
  for (const [i, taskId] of tasks.entries()) assert.match(await failed(t.admin, taskId), refused[i]![1]);
  // The five host functions with Teaclave's signatures and an imported bounded memory are accepted.
  const accepted = await wat(`(module
    (import "env" "teaclave_open_input" (func (param i32) (result i32)))
    (import "env" "teaclave_create_output" (func (param i32) (result i32)))
    (import "env" "teaclave_read_file" (func (param i32 i32 i32) (result i32)))
    (import "env" "teaclave_write_file" (func (param i32 i32 i32) (result i32)))
    (import "env" "teaclave_close_file" (func (param i32) (result i32)))
    (import "env" "memory" (memory 1 16))
    (func (export "entrypoint") (param i32 i32) (result i32) local.get 0))`);
  assert.equal((await succeeded(t.admin, await argsOnly("wasm", accepted, { a: "1", b: "2" }))).value, "4");
});

test("WebAssembly memory is bounded: too large a declaration is refused, an unbounded memory is capped", async () => {
  const maxPages = wasmMaxPages({ ...DEFAULT_EXECUTOR_LIMITS, memoryMb: DEFAULT_TASK_LIMITS.memoryMb });
  const entry = '(func (export "entrypoint") (param i32 i32) (result i32) i32.const 0)';
  const tooLarge = await Promise.all([
    argsOnly("wasm", await wat(`(module (memory (export "memory") 1 ${maxPages + 1}) ${entry})`)),
    argsOnly("wasm", await wat(`(module (import "env" "memory" (memory 1 65536)) ${entry})`)),
    argsOnly("wasm", await wat(`(module (memory (export "memory") ${maxPages + 1}) ${entry})`)),
  ]);
  for (const taskId of tooLarge)
    assert.match(await failed(t.admin, taskId), /memory \(up to \d+ KiB\) exceeds the limit of \d+ KiB/);
  const odd = await Promise.all([
    argsOnly("wasm", await wat(`(module (memory 1 1) ${entry})`)),
    argsOnly("wasm", await wat(`(module ${entry})`)),
  ]);
  assert.match(await failed(t.admin, odd[0]!), /must export its memory/);
  assert.match(await failed(t.admin, odd[1]!), /has no memory/);
  // clang declares no maximum: the executor caps the memory, and growing stops there.
  const pages = Number(
    (await succeeded(t.admin, await invoke(t.admin, probeFn, { args: { action: "memory_bomb" } }))).value,
  );
  // It grows 256 pages at a time until the next step would pass the cap.
  assert.ok(pages <= maxPages && pages > maxPages - 256, `${pages} pages, cap ${maxPages}`);
});

test("a function cannot open a file id the task does not declare, nor write an input", async () => {
  const u = await t.user("files-user", "DataOwner", "f");
  let n = 0;
  const assign = async (withOutput: boolean) => ({
    inputs: { input: await input(u, `files-in-${++n}`, "private") },
    ...(withOutput ? { outputs: { output: await output(u, `files-out-${n}`) } } : {}),
  });
  // WebAssembly: Teaclave's convention, -1 from the host function.
  for (const args of [
    { action: "open", file: "secret" },
    { action: "open", file: "output" },
    { action: "create", file: "input" },
    { action: "create", file: "../input" },
    { action: "write_input" },
    { action: "bad_pointer" },
    { action: "double_close" },
  ])
    assert.equal(
      (await succeeded(u, await invoke(u, probeFn, { args, ...(await assign(false)) }))).value,
      "-1",
      JSON.stringify(args),
    );
  assert.equal(
    (
      await succeeded(
        u,
        await invoke(u, probeFn, { args: { action: "read_output" }, ...(await assign(true)) }),
      )
    ).value,
    "-1",
  );
  // Python: Teaclave's RuntimeError; reading and writing the wrong way round fails too. Each call is
  // tried in turn and must raise.
  const pythonCalls = `
def entrypoint(argv):
    outcomes = []
    for call in (lambda: teaclave_open("secret", "rb"), lambda: teaclave_open("input", "wb"),
                 lambda: teaclave_open("input", "r"), lambda: teaclave_open("input", "rb").write(b"x")):
        try:
            call()
            outcomes.append("allowed")
        except Exception as e:
            outcomes.append("%s: %s" % (type(e).__name__, e))
    return " | ".join(outcomes)
`;
  const python = await register(t.admin, "python", pythonCalls, { inputs: ["input"] });
  assert.deepEqual((await succeeded(u, await invoke(u, python, await assign(false)))).value.split(" | "), [
    "RuntimeError: fileio_init: teaclave_ffi_error",
    "RuntimeError: fileio_init: teaclave_ffi_error",
    "RuntimeError: Teaclave Not Supported",
    "UnsupportedOperation: write",
  ]);
  // JavaScript: an exception from the host API.
  const jsCalls = `function entrypoint(args, files) {
    return [() => files.readText("secret"), () => files.writeText("input", "x"), () => files.create("../input")]
      .map((call) => { try { call(); return "allowed"; } catch (e) { return e.message; } })
      .join(" | ");
  }`;
  const js = await register(t.admin, "javascript", jsCalls, { inputs: ["input"] });
  assert.deepEqual((await succeeded(u, await invoke(u, js, await assign(false)))).value.split(" | "), [
    'the task has no input named "secret"',
    'the task has no output named "input"',
    'the task has no output named "../input"',
  ]);
});

test("infinite loops end Failed at the time limit", async () => {
  const tasks = await Promise.all([
    invoke(t.admin, probeFn, { args: { action: "loop" } }),
    argsOnly("javascript", "function entrypoint() { for (;;) {} }"),
    argsOnly("python", await testdata("deadloop.py")),
  ]);
  for (const taskId of tasks)
    assert.match(await failed(t.admin, taskId), new RegExp(`time limit exceeded \\(${TIMEOUT_MS} ms\\)`));
});

test("memory bombs end Failed", async () => {
  // A generous time limit of their own, so that only the memory limit can end them, however slow the
  // machine.
  const bomb = async (executorType: string, payload: string) => {
    const functionId = await register(t.admin, executorType, payload);
    await t.admin.functions.setFunctionLimits({ functionId, limits: { timeoutMs: 120_000 } });
    return invoke(t.admin, functionId, {});
  };
  const tasks = await Promise.all([
    bomb(
      "javascript",
      "function entrypoint() { const keep = []; for (;;) keep.push(new ArrayBuffer(8 << 20)); }",
    ),
    bomb(
      "python",
      "def entrypoint(argv):\n    keep = []\n    while True:\n        keep.append(bytearray(32 << 20))\n",
    ),
  ]);
  assert.match(await failed(t.admin, tasks[0]!), /memory limit exceeded/);
  assert.match(await failed(t.admin, tasks[1]!), /memory limit exceeded/);
});

test("outputs past the output limit fail the task, even when the function catches the error", async () => {
  const u = await t.user("big-user", "DataOwner", "b");
  let n = 0;
  const out = async () => ({ outputs: { output: await output(u, `big-${++n}`) } });
  const python = await register(
    t.admin,
    "python",
    'def entrypoint(argv):\n    f = teaclave_open("output", "wb")\n    for i in range(64):\n        try:\n            f.write(b"x" * 65536)\n        except OSError:\n            pass\n    return "wrote"\n',
    { outputs: ["output"] },
  );
  const js = await register(
    t.admin,
    "javascript",
    'function entrypoint(a, files) { const o = files.create("output"); for (let i = 0; i < 64; i++) { try { o.write("x".repeat(65536)); } catch (e) {} } return "wrote"; }',
    { outputs: ["output"] },
  );
  const tasks = await Promise.all([
    invoke(u, probeFn, { args: { action: "huge_output" }, ...(await out()) }),
    invoke(u, python, await out()),
    invoke(u, js, await out()),
  ]);
  for (const taskId of tasks)
    assert.match(await failed(u, taskId), new RegExp(`output output is larger than ${MAX_OUTPUT} bytes`));
});

test("arguments reach functions verbatim, one value each: nothing can be injected", async () => {
  const hostile = { x: 'a", "evil": "1', y: "line one\nline two ]\n[injected" };
  const u = await t.user("args-user", "DataOwner", "a");
  const out = await output(u, "args-out");
  const wasm = await succeeded(
    u,
    await invoke(u, probeFn, { args: { action: "echo_args", ...hostile }, outputs: { output: out } }),
  );
  // Declared arguments the task leaves out take their default (here "").
  assert.equal(wasm.value, "8");
  assert.equal(
    await readOutput(files, out, wasm.tags.output),
    `[action]\n[echo_args]\n[file]\n[]\n[x]\n[${hostile.x}]\n[y]\n[${hostile.y}]\n`,
  );
  const python = await succeeded(
    t.admin,
    await argsOnly("python", "def entrypoint(argv):\n    return repr(argv)\n", {
      ...hostile,
      z: "'); import os; os.system('id') #",
    }),
  );
  assert.equal(
    python.value,
    `['x', 'a", "evil": "1', 'y', 'line one\\nline two ]\\n[injected', 'z', "'); import os; os.system('id') #"]`,
  );
  const js = await succeeded(
    t.admin,
    await argsOnly("javascript", "function entrypoint(args) { return JSON.stringify(args); }", {
      ...hostile,
      n: 3,
    }),
  );
  assert.deepEqual(JSON.parse(js.value), { ...hostile, n: 3 });
  // A C string ends at NUL, so a WebAssembly function could not tell where such a value ends.
  assert.match(
    await failed(t.admin, await invoke(t.admin, probeFn, { args: { action: "echo_args", x: "a\u0000b" } })),
    /cannot contain NUL/,
  );
});

test("traps, exceptions and bad payloads end Failed with the reason, never Finished with an error", async () => {
  const cases: Array<[Promise<string>, RegExp]> = [
    [invoke(t.admin, probeFn, { args: { action: "trap" } }), /the function trapped: unreachable/],
    [invoke(t.admin, probeFn, { args: { action: "stack" } }), /the function trapped: stack overflow/],
    [argsOnly("wasm", new Uint8Array([0, 97, 115, 109, 2, 0, 0, 0])), /invalid WebAssembly module/],
    [argsOnly("wasm", "not a module at all"), /invalid WebAssembly module/],
    [
      argsOnly("python", "def entrypoint(argv):\n    raise ValueError('bad input: %d rows' % 3)\n"),
      /ValueError: bad input: 3 rows/,
    ],
    [argsOnly("python", "def entrypoint(argv)\n    return 1\n"), /SyntaxError/],
    [argsOnly("python", "def entrypoint(argv):\n    return 42\n"), /entrypoint must return a str, not int/],
    [argsOnly("python", "x = 1\n"), /no entrypoint/],
    [argsOnly("python", "def entrypoint(argv):\n    import sys\n    sys.exit(3)\n"), /SystemExit: 3/],
    [
      argsOnly("python", "def entrypoint(argv):\n    f = lambda n: f(n + 1)\n    return f(0)\n"),
      /RecursionError/,
    ],
    [
      argsOnly("javascript", 'function entrypoint() { throw new RangeError("too far"); }'),
      /RangeError: too far/,
    ],
    [
      argsOnly("javascript", "function entrypoint() { const f = (n) => f(n + 1) + 1; return String(f(0)); }"),
      /stack overflow/,
    ],
    [argsOnly("javascript", "function entrypoint( {"), /SyntaxError/],
  ];
  const ids = await Promise.all(cases.map(([id]) => id));
  for (const [i, taskId] of ids.entries()) assert.match(await failed(t.admin, taskId), cases[i]![1]);
});
