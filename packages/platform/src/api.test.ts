// Every public RPC's success path, through the wire API with the SDK client.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { common } from "@mesatee/sdk";
import { ADMIN_PASSWORD, startTestPlatform, USER_PASSWORD, type TestPlatform } from "./testing/harness.js";

let t: TestPlatform;
before(async () => {
  // No execution worker: invoked tasks stay Staged, so the API's own behaviour is what is observed.
  t = await startTestPlatform({ config: { inProcessWorker: false } });
});
after(() => t.dispose());

const KEY16 = new Uint8Array(16).fill(7);
const IV12 = new Uint8Array(12).fill(1);
const TAG = new Uint8Array(16).fill(9);
const aes = { schema: "aes-gcm-128", key: KEY16, iv: IV12 };

test("authentication API: register, login, update, change password, reset, list, delete", async () => {
  await t.admin.authentication.userRegister({
    id: "alice",
    password: USER_PASSWORD,
    role: "DataOwnerManager",
    attribute: "bank",
  });
  const alice = t.client();
  assert.ok((await alice.login("alice", USER_PASSWORD)).length > 20);

  await alice.authentication.userRegister({
    id: "bob",
    password: USER_PASSWORD,
    role: "DataOwner",
    attribute: "bank",
  });
  assert.deepEqual((await alice.authentication.listUsers({ id: "bank" })).ids, ["bob"]);
  assert.deepEqual((await t.admin.authentication.listUsers({ id: "" })).ids, ["admin", "alice", "bob"]);

  await alice.authentication.userUpdate({
    id: "bob",
    password: "another-password",
    role: "DataOwner",
    attribute: "bank",
  });
  const bob = t.client();
  await bob.login("bob", "another-password");

  await bob.authentication.userChangePassword({ password: "third-password" });
  await bob.login("bob", "third-password");

  const { password } = await alice.authentication.resetUserPassword({ id: "bob" });
  assert.match(password, /^[0-9a-f]{32}$/);
  await bob.login("bob", password);

  await alice.authentication.deleteUser({ id: "bob" });
  assert.deepEqual((await t.admin.authentication.listUsers({ id: "" })).ids, ["admin", "alice"]);
  await assert.rejects(bob.login("bob", password), { code: "UNAUTHENTICATED" });
});

