// Ownership rules and every task state transition, including refusals (spec §3.4, §3.6). Refused calls
// must change nothing.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { common, MesateeError, type MesateeClient } from "@mesatee/sdk";
import { startTestPlatform, type TestPlatform } from "../../testing/harness.js";

let t: TestPlatform;
let fo: MesateeClient;
let a: MesateeClient;
let b: MesateeClient;
let c: MesateeClient;

const crypto = { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) };
const TAG = new Uint8Array(16).fill(1);

before(async () => {
  // No execution worker: invoked tasks stay Staged, so the state machine is what is observed.
  t = await startTestPlatform({ config: { inProcessWorker: false } });
  fo = await t.user("fo", "FunctionOwner");
  a = await t.user("a", "DataOwner", "g1");
  b = await t.user("b", "DataOwner", "g2");
  c = await t.user("c", "DataOwner", "g3");
});
after(() => t.dispose());

async function fn(owner: MesateeClient, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await owner.frontend.registerFunction({
    name: "builtin-ordered-set-intersect",
    description: "",
    executorType: "builtin",
    public: true,
    arguments: [
      { key: "order", defaultValue: "ascending", allowOverwrite: true },
      { key: "fixed", defaultValue: "x", allowOverwrite: false },
    ],
    inputs: [
      { name: "in_a", description: "" },
      { name: "in_b", description: "" },
      { name: "in_opt", description: "", optional: true },
    ],
    outputs: [{ name: "out_a", description: "" }],
    usageQuota: -1,
    ...extra,
  });
  return r.functionId;
}

const input = async (cl: MesateeClient) =>
  (await cl.frontend.registerInputFile({ url: "https://h/in", cmac: TAG, cryptoInfo: crypto })).dataId;
const output = async (cl: MesateeClient) =>
  (await cl.frontend.registerOutputFile({ url: "https://h/out", cryptoInfo: crypto })).dataId;

async function twoPartyTask(functionId: string): Promise<string> {
  return (
    await a.frontend.createTask({
      functionId,
      functionArguments: "{}",
      executor: "builtin",
      inputsOwnership: [
        { dataName: "in_a", uids: ["a"] },
        { dataName: "in_b", uids: ["b"] },
      ],
      outputsOwnership: [{ dataName: "out_a", uids: ["a"] }],
    })
  ).taskId;
}

const task = (taskId: string) => t.platform.store.transaction((tx) => tx.get("task", taskId));

async function refused(p: Promise<unknown>, code: string, taskId?: string): Promise<MesateeError> {
  const before = taskId ? await task(taskId) : undefined;
  const error = await p.then(
    () => assert.fail(`expected ${code}`),
    (e: unknown) => e as MesateeError,
  );
  assert.ok(error instanceof MesateeError, String(error));
  assert.equal(error.code, code, error.message);
  if (taskId) assert.deepEqual(await task(taskId), before, "a refused call changes nothing");
  return error;
}

test("create: defaults are merged as strings and given values keep their JSON type", async () => {
  const functionId = await fn(fo);
  const { taskId } = await a.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({ order: ["desc", 1] }),
    inputsOwnership: [
      { dataName: "in_a", uids: ["a"] },
      { dataName: "in_b", uids: ["b"] },
    ],
    outputsOwnership: [{ dataName: "out_a", uids: ["a"] }],
  });
  const got = await a.frontend.getTask({ taskId });
  assert.deepEqual(JSON.parse(got.functionArguments), { order: ["desc", 1], fixed: "x" });
  assert.deepEqual(got.participants, ["a", "b"]);
  assert.equal(got.creator, "a");
  assert.equal(got.functionOwner, "fo");
});

