// Per-function resource limits (MesaTEE extension): the owner sets them, participants read them, the
// operator's maximum caps them, and a task runs under them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { common, MesateeError, type MesateeClient } from "@mesatee/sdk";
import { startFileServer, type FileServer } from "../testing/file-server.js";
import { startTestPlatform, type TestPlatform } from "../testing/harness.js";
import { registerInput, registerOutput } from "../testing/journey.js";

let t: TestPlatform;
let files: FileServer;
let owner: MesateeClient;
let user: MesateeClient;
let functionId: string;

before(async () => {
  t = await startTestPlatform();
  files = await startFileServer();
  owner = await t.user("lim-owner", "FunctionOwner");
  user = await t.user("lim-user", "DataOwner", "g");
  functionId = (
    await owner.frontend.registerFunction({
      name: "builtin-copy",
      public: true,
      usageQuota: -1,
      inputs: [{ name: "input" }],
      outputs: [{ name: "output" }],
    })
  ).functionId;
});
after(async () => {
  await t.dispose();
  await files.close();
});

const refused = async (p: Promise<unknown>, code: string) => {
  const e = await p.then(
    () => assert.fail(`expected ${code}`),
    (err: unknown) => err as MesateeError,
  );
  assert.ok(e instanceof MesateeError);
  assert.equal(e.code, code, e.message);
};

test("the owner sets a function's limits; participants read them; others cannot set them", async () => {
  assert.deepEqual((await user.functions.getFunctionLimits({ functionId })).limits, {
    $typeName: "mesatee.v1.FunctionLimits",
    timeoutMs: 0,
    memoryMb: 0,
  });
  const set = await owner.functions.setFunctionLimits({
    functionId,
    limits: { timeoutMs: 5000, memoryMb: 128 },
  });
  assert.deepEqual([set.limits?.timeoutMs, set.limits?.memoryMb], [5000, 128]);
  const got = await user.functions.getFunctionLimits({ functionId });
  assert.deepEqual([got.limits?.timeoutMs, got.limits?.memoryMb], [5000, 128]);
  await refused(
    user.functions.setFunctionLimits({ functionId, limits: { timeoutMs: 1 } }),
    "PERMISSION_DENIED",
  );
  await refused(
    t.admin.functions.setFunctionLimits({ functionId, limits: { timeoutMs: 1 } }),
    "PERMISSION_DENIED",
  );
  await refused(
    owner.functions.setFunctionLimits({ functionId, limits: { memoryMb: 16 } }),
    "INVALID_ARGUMENT",
  );
  await refused(
    owner.functions.setFunctionLimits({ functionId, limits: { timeoutMs: 4_000_000_000 } }),
    "INVALID_ARGUMENT",
  );
  await refused(
    owner.functions.setFunctionLimits({ functionId: "task-00000000-0000-4000-8000-000000000000" }),
    "INVALID_ARGUMENT",
  );
});

test("a task runs under its function's time limit", async () => {
  await owner.functions.setFunctionLimits({ functionId, limits: { timeoutMs: 1 } });
  const input = await registerInput(user, files, "limited.in", "x");
  const out = await registerOutput(user, files, "limited.out");
  const { taskId } = await user.frontend.createTask({
    functionId,
    inputsOwnership: [{ dataName: "input", uids: ["lim-user"] }],
    outputsOwnership: [{ dataName: "output", uids: ["lim-user"] }],
  });
  await user.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input", dataId: input }],
    outputs: [{ dataName: "output", dataId: out.dataId }],
  });
  await user.frontend.approveTask({ taskId });
  await user.frontend.invokeTask({ taskId });
  const task = await user.waitForTask(taskId);
  assert.equal(common.TaskStatus[task.status], "Failed");
  assert.match(
    task.result?.result.case === "Err" ? task.result.result.value.reason : "",
    /time limit exceeded \(1 ms\)/,
  );
  // Back to the platform's default: the same task succeeds.
  await owner.functions.setFunctionLimits({ functionId, limits: {} });
  const out2 = await registerOutput(user, files, "limited2.out");
  const { taskId: again } = await user.frontend.createTask({
    functionId,
    inputsOwnership: [{ dataName: "input", uids: ["lim-user"] }],
    outputsOwnership: [{ dataName: "output", uids: ["lim-user"] }],
  });
  await user.frontend.assignData({
    taskId: again,
    inputs: [{ dataName: "input", dataId: input }],
    outputs: [{ dataName: "output", dataId: out2.dataId }],
  });
  await user.frontend.approveTask({ taskId: again });
  await user.frontend.invokeTask({ taskId: again });
  assert.equal(common.TaskStatus[(await user.waitForTask(again)).status], "Finished");
});
