// The user journeys of spec §7.5 with built-in functions, end to end through the public API, with a real
// HTTP file server holding the ciphertext.
import assert from "node:assert/strict";
import { generateKeyPairSync, createPublicKey, verify } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { common, type MesateeClient } from "@mesatee/sdk";
import { fixturesDir, startFileServer, type FileServer } from "../testing/file-server.js";
import { startTestPlatform, type TestPlatform } from "../testing/harness.js";
import { readOutput, registerInput, registerOutput } from "../testing/journey.js";

let t: TestPlatform;
let files: FileServer;

before(async () => {
  t = await startTestPlatform();
  files = await startFileServer();
});
after(async () => {
  await t.dispose();
  await files.close();
});

async function builtin(
  owner: MesateeClient,
  name: string,
  spec: { args?: string[]; inputs?: string[]; outputs?: string[] },
): Promise<string> {
  const { functionId } = await owner.frontend.registerFunction({
    name,
    description: name,
    executorType: "builtin",
    public: true,
    arguments: (spec.args ?? []).map((key) => ({ key, defaultValue: "", allowOverwrite: true })),
    inputs: (spec.inputs ?? []).map((n) => ({ name: n, description: n })),
    outputs: (spec.outputs ?? []).map((n) => ({ name: n, description: n })),
    usageQuota: -1,
  });
  return functionId;
}

function okResult(task: Awaited<ReturnType<MesateeClient["waitForTask"]>>): {
  value: string;
  tags: Record<string, Uint8Array>;
} {
  const r = task.result?.result;
  assert.equal(
    r?.case,
    "Ok",
    r?.case === "Err" ? r.value.reason : `status ${common.TaskStatus[task.status]}`,
  );
  assert.equal(task.status, common.TaskStatus.Finished);
  return { value: Buffer.from(r.value.returnValue).toString("utf8"), tags: r.value.tagsMap };
}

test("echo: create and invoke, no approval needed", async () => {
  const functionId = await builtin(t.admin, "builtin-echo", { args: ["message"] });
  const { taskId } = await t.admin.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({ message: "Hello Teaclave!" }),
    executor: "builtin",
  });
  await t.admin.frontend.invokeTask({ taskId });
  assert.equal(okResult(await t.admin.waitForTask(taskId)).value, "Hello Teaclave!");
});

test("two-party ordered set intersect: each party registers, assigns and approves; both read results", async () => {
  const fo = await t.user("psi-fo", "FunctionOwner");
  const u0 = await t.user("psi-u0", "DataOwner", "a");
  const u1 = await t.user("psi-u1", "DataOwner", "b");
  const functionId = await builtin(fo, "builtin-ordered-set-intersect", {
    args: ["order"],
    inputs: ["input_data1", "input_data2"],
    outputs: ["output_result1", "output_result2"],
  });
  const set0 = readFileSync(join(fixturesDir(), "teaclave/functions/ordered_set_intersect/psi0.txt"), "utf8");
  const lines0 = set0.trim().split("\n");
  // Party 1's set shares three of party 0's items.
  const set1 = `${[lines0[1], lines0[3], lines0[5]].join("\n")}\n`;
  const in0 = await registerInput(u0, files, "psi0.enc", set0, "teaclave-file-128");
  const in1 = await registerInput(u1, files, "psi1.enc", set1, "aes-gcm-256");
  const out0 = await registerOutput(u0, files, "psi0.out", "aes-gcm-128");
  const out1 = await registerOutput(u1, files, "psi1.out", "teaclave-file-128");
  const { taskId } = await u0.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({ order: "ascending" }),
    executor: "builtin",
    inputsOwnership: [
      { dataName: "input_data1", uids: ["psi-u0"] },
      { dataName: "input_data2", uids: ["psi-u1"] },
    ],
    outputsOwnership: [
      { dataName: "output_result1", uids: ["psi-u0"] },
      { dataName: "output_result2", uids: ["psi-u1"] },
    ],
  });
  await u0.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input_data1", dataId: in0 }],
    outputs: [{ dataName: "output_result1", dataId: out0.dataId }],
  });
  await u1.frontend.assignData({
    taskId,
    inputs: [{ dataName: "input_data2", dataId: in1 }],
    outputs: [{ dataName: "output_result2", dataId: out1.dataId }],
  });
  await u0.frontend.approveTask({ taskId });
  await u1.frontend.approveTask({ taskId });
  await u0.frontend.invokeTask({ taskId });
  const result = okResult(await u0.waitForTask(taskId));
  assert.equal(result.value, "3 common items");
  assert.equal(
    await readOutput(files, out0, result.tags.output_result1),
    lines0.map((_, i) => (i % 2 === 1 && i < 6 ? "1" : "0")).join(""),
  );
  assert.equal(await readOutput(files, out1, result.tags.output_result2), "111");
  // Both read the result and each output's tag through the API.
  okResult(await u1.frontend.getTask({ taskId }));
  assert.deepEqual(
    (await u1.frontend.getOutputFile({ dataId: out1.dataId })).cmac,
    result.tags.output_result2,
  );
});