test("create: argument, input, output and executor mismatches are refused", async () => {
  const functionId = await fn(fo);
  const base = {
    functionId,
    inputsOwnership: [
      { dataName: "in_a", uids: ["a"] },
      { dataName: "in_b", uids: ["b"] },
    ],
    outputsOwnership: [{ dataName: "out_a", uids: ["a"] }],
  };
  await refused(a.frontend.createTask({ ...base, functionArguments: '{"unknown":1}' }), "INVALID_ARGUMENT");
  await refused(a.frontend.createTask({ ...base, functionArguments: '{"fixed":"y"}' }), "INVALID_ARGUMENT");
  await refused(a.frontend.createTask({ ...base, functionArguments: "[1,2]" }), "INVALID_ARGUMENT");
  await refused(a.frontend.createTask({ ...base, functionArguments: "{not json" }), "INVALID_ARGUMENT");
  await refused(a.frontend.createTask({ ...base, executor: "mesapy" }), "INVALID_ARGUMENT");
  await refused(
    a.frontend.createTask({ ...base, inputsOwnership: [{ dataName: "in_a", uids: ["a"] }] }),
    "INVALID_ARGUMENT",
  );
  await refused(
    a.frontend.createTask({
      ...base,
      inputsOwnership: [...base.inputsOwnership, { dataName: "nope", uids: ["a"] }],
    }),
    "INVALID_ARGUMENT",
  );
  await refused(a.frontend.createTask({ ...base, outputsOwnership: [] }), "INVALID_ARGUMENT");
  await refused(
    a.frontend.createTask({ ...base, outputsOwnership: [{ dataName: "out_a", uids: ["ghost"] }] }),
    "INVALID_ARGUMENT",
  );
  await refused(
    a.frontend.createTask({
      ...base,
      inputsOwnership: [{ dataName: "constructor", uids: ["a"] }, ...base.inputsOwnership],
    }),
    "INVALID_ARGUMENT",
  );
  // Optional inputs may be left out, or given.
  await a.frontend.createTask({
    ...base,
    inputsOwnership: [...base.inputsOwnership, { dataName: "in_opt", uids: ["c"] }],
  });
  assert.equal((await t.platform.store.transaction((tx) => tx.count("task"))) > 0, true);
});

test("create: private functions need the allowlist, and their owner becomes a participant", async () => {
  const functionId = await fn(fo, { public: false, userAllowlist: ["a"] });
  const spec = {
    functionId,
    inputsOwnership: [
      { dataName: "in_a", uids: ["a"] },
      { dataName: "in_b", uids: ["b"] },
    ],
    outputsOwnership: [{ dataName: "out_a", uids: ["a"] }],
  };
  await refused(b.frontend.createTask(spec), "PERMISSION_DENIED");
  const { taskId } = await a.frontend.createTask(spec);
  const got = await fo.frontend.getTask({ taskId });
  assert.deepEqual(got.participants, ["a", "b", "fo"]);
  // The allow-listed user sees the function without its payload and allowlist.
  const seen = await a.frontend.getFunction({ functionId });
  assert.deepEqual([seen.payload.length, seen.userAllowlist], [0, []]);
  await refused(b.frontend.getFunction({ functionId }), "PERMISSION_DENIED");
  assert.deepEqual((await a.frontend.listFunctions({ userId: "a" })).allowedFunctions, [functionId]);
  await refused(a.frontend.listFunctions({ userId: "b" }), "PERMISSION_DENIED");
  // The owner reads the usage of its own private function (Teaclave refused it).
  assert.equal((await fo.frontend.getFunctionUsageStats({ functionId })).currentUsage, 0);
});