test("frontend API: files, functions and tasks from registration to invocation", async () => {
  const owner = await t.user("fo", "FunctionOwner");
  const d1 = await t.user("d1", "DataOwner", "g");
  const d2 = await t.user("d2", "DataOwner", "g");

  const { functionId } = await owner.frontend.registerFunction({
    name: "builtin-ordered-set-intersect",
    description: "intersect",
    executorType: "builtin",
    public: true,
    arguments: [{ key: "order", defaultValue: "ascending", allowOverwrite: true }],
    inputs: [
      { name: "input_data1", description: "a" },
      { name: "input_data2", description: "b" },
    ],
    outputs: [
      { name: "output_result1", description: "a" },
      { name: "output_result2", description: "b" },
    ],
    usageQuota: 5,
  });
  assert.match(functionId, /^function-[0-9a-f-]{36}$/);

  const fn = await d1.frontend.getFunction({ functionId });
  assert.equal(fn.name, "builtin-ordered-set-intersect");
  assert.equal(fn.owner, "fo");
  assert.equal(fn.arguments[0]?.defaultValue, "ascending");

  const updated = await owner.frontend.updateFunction({
    functionId,
    name: "builtin-ordered-set-intersect",
    description: "intersect, v2",
    executorType: "builtin",
    public: true,
    arguments: [{ key: "order", defaultValue: "ascending", allowOverwrite: true }],
    inputs: fn.inputs,
    outputs: fn.outputs,
    usageQuota: 5,
  });
  assert.equal(updated.functionId, functionId);
  assert.equal((await d1.frontend.getFunction({ functionId })).description, "intersect, v2");
  assert.deepEqual((await owner.frontend.listFunctions({ userId: "fo" })).registeredFunctions, [functionId]);

  const in1 = (
    await d1.frontend.registerInputFile({ url: "https://example.com/a.enc", cmac: TAG, cryptoInfo: aes })
  ).dataId;
  const in2 = (
    await d2.frontend.registerInputFile({ url: "https://example.com/b.enc", cmac: TAG, cryptoInfo: aes })
  ).dataId;
  const out1 = (await d1.frontend.registerOutputFile({ url: "https://example.com/o1.enc", cryptoInfo: aes }))
    .dataId;
  const out2 = (await d2.frontend.registerOutputFile({ url: "https://example.com/o2.enc", cryptoInfo: aes }))
    .dataId;
  assert.deepEqual(
    await d1.frontend
      .getInputFile({ dataId: in1 })
      .then((r) => [r.owner, Buffer.from(r.cmac).toString("hex")]),
    [["d1"], Buffer.from(TAG).toString("hex")],
  );
  assert.equal((await d1.frontend.getOutputFile({ dataId: out1 })).cmac.length, 0);

  const movedIn = (await d1.frontend.updateInputFile({ dataId: in1, url: "https://example.com/a2.enc" }))
    .dataId;
  assert.notEqual(movedIn, in1);
  const movedOut = (await d1.frontend.updateOutputFile({ dataId: out1, url: "https://example.com/o1b.enc" }))
    .dataId;
  assert.notEqual(movedOut, out1);

  const { taskId } = await d1.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({ order: "descending" }),
    executor: "builtin",
    inputsOwnership: [
      { dataName: "input_data1", uids: ["d1"] },
      { dataName: "input_data2", uids: ["d2"] },
    ],
    outputsOwnership: [
      { dataName: "output_result1", uids: ["d1"] },
      { dataName: "output_result2", uids: ["d2"] },
    ],
  });
  let task = await d2.frontend.getTask({ taskId });
  assert.equal(task.status, common.TaskStatus.Created);
  assert.deepEqual(task.participants, ["d1", "d2"]);
  assert.equal(task.functionArguments, JSON.stringify({ order: "descending" }));

  await d1.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input_data1", dataId: movedIn }],
    outputs: [{ dataName: "output_result1", dataId: movedOut }],
  });
  await d2.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input_data2", dataId: in2 }],
    outputs: [{ dataName: "output_result2", dataId: out2 }],
  });
  assert.equal((await d1.frontend.getTask({ taskId })).status, common.TaskStatus.DataAssigned);
  await d1.frontend.approveTask({ taskId });
  assert.equal((await d1.frontend.getTask({ taskId })).status, common.TaskStatus.DataAssigned);
  await d2.frontend.approveTask({ taskId });
  task = await d1.frontend.getTask({ taskId });
  assert.equal(task.status, common.TaskStatus.Approved);
  assert.deepEqual(task.approvedUsers, ["d1", "d2"]);

  await d1.frontend.invokeTask({ taskId });
  assert.equal((await d1.frontend.getTask({ taskId })).status, common.TaskStatus.Staged);
  assert.deepEqual(
    await owner.frontend.getFunctionUsageStats({ functionId }).then((s) => [s.functionQuota, s.currentUsage]),
    [5, 1],
  );

  await d1.frontend.cancelTask({ taskId });
  task = await d1.frontend.getTask({ taskId });
  assert.equal(task.status, common.TaskStatus.Canceled);
  assert.equal(task.result?.result.case, "Err");

  await owner.frontend.disableFunction({ functionId });
  assert.deepEqual((await owner.frontend.listFunctions({ userId: "fo" })).registeredFunctions, []);
  await owner.frontend.deleteFunction({ functionId });
  await assert.rejects(owner.frontend.getFunction({ functionId }), { code: "NOT_FOUND" });
});

test("fusion outputs and inputs made from outputs", async () => {
  const f1 = await t.user("f1", "DataOwner", "g");
  await t.user("f2", "DataOwner", "g");
  const { dataId } = await f1.frontend.registerFusionOutput({ ownerList: ["f1", "f2"] });
  const info = await f1.frontend.getOutputFile({ dataId });
  assert.deepEqual(info.owner, ["f1", "f2"]);
  // Not finished yet: it cannot become an input.
  await assert.rejects(f1.frontend.registerInputFromOutput({ dataId }), { code: "INVALID_ARGUMENT" });
});

test("audit logs: every call is recorded and PlatformAdmin can query them", async () => {
  const { logs } = await t.admin.frontend.queryAuditLogs({ query: "*", limit: 1000n });
  assert.ok(logs.length > 20);
  assert.ok(
    logs.some((l) => l.message.startsWith("register_function function-") && l.result && l.user === "fo"),
  );
  assert.ok(logs.every((l) => l.ip.length === 16));
  const failed = await t.admin.frontend.queryAuditLogs({ query: "result:false", limit: 10n });
  assert.ok(failed.logs.length > 0 && failed.logs.every((l) => !l.result));
  const timestamps = logs.map((l) => l.microsecond);
  assert.deepEqual(
    [...timestamps].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)),
    timestamps,
  );
  assert.equal(await t.platform.audit.verify(), null);
  void ADMIN_PASSWORD;
});