test("three-party private join and compute, created by a fourth user", async () => {
  const banks = ["pjc-b0", "pjc-b1", "pjc-b2"];
  const clients = await Promise.all(banks.map((b) => t.user(b, "DataOwner", b)));
  const creator = await t.user("pjc-creator", "DataOwner", "c");
  const functionId = await builtin(t.admin, "builtin-private-join-and-compute", {
    args: ["num_user"],
    inputs: ["input_data0", "input_data1", "input_data2"],
    outputs: ["output_data0", "output_data1", "output_data2"],
  });
  const data = [
    "a : 10\nc : 30000\ne : 5000000\n",
    "b : 20\nc : 40000\ne : 3000\n",
    "c : 400000\nd : 1\ne : 30000\n",
  ];
  const { taskId } = await creator.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({ num_user: 3 }),
    executor: "builtin",
    inputsOwnership: banks.map((b, i) => ({ dataName: `input_data${i}`, uids: [b] })),
    outputsOwnership: banks.map((b, i) => ({ dataName: `output_data${i}`, uids: [b] })),
  });
  const outs = [];
  for (const [i, c] of clients.entries()) {
    const input = await registerInput(c, files, `pjc-in${i}`, data[i]!);
    const out = await registerOutput(c, files, `pjc-out${i}`);
    outs.push(out);
    await c.frontend.assignData({
      taskId,
      inputs: [{ dataName: `input_data${i}`, dataId: input }],
      outputs: [{ dataName: `output_data${i}`, dataId: out.dataId }],
    });
  }
  // The creator is a participant too, and everyone must approve.
  for (const c of [...clients, creator]) await c.frontend.approveTask({ taskId });
  await creator.frontend.invokeTask({ taskId });
  const result = okResult(await creator.waitForTask(taskId));
  assert.equal(result.value, "3 users join the task in total.");
  for (const [i, out] of outs.entries())
    assert.equal(await readOutput(files, out, result.tags[`output_data${i}`]), "c, 470000\ne, 5033000\n");
});

test("password check: a data: URL input and a teaclave-file-128 input", async () => {
  const u = await t.user("pw-user", "DataOwner", "p");
  const functionId = await builtin(t.admin, "builtin-password-check", {
    inputs: ["password", "exposed_passwords"],
  });
  // Teaclave's example: AES-GCM-128 (key 0, iv 0, AAD 0^8) of "password", as a data: URL; tag = last 16 bytes.
  const sealed = Buffer.from("c+mpvRfZ0fboR0j3rTgOGDBiubSzlCt9", "base64");
  const password = (
    await u.frontend.registerInputFile({
      url: `data:text/plain;base64,${sealed.toString("base64")}`,
      cmac: sealed.subarray(sealed.length - 16),
      cryptoInfo: { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) },
    })
  ).dataId;
  const exposed = await registerInput(
    u,
    files,
    "exposed_passwords.txt.enc",
    "123456\npassword\nqwerty\n",
    "teaclave-file-128",
  );
  const { taskId } = await u.frontend.createTask({
    functionId,
    executor: "builtin",
    inputsOwnership: [
      { dataName: "password", uids: ["pw-user"] },
      { dataName: "exposed_passwords", uids: ["pw-user"] },
    ],
  });
  await u.frontend.assignData({
    taskId,
    inputs: [
      { dataName: "password", dataId: password },
      { dataName: "exposed_passwords", dataId: exposed },
    ],
  });
  await u.frontend.approveTask({ taskId });
  await u.frontend.invokeTask({ taskId });
  assert.equal(okResult(await u.waitForTask(taskId)).value, "true");
});

test("rsa sign: the key owner is not the task creator; the signature verifies", async () => {
  const keyOwner = await t.user("rsa-keyowner", "DataOwner", "k");
  const creator = await t.user("rsa-creator", "DataOwner", "c");
  const functionId = await builtin(t.admin, "builtin-rsa-sign", { args: ["data"], inputs: ["rsa_key"] });
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const der = privateKey.export({ type: "pkcs1", format: "der" });
  const keyId = await registerInput(keyOwner, files, "key.der.enc", der, "teaclave-file-128");
  const { taskId } = await creator.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({ data: "test data" }),
    executor: "builtin",
    inputsOwnership: [{ dataName: "rsa_key", uids: ["rsa-keyowner"] }],
  });
  await keyOwner.frontend.assignData({ taskId, inputs: [{ dataName: "rsa_key", dataId: keyId }] });
  // The creator cannot invoke before the key owner approves.
  await creator.frontend.approveTask({ taskId });
  await assert.rejects(creator.frontend.invokeTask({ taskId }), { code: "FAILED_PRECONDITION" });
  await keyOwner.frontend.approveTask({ taskId });
  await creator.frontend.invokeTask({ taskId });
  const signature = Buffer.from(okResult(await creator.waitForTask(taskId)).value, "base64");
  assert.ok(verify("sha256", Buffer.from("test data"), createPublicKey(privateKey), signature));
});