test("assign: only participants, only their own files, only with the declared owners, only once", async () => {
  const functionId = await fn(fo);
  const taskId = await twoPartyTask(functionId);
  const inA = await input(a);
  const inB = await input(b);
  const inC = await input(c);
  const outA = await output(a);

  await refused(
    c.frontend.assignData({ taskId, inputs: [{ dataName: "in_a", dataId: inC }] }),
    "PERMISSION_DENIED",
    taskId,
  );
  await refused(
    a.frontend.assignData({ taskId, inputs: [{ dataName: "in_b", dataId: inB }] }),
    "PERMISSION_DENIED",
    taskId,
  );
  await refused(
    a.frontend.assignData({ taskId, inputs: [{ dataName: "in_b", dataId: inA }] }),
    "PERMISSION_DENIED",
    taskId,
  );
  await refused(
    a.frontend.assignData({ taskId, inputs: [{ dataName: "nope", dataId: inA }] }),
    "INVALID_ARGUMENT",
    taskId,
  );
  await refused(
    a.frontend.assignData({ taskId, inputs: [{ dataName: "in_a", dataId: "output-x" }] }),
    "INVALID_ARGUMENT",
    taskId,
  );
  // All or nothing: a valid first file with an invalid second one assigns neither.
  await refused(
    a.frontend.assignData({
      taskId,
      inputs: [{ dataName: "in_a", dataId: inA }],
      outputs: [{ dataName: "out_a", dataId: inA.replace("input", "output") }],
    }),
    "NOT_FOUND",
    taskId,
  );

  await a.frontend.assignData({ taskId, inputs: [{ dataName: "in_a", dataId: inA }] });
  await refused(
    a.frontend.assignData({ taskId, inputs: [{ dataName: "in_a", dataId: inA }] }),
    "FAILED_PRECONDITION",
    taskId,
  );
  assert.equal((await a.frontend.getTask({ taskId })).status, common.TaskStatus.Created);
  await a.frontend.assignData({ taskId, outputs: [{ dataName: "out_a", dataId: outA }] });
  await b.frontend.assignData({ taskId, inputs: [{ dataName: "in_b", dataId: inB }] });
  const got = await b.frontend.getTask({ taskId });
  assert.equal(got.status, common.TaskStatus.DataAssigned);
  assert.deepEqual(
    got.assignedInputs.map((d) => [d.dataName, d.dataId]),
    [
      ["in_a", inA],
      ["in_b", inB],
    ],
  );
  // Assigning after every file is assigned is refused.
  await refused(
    a.frontend.assignData({ taskId, inputs: [{ dataName: "in_opt", dataId: inA }] }),
    "FAILED_PRECONDITION",
    taskId,
  );
});

async function readyTask(): Promise<{ taskId: string; functionId: string }> {
  const functionId = await fn(fo);
  const taskId = await twoPartyTask(functionId);
  await a.frontend.assignData({
    taskId,
    inputs: [{ dataName: "in_a", dataId: await input(a) }],
    outputs: [{ dataName: "out_a", dataId: await output(a) }],
  });
  await b.frontend.assignData({ taskId, inputs: [{ dataName: "in_b", dataId: await input(b) }] });
  return { taskId, functionId };
}

test("approve: every participant once, only after assignment; invoke: the creator, only when approved", async () => {
  const functionId = await fn(fo);
  const early = await twoPartyTask(functionId);
  await refused(a.frontend.approveTask({ taskId: early }), "FAILED_PRECONDITION", early);
  await refused(a.frontend.invokeTask({ taskId: early }), "FAILED_PRECONDITION", early);

  const { taskId } = await readyTask();
  await refused(c.frontend.approveTask({ taskId }), "PERMISSION_DENIED", taskId);
  await a.frontend.approveTask({ taskId });
  await refused(a.frontend.approveTask({ taskId }), "FAILED_PRECONDITION", taskId);
  await refused(a.frontend.invokeTask({ taskId }), "FAILED_PRECONDITION", taskId);
  await b.frontend.approveTask({ taskId });
  assert.equal((await a.frontend.getTask({ taskId })).status, common.TaskStatus.Approved);
  await refused(b.frontend.approveTask({ taskId }), "FAILED_PRECONDITION", taskId);
  await refused(b.frontend.invokeTask({ taskId }), "PERMISSION_DENIED", taskId);
  await refused(c.frontend.invokeTask({ taskId }), "PERMISSION_DENIED", taskId);
  await a.frontend.invokeTask({ taskId });
  assert.equal((await a.frontend.getTask({ taskId })).status, common.TaskStatus.Staged);
  assert.ok(await t.platform.store.transaction((tx) => tx.queueEntry(taskId)));
  await refused(a.frontend.invokeTask({ taskId }), "FAILED_PRECONDITION", taskId);
  await refused(a.frontend.approveTask({ taskId }), "FAILED_PRECONDITION", taskId);
});

