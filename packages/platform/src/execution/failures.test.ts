// How tasks fail: each failure ends the task Failed with a reason a participant can act on, and never
// as Finished carrying an error (a difference from Teaclave, documented in docs/api.md).
import assert from "node:assert/strict";
import { writeFileSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { common, type MesateeClient } from "@mesatee/sdk";
import { startFileServer, type FileServer } from "../testing/file-server.js";
import { startTestPlatform, type TestPlatform } from "../testing/harness.js";
import { putEncrypted, registerInput, registerOutput } from "../testing/journey.js";
import { DEFAULT_TASK_LIMITS } from "./limits.js";

let t: TestPlatform;
let files: FileServer;
let u: MesateeClient;
let copy: string;
let intersect: string;

before(async () => {
  t = await startTestPlatform({ config: { worker: { slots: 2, heartbeatMs: 200, pollMs: 1000 } } });
  files = await startFileServer();
  u = await t.user("f-user", "DataOwner", "g");
  copy = (
    await t.admin.frontend.registerFunction({
      name: "builtin-copy",
      executorType: "builtin",
      public: true,
      inputs: [{ name: "input" }],
      outputs: [{ name: "output" }],
      usageQuota: -1,
    })
  ).functionId;
  intersect = (
    await t.admin.frontend.registerFunction({
      name: "builtin-ordered-set-intersect",
      executorType: "builtin",
      public: true,
      arguments: [{ key: "order", defaultValue: "ascending", allowOverwrite: true }],
      inputs: [{ name: "input_data1" }, { name: "input_data2" }],
      outputs: [{ name: "output_result1" }, { name: "output_result2" }],
      usageQuota: -1,
    })
  ).functionId;
});
after(async () => {
  await t.dispose();
  await files.close();
});

async function copyTask(client: MesateeClient, inputId: string, outputId: string): Promise<string> {
  const { taskId } = await client.frontend.createTask({
    functionId: copy,
    executor: "builtin",
    inputsOwnership: [{ dataName: "input", uids: [client.userId!] }],
    outputsOwnership: [{ dataName: "output", uids: [client.userId!] }],
  });
  await client.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input", dataId: inputId }],
    outputs: [{ dataName: "output", dataId: outputId }],
  });
  await client.frontend.approveTask({ taskId });
  await client.frontend.invokeTask({ taskId });
  return taskId;
}

async function failure(client: MesateeClient, taskId: string): Promise<string> {
  const task = await client.waitForTask(taskId);
  assert.equal(common.TaskStatus[task.status], "Failed");
  assert.equal(task.result?.result.case, "Err");
  return task.result.result.case === "Err" ? task.result.result.value.reason : "";
}

test("a replaced input fails the task: its tag does not match the registered one", async () => {
  const input = await registerInput(u, files, "replaced.enc", "some private data");
  // The host swaps in another valid ciphertext (e.g. an older version of the file).
  await putEncrypted(files, "replaced.enc", "other data", "aes-gcm-128");
  const out = await registerOutput(u, files, "replaced.out");
  const reason = await failure(u, await copyTask(u, input, out.dataId));
  assert.match(reason, /input input: the file does not match its registered tag/);
  assert.equal(files.puts.includes("replaced.out"), false, "nothing was uploaded");
});

for (const schema of ["aes-gcm-128", "teaclave-file-128", "mesatee-stream-v1"] as const) {
  test(`a tampered ${schema} input fails the task: authentication fails`, async () => {
    const name = `tampered-${schema}.enc`;
    const input = await registerInput(u, files, name, "some private data ".repeat(500), schema);
    const bytes = readFileSync(files.path(name));
    // Flip a ciphertext byte past the headers.
    bytes[bytes.length - 40] = bytes[bytes.length - 40]! ^ 1;
    writeFileSync(files.path(name), bytes);
    const out = await registerOutput(u, files, `${name}.out`);
    const reason = await failure(u, await copyTask(u, input, out.dataId));
    assert.match(
      reason,
      /input input: (cannot decrypt: the file was modified|the file does not match its registered tag)/,
    );
    assert.equal(files.puts.includes(`${name}.out`), false, "nothing was uploaded");
  });
}

