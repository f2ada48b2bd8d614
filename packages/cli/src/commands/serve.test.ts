// `mesatee serve execution` as a separate process: a worker killed with SIGKILL mid-task loses its lease
// and the task completes on another worker; a platform restarted with queued tasks runs them.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { common, type MesateeClient } from "@mesatee/sdk";
import {
  readOutput,
  registerInput,
  registerOutput,
  startFileServer,
  startTestPlatform,
  type FileServer,
  type TestPlatform,
} from "@mesatee/platform/testing";

const BIN = fileURLToPath(new URL("../../bin/mesatee.js", import.meta.url));

let files: FileServer;
const work = mkdtempSync(join(tmpdir(), "mesatee-workers-"));
const children = new Set<ChildProcess>();

before(async () => {
  files = await startFileServer();
});
after(async () => {
  for (const c of children) c.kill("SIGKILL");
  await files.close();
  rmSync(work, { recursive: true, force: true });
});

async function startWorker(t: TestPlatform, name: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      "serve",
      "execution",
      "--scheduler",
      t.platform.schedulerUrl,
      "--client-dir",
      t.platform.clientDir,
      "--attestation-dir",
      t.platform.attestationDir,
      "--slots",
      "1",
      "--heartbeat-ms",
      "200",
      "--work-dir",
      join(work, name),
      "--fusion-dir",
      t.platform.fusionDir,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.add(child);
  child.once("exit", () => children.delete(child));
  // The worker announces itself once it is serving.
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  assert.match(line.toString(), /execution worker .* serving/);
  return child;
}

async function copyTask(t: TestPlatform, u: MesateeClient, input: string, output: string): Promise<string> {
  const fn = (
    await t.admin.frontend.registerFunction({
      name: "builtin-copy",
      public: true,
      usageQuota: -1,
      inputs: [{ name: "input" }],
      outputs: [{ name: "output" }],
    })
  ).functionId;
  const { taskId } = await u.frontend.createTask({
    functionId: fn,
    inputsOwnership: [{ dataName: "input", uids: [u.userId!] }],
    outputsOwnership: [{ dataName: "output", uids: [u.userId!] }],
  });
  await u.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input", dataId: input }],
    outputs: [{ dataName: "output", dataId: output }],
  });
  await u.frontend.approveTask({ taskId });
  await u.frontend.invokeTask({ taskId });
  return taskId;
}

test("a worker killed mid-task loses its lease; the task completes on another worker", async () => {
  const t = await startTestPlatform({
    config: { inProcessWorker: false, scheduler: { leaseMs: 1500, maxAttempts: 3, reapIntervalMs: 200 } },
  });
  try {
    const u = await t.user("k-user", "DataOwner", "g");
    const input = await registerInput(u, files, "kill.in", "survives a dead worker\n");
    const out = await registerOutput(u, files, "kill.out");
    files.hold("kill.in");
    const first = await startWorker(t, "first");
    const taskId = await copyTask(t, u, input, out.dataId);
    await files.requested("kill.in");
    assert.equal(common.TaskStatus[(await u.frontend.getTask({ taskId })).status], "Running");
    first.kill("SIGKILL");
    await once(first, "exit");
    files.release("kill.in");
    await startWorker(t, "second");
    const task = await u.waitForTask(taskId, 30_000);
    assert.equal(
      common.TaskStatus[task.status],
      "Finished",
      task.result?.result.case === "Err" ? task.result.result.value.reason : "",
    );
    const tag = task.result?.result.case === "Ok" ? task.result.result.value.tagsMap.output : undefined;
    assert.equal(await readOutput(files, out, tag), "survives a dead worker\n");
    const entry = await t.platform.store.transaction((tx) => tx.queueEntry(taskId));
    assert.equal(entry, undefined, "finished once, and gone from the queue");
  } finally {
    await t.dispose();
  }
});

test("tasks queued when the platform stops run after it restarts", async () => {
  let t = await startTestPlatform({ config: { inProcessWorker: false } });
  try {
    const u = await t.user("r-user", "DataOwner", "g");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const input = await registerInput(u, files, `restart${i}.in`, `queued ${i}\n`);
      const out = await registerOutput(u, files, `restart${i}.out`);
      ids.push(await copyTask(t, u, input, out.dataId));
    }
    for (const id of ids)
      assert.equal(common.TaskStatus[(await u.frontend.getTask({ taskId: id })).status], "Staged");
    await t.stop();
    t = await startTestPlatform({ dataDir: t.dataDir, config: { inProcessWorker: true } });
    const u2 = t.client();
    await u2.login("r-user", "user-password");
    for (const id of ids) assert.equal(common.TaskStatus[(await u2.waitForTask(id)).status], "Finished");
  } finally {
    await t.dispose();
  }
});