test("a single-participant task with no files runs on create + invoke", async () => {
  const { functionId } = await fo.frontend.registerFunction({
    name: "builtin-echo",
    executorType: "builtin",
    public: true,
    usageQuota: -1,
    arguments: [{ key: "message", defaultValue: "", allowOverwrite: true }],
  });
  const { taskId } = await a.frontend.createTask({ functionId, functionArguments: '{"message":"hi"}' });
  assert.equal((await a.frontend.getTask({ taskId })).status, common.TaskStatus.Created);
  await a.frontend.invokeTask({ taskId });
  assert.equal((await a.frontend.getTask({ taskId })).status, common.TaskStatus.Staged);
});

test("a single participant with files: assign, approve, invoke", async () => {
  const functionId = await fn(fo);
  const { taskId } = await a.frontend.createTask({
    functionId,
    inputsOwnership: [
      { dataName: "in_a", uids: ["a"] },
      { dataName: "in_b", uids: ["a"] },
    ],
    outputsOwnership: [{ dataName: "out_a", uids: ["a"] }],
  });
  await a.frontend.assignData({
    taskId,
    inputs: [
      { dataName: "in_a", dataId: await input(a) },
      { dataName: "in_b", dataId: await input(a) },
    ],
    outputs: [{ dataName: "out_a", dataId: await output(a) }],
  });
  assert.equal((await a.frontend.getTask({ taskId })).status, common.TaskStatus.DataAssigned);
  await a.frontend.approveTask({ taskId });
  assert.equal((await a.frontend.getTask({ taskId })).status, common.TaskStatus.Approved);
  await a.frontend.invokeTask({ taskId });
});

test("invoke counts usage and refuses once the quota is used up", async () => {
  const { functionId } = await fo.frontend.registerFunction({
    name: "builtin-echo",
    executorType: "builtin",
    public: true,
    usageQuota: 1,
  });
  const t1 = (await a.frontend.createTask({ functionId })).taskId;
  const t2 = (await a.frontend.createTask({ functionId })).taskId;
  await a.frontend.invokeTask({ taskId: t1 });
  const e = await refused(a.frontend.invokeTask({ taskId: t2 }), "QUOTA_EXCEEDED", t2);
  assert.match(e.message, /quota/);
  const stats = await a.frontend.getFunctionUsageStats({ functionId });
  assert.deepEqual([stats.functionQuota, stats.currentUsage], [1, 1]);
});

test("a disabled function cannot be used, approved or invoked; a deleted one cannot be invoked", async () => {
  const { taskId, functionId } = await readyTask();
  await a.frontend.approveTask({ taskId });
  await refused(c.frontend.disableFunction({ functionId }), "PERMISSION_DENIED");
  await fo.frontend.disableFunction({ functionId });
  await refused(b.frontend.approveTask({ taskId }), "FAILED_PRECONDITION", taskId);
  await refused(twoPartyTask(functionId), "PERMISSION_DENIED");
  assert.ok(!(await a.frontend.listFunctions({ userId: "a" })).allowedFunctions.includes(functionId));
  await refused(a.frontend.getFunction({ functionId }), "PERMISSION_DENIED");

  const other = await readyTask();
  await a.frontend.approveTask({ taskId: other.taskId });
  await b.frontend.approveTask({ taskId: other.taskId });
  await refused(a.frontend.deleteFunction({ functionId: other.functionId }), "PERMISSION_DENIED");
  await fo.frontend.deleteFunction({ functionId: other.functionId });
  await refused(a.frontend.invokeTask({ taskId: other.taskId }), "FAILED_PRECONDITION", other.taskId);
});