test("a wrong key fails the task", async () => {
  const { tag, url } = await putEncrypted(files, "wrongkey.enc", "some private data", "aes-gcm-128");
  const input = (
    await u.frontend.registerInputFile({
      url,
      cmac: tag,
      cryptoInfo: { schema: "aes-gcm-128", key: new Uint8Array(16).fill(9), iv: new Uint8Array(12) },
    })
  ).dataId;
  const out = await registerOutput(u, files, "wrongkey.out");
  assert.match(
    await failure(u, await copyTask(u, input, out.dataId)),
    /input input: (cannot decrypt|the file does not match)/,
  );
});

test("an unreachable input fails the task", async () => {
  const input = (
    await u.frontend.registerInputFile({
      url: "http://127.0.0.1:1/nothing",
      cmac: new Uint8Array(16),
      cryptoInfo: { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) },
    })
  ).dataId;
  const out = await registerOutput(u, files, "unreachable.out");
  assert.match(
    await failure(u, await copyTask(u, input, out.dataId)),
    /input input: download from http:\/\/127\.0\.0\.1:1\/nothing failed/,
  );
});

test("a missing input (404) fails the task", async () => {
  const input = (
    await u.frontend.registerInputFile({
      url: files.urlOf("absent.enc"),
      cmac: new Uint8Array(16),
      cryptoInfo: { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) },
    })
  ).dataId;
  const out = await registerOutput(u, files, "absent.out");
  assert.match(await failure(u, await copyTask(u, input, out.dataId)), /404/);
});

test("a refused output upload fails the task, and the output keeps no tag", async () => {
  const input = await registerInput(u, files, "refused.in", "data");
  const out = await registerOutput(u, files, "refused.out");
  files.refusePut.add("refused.out");
  const reason = await failure(u, await copyTask(u, input, out.dataId));
  assert.match(reason, /output output: upload to .*refused\.out failed.*403/);
  assert.equal((await u.frontend.getOutputFile({ dataId: out.dataId })).cmac.length, 0);
});

test("a function error fails the task with the function's reason", async () => {
  const a = await registerInput(u, files, "unsorted1", "02\n01\n");
  const b = await registerInput(u, files, "unsorted2", "01\n");
  const o1 = await registerOutput(u, files, "unsorted.o1");
  const o2 = await registerOutput(u, files, "unsorted.o2");
  const { taskId } = await u.frontend.createTask({
    functionId: intersect,
    executor: "builtin",
    inputsOwnership: [
      { dataName: "input_data1", uids: ["f-user"] },
      { dataName: "input_data2", uids: ["f-user"] },
    ],
    outputsOwnership: [
      { dataName: "output_result1", uids: ["f-user"] },
      { dataName: "output_result2", uids: ["f-user"] },
    ],
  });
  await u.frontend.assignData({
    taskId,
    inputs: [
      { dataName: "input_data1", dataId: a },
      { dataName: "input_data2", dataId: b },
    ],
    outputs: [
      { dataName: "output_result1", dataId: o1.dataId },
      { dataName: "output_result2", dataId: o2.dataId },
    ],
  });
  await u.frontend.approveTask({ taskId });
  await u.frontend.invokeTask({ taskId });
  assert.match(await failure(u, taskId), /order|sorted/i);
});

test("cancel while running stops that task in place; the worker keeps serving", async () => {
  const input = await registerInput(u, files, "slow.in", Buffer.alloc(1 << 20, 7));
  const out = await registerOutput(u, files, "slow.out");
  files.hold("slow.in");
  const taskId = await copyTask(u, input, out.dataId);
  await files.requested("slow.in");
  assert.equal(common.TaskStatus[(await u.frontend.getTask({ taskId })).status], "Running");
  // Another task runs to completion on the same worker meanwhile.
  const echo = (
    await t.admin.frontend.registerFunction({
      name: "builtin-echo",
      public: true,
      usageQuota: -1,
      arguments: [{ key: "message", allowOverwrite: true }],
    })
  ).functionId;
  const { taskId: other } = await u.frontend.createTask({
    functionId: echo,
    functionArguments: '{"message":"still here"}',
  });
  await u.frontend.invokeTask({ taskId: other });
  await u.frontend.cancelTask({ taskId });
  const canceled = await u.waitForTask(taskId);
  assert.equal(common.TaskStatus[canceled.status], "Canceled");
  const done = await u.waitForTask(other);
  assert.equal(
    Buffer.from(done.result?.result.case === "Ok" ? done.result.result.value.returnValue : []).toString(),
    "still here",
  );
  // The canceled task's download was aborted and nothing was uploaded.
  await t.platform.worker?.settled(taskId);
  assert.ok(!t.platform.worker?.runningTasks.includes(taskId));
  assert.equal(files.puts.includes("slow.out"), false);
  files.release("slow.in");
});