test("online decrypt: arguments only", async () => {
  const functionId = await builtin(t.admin, "builtin_online_decrypt", {
    args: ["key", "nonce", "encrypted_data", "algorithm"],
  });
  const { taskId } = await t.admin.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({
      key: "aqUdgZ0lJnuz9yiPkoDxM6ZcTcVVpd4KKLqzbHD88Lg=",
      nonce: "AAECAwQFBgcICQoL",
      encrypted_data: "CaZd8qSMMlBp8SjSXj2I4dQIuC9KkZ5DI/ATo1sWJw==",
      algorithm: "aes256gcm",
    }),
    executor: "builtin",
  });
  await t.admin.frontend.invokeTask({ taskId });
  assert.equal(okResult(await t.admin.waitForTask(taskId)).value, "Hello Teaclave!");
});

test("two-step pipeline: a fusion output owned by two users feeds a second task both must approve", async () => {
  const u1 = await t.user("fus-u1", "DataOwner", "x");
  const u2 = await t.user("fus-u2", "DataOwner", "y");
  const joinFn = await builtin(t.admin, "builtin-ordered-set-join", {
    args: ["left_column", "right_column", "ascending", "drop"],
    inputs: ["input_data1", "input_data2"],
    outputs: ["output_result"],
  });
  const copy = await builtin(t.admin, "builtin-copy", { inputs: ["input"], outputs: ["output"] });
  const left = "1,alice\n2,bob\n3,carol\n";
  const right = "1,paris\n3,rome\n4,oslo\n";
  const in1 = await registerInput(u1, files, "join-left", left);
  const in2 = await registerInput(u2, files, "join-right", right, "mesatee-stream-v1");
  const { dataId: fusion } = await u1.frontend.registerFusionOutput({ ownerList: ["fus-u1", "fus-u2"] });
  const step1 = (
    await u1.frontend.createTask({
      functionId: joinFn,
      functionArguments: JSON.stringify({ left_column: 0, right_column: 0, ascending: true, drop: false }),
      executor: "builtin",
      inputsOwnership: [
        { dataName: "input_data1", uids: ["fus-u1"] },
        { dataName: "input_data2", uids: ["fus-u2"] },
      ],
      outputsOwnership: [{ dataName: "output_result", uids: ["fus-u1", "fus-u2"] }],
    })
  ).taskId;
  await u1.frontend.assignData({
    taskId: step1,
    inputs: [{ dataName: "input_data1", dataId: in1 }],
    outputs: [{ dataName: "output_result", dataId: fusion }],
  });
  await u2.frontend.assignData({ taskId: step1, inputs: [{ dataName: "input_data2", dataId: in2 }] });
  await u1.frontend.approveTask({ taskId: step1 });
  await u2.frontend.approveTask({ taskId: step1 });
  await u1.frontend.invokeTask({ taskId: step1 });
  assert.equal(okResult(await u1.waitForTask(step1)).value, "2 records");

  // The fusion output becomes an input owned by both; the second task needs both approvals.
  const fusedInput = (await u2.frontend.registerInputFromOutput({ dataId: fusion })).dataId;
  const out = await registerOutput(u2, files, "joined.out");
  const step2 = (
    await u2.frontend.createTask({
      functionId: copy,
      executor: "builtin",
      inputsOwnership: [{ dataName: "input", uids: ["fus-u1", "fus-u2"] }],
      outputsOwnership: [{ dataName: "output", uids: ["fus-u2"] }],
    })
  ).taskId;
  await u2.frontend.assignData({
    taskId: step2,
    inputs: [{ dataName: "input", dataId: fusedInput }],
    outputs: [{ dataName: "output", dataId: out.dataId }],
  });
  await u2.frontend.approveTask({ taskId: step2 });
  await assert.rejects(u2.frontend.invokeTask({ taskId: step2 }), { code: "FAILED_PRECONDITION" });
  await u1.frontend.approveTask({ taskId: step2 });
  await u2.frontend.invokeTask({ taskId: step2 });
  const result = okResult(await u2.waitForTask(step2));
  assert.equal(await readOutput(files, out, result.tags.output), "1,alice,paris\n3,carol,rome\n");
  // The fusion data stays inside the platform, as ciphertext.
  const stored = readdirSync(t.platform.fusionDir);
  assert.equal(stored.length, 1);
  assert.equal(readFileSync(join(t.platform.fusionDir, stored[0]!)).includes(Buffer.from("alice")), false);
});