test("cancel: creator or admin, from every non-final state; never twice", async () => {
  for (const stage of ["Created", "DataAssigned", "Approved", "Staged"] as const) {
    const { taskId } = await readyTask();
    if (stage === "Created") {
      // a fresh task that is not fully assigned
    }
    const id = stage === "Created" ? await twoPartyTask(await fn(fo)) : taskId;
    if (stage === "Approved" || stage === "Staged") {
      await a.frontend.approveTask({ taskId: id });
      await b.frontend.approveTask({ taskId: id });
    }
    if (stage === "Staged") await a.frontend.invokeTask({ taskId: id });
    assert.equal(common.TaskStatus[(await a.frontend.getTask({ taskId: id })).status], stage);
    await refused(b.frontend.cancelTask({ taskId: id }), "PERMISSION_DENIED", id);
    await (stage === "Staged" ? t.admin : a).frontend.cancelTask({ taskId: id });
    const got = await a.frontend.getTask({ taskId: id });
    assert.equal(got.status, common.TaskStatus.Canceled);
    assert.deepEqual(got.result?.result, { case: "Err", value: got.result?.result.value });
    assert.equal(await t.platform.store.transaction((tx) => tx.queueEntry(id)), undefined);
    await refused(a.frontend.cancelTask({ taskId: id }), "FAILED_PRECONDITION", id);
    await refused(a.frontend.invokeTask({ taskId: id }), "FAILED_PRECONDITION", id);
  }
});

test("get: only participants read a task, and the admin is not one by default", async () => {
  const { taskId } = await readyTask();
  await refused(c.frontend.getTask({ taskId }), "PERMISSION_DENIED");
  await refused(t.admin.frontend.getTask({ taskId }), "PERMISSION_DENIED");
  await refused(fo.frontend.getTask({ taskId }), "PERMISSION_DENIED");
});

test("files: only owners read them, and only a sole owner moves them", async () => {
  const inA = await input(a);
  await refused(b.frontend.getInputFile({ dataId: inA }), "PERMISSION_DENIED");
  await refused(b.frontend.updateInputFile({ dataId: inA, url: "https://h/2" }), "PERMISSION_DENIED");
  const fusion = (await a.frontend.registerFusionOutput({ ownerList: ["a", "b"] })).dataId;
  await refused(a.frontend.updateOutputFile({ dataId: fusion, url: "https://h/2" }), "PERMISSION_DENIED");
  await refused(c.frontend.getOutputFile({ dataId: fusion }), "PERMISSION_DENIED");
  assert.deepEqual((await b.frontend.getOutputFile({ dataId: fusion })).owner, ["a", "b"]);
  await refused(a.frontend.registerFusionOutput({ ownerList: ["b", "c"] }), "PERMISSION_DENIED");
  await refused(a.frontend.registerFusionOutput({ ownerList: ["a"] }), "INVALID_ARGUMENT");
  await refused(a.frontend.registerFusionOutput({ ownerList: ["a", "ghost"] }), "INVALID_ARGUMENT");
});

test("registering an input from an output needs a finished output and keeps owners and tag", async () => {
  const out = await output(a);
  await refused(a.frontend.registerInputFromOutput({ dataId: out }), "INVALID_ARGUMENT");
  // Finish it the way a worker would: the tag is set once.
  await t.platform.store.transaction(async (tx) => {
    const f = (await tx.get("output", out))!;
    await tx.update("output", out, { ...f, cmac: "ab".repeat(16) });
  });
  await refused(b.frontend.registerInputFromOutput({ dataId: out }), "PERMISSION_DENIED");
  const { dataId } = await a.frontend.registerInputFromOutput({ dataId: out });
  assert.equal(dataId, out.replace("output-", "input-"));
  const info = await a.frontend.getInputFile({ dataId });
  assert.deepEqual([info.owner, Buffer.from(info.cmac).toString("hex")], [["a"], "ab".repeat(16)]);
  // A finished output cannot be assigned to another task.
  const taskId = await twoPartyTask(await fn(fo));
  await refused(
    a.frontend.assignData({ taskId, outputs: [{ dataName: "out_a", dataId: out }] }),
    "FAILED_PRECONDITION",
    taskId,
  );
});