test("cancel while staged: the task never runs", async () => {
  const limited = await startTestPlatform({ config: { inProcessWorker: false } });
  try {
    const echo = (
      await limited.admin.frontend.registerFunction({ name: "builtin-echo", public: true, usageQuota: -1 })
    ).functionId;
    const { taskId } = await limited.admin.frontend.createTask({ functionId: echo });
    await limited.admin.frontend.invokeTask({ taskId });
    assert.equal(common.TaskStatus[(await limited.admin.frontend.getTask({ taskId })).status], "Staged");
    await limited.admin.frontend.cancelTask({ taskId });
    assert.equal(common.TaskStatus[(await limited.admin.frontend.getTask({ taskId })).status], "Canceled");
    assert.equal(await limited.platform.store.transaction((tx) => tx.queueLength()), 0);
  } finally {
    await limited.dispose();
  }
});

test("time and memory limits end the task Failed with the limit named", async () => {
  const limited = await startTestPlatform({
    config: { taskLimits: { ...DEFAULT_TASK_LIMITS, timeoutMs: 1, memoryMb: 16 } },
  });
  try {
    const c = await limited.user("lim", "DataOwner", "g");
    const copyFn = (
      await limited.admin.frontend.registerFunction({
        name: "builtin-copy",
        public: true,
        usageQuota: -1,
        inputs: [{ name: "input" }],
        outputs: [{ name: "output" }],
      })
    ).functionId;
    const input = await registerInput(c, files, "lim.in", "x");
    const out = await registerOutput(c, files, "lim.out");
    const { taskId } = await c.frontend.createTask({
      functionId: copyFn,
      inputsOwnership: [{ dataName: "input", uids: ["lim"] }],
      outputsOwnership: [{ dataName: "output", uids: ["lim"] }],
    });
    await c.frontend.assignData({
      taskId,
      inputs: [{ dataName: "input", dataId: input }],
      outputs: [{ dataName: "output", dataId: out.dataId }],
    });
    await c.frontend.approveTask({ taskId });
    await c.frontend.invokeTask({ taskId });
    assert.match(await failure(c, taskId), /time limit exceeded/);
  } finally {
    await limited.dispose();
  }
  const small = await startTestPlatform({ config: { taskLimits: { ...DEFAULT_TASK_LIMITS, memoryMb: 96 } } });
  try {
    const c = await small.user("mem", "DataOwner", "g");
    const pjc = (
      await small.admin.frontend.registerFunction({
        name: "builtin-private-join-and-compute",
        public: true,
        usageQuota: -1,
        arguments: [{ key: "num_user", allowOverwrite: true }],
        inputs: [{ name: "input_data0" }, { name: "input_data1" }],
        outputs: [{ name: "output_data0" }, { name: "output_data1" }],
      })
    ).functionId;
    // Two million identities: far more than 96 MiB.
    const lines = Array.from({ length: 2_000_000 }, (_, i) => `id${i} : ${i}`).join("\n");
    const in0 = await registerInput(c, files, "mem0", lines);
    const in1 = await registerInput(c, files, "mem1", lines);
    const o0 = await registerOutput(c, files, "mem.o0");
    const o1 = await registerOutput(c, files, "mem.o1");
    const { taskId } = await c.frontend.createTask({
      functionId: pjc,
      functionArguments: '{"num_user":2}',
      inputsOwnership: [
        { dataName: "input_data0", uids: ["mem"] },
        { dataName: "input_data1", uids: ["mem"] },
      ],
      outputsOwnership: [
        { dataName: "output_data0", uids: ["mem"] },
        { dataName: "output_data1", uids: ["mem"] },
      ],
    });
    await c.frontend.assignData({
      taskId,
      inputs: [
        { dataName: "input_data0", dataId: in0 },
        { dataName: "input_data1", dataId: in1 },
      ],
      outputs: [
        { dataName: "output_data0", dataId: o0.dataId },
        { dataName: "output_data1", dataId: o1.dataId },
      ],
    });
    await c.frontend.approveTask({ taskId });
    await c.frontend.invokeTask({ taskId });
    assert.match(await failure(c, taskId), /memory limit exceeded/);
  } finally {
    await small.dispose();
  }
});
