// The SDK's client-side encryption (MesateeClient.files) against a live platform and a real file host:
// plaintext never reaches the host, outputs are checked against the task's tag, failures are clear.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { common, type MesateeClient } from "@mesatee/sdk";
import { startFileServer, type FileServer } from "./testing/file-server.js";
import { startTestPlatform, type TestPlatform } from "./testing/harness.js";

let t: TestPlatform;
let files: FileServer;
let owner: MesateeClient;
let copy: string;
before(async () => {
  t = await startTestPlatform();
  files = await startFileServer();
  owner = await t.user("files-owner", "DataOwner", "g");
  ({ functionId: copy } = await t.admin.frontend.registerFunction({
    name: "builtin-copy",
    public: true,
    usageQuota: -1,
    inputs: [{ name: "input" }],
    outputs: [{ name: "output" }],
  }));
});
after(async () => {
  await t.dispose();
  await files.close();
});

async function runCopy(inputId: string, outputId: string): Promise<void> {
  const { taskId } = await owner.frontend.createTask({
    functionId: copy,
    executor: "builtin",
    inputsOwnership: [{ dataName: "input", uids: ["files-owner"] }],
    outputsOwnership: [{ dataName: "output", uids: ["files-owner"] }],
  });
  await owner.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input", dataId: inputId }],
    outputs: [{ dataName: "output", dataId: outputId }],
  });
  await owner.frontend.invokeTask({ taskId });
  assert.equal(common.TaskStatus[(await owner.waitForTask(taskId)).status], "Finished");
}

for (const schema of ["aes-gcm-128", "aes-gcm-256", "teaclave-file-128", "mesatee-stream-v1"] as const) {
  test(`${schema}: upload an input, run a task, download the output`, async () => {
    const secret = `the plaintext of ${schema}, known only to its owner`;
    const input = await owner.files.uploadInput({
      plaintext: secret,
      uploadUrl: files.urlOf(`in-${schema}`),
      schema,
    });
    assert.ok(
      !readFileSync(files.path(`in-${schema}`)).includes(Buffer.from("plaintext")),
      "the host got ciphertext",
    );
    assert.deepEqual((await owner.frontend.getInputFile({ dataId: input.dataId })).cmac, input.tag);
    const output = await owner.files.registerOutput({ url: files.urlOf(`out-${schema}`), schema });
    await runCopy(input.dataId, output.dataId);
    assert.equal(Buffer.from(await owner.files.downloadOutput(output)).toString(), secret);
  });
}

test("an output that is not written yet, or was replaced on the host, is refused", async () => {
  const input = await owner.files.uploadInput({ plaintext: "original", uploadUrl: files.urlOf("in-swap") });
  const output = await owner.files.registerOutput({ url: files.urlOf("out-swap") });
  await assert.rejects(owner.files.downloadOutput(output), { code: "FAILED_PRECONDITION" });
  await runCopy(input.dataId, output.dataId);
  // Whoever can write to the host changes the stored output.
  const stored = readFileSync(files.path("out-swap"));
  stored[stored.length - 1]! ^= 1;
  writeFileSync(files.path("out-swap"), stored);
  await assert.rejects(owner.files.downloadOutput(output), /tag/i);
});

test("a host that refuses the upload, or cannot be reached, fails clearly", async () => {
  files.refusePut.add("refused");
  await assert.rejects(
    owner.files.uploadInput({ plaintext: "x", uploadUrl: `${files.urlOf("refused")}?X-Signature=secret` }),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "UNAVAILABLE");
      assert.match(e.message, /PUT http:\/\/127\.0\.0\.1:\d+\/refused answered 403/);
      assert.doesNotMatch(e.message, /secret/, "a presigned URL's query is not repeated");
      return true;
    },
  );
  await assert.rejects(owner.files.uploadInput({ plaintext: "x", uploadUrl: "http://127.0.0.1:1/nowhere" }), {
    code: "UNAVAILABLE",
  });
  await assert.rejects(
    owner.files.uploadInput({ plaintext: "x", uploadUrl: files.urlOf("raw"), schema: "raw" }),
    {
      code: "INVALID_ARGUMENT",
    },
  );
});
