// Restart durability (start, populate, stop, start, read back) and sealing at rest (the database file
// alone reveals no payload, key, password or argument).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { common } from "@mesatee/sdk";
import { createSealer } from "./storage/index.js";
import { ADMIN_PASSWORD, startTestPlatform, USER_PASSWORD } from "./testing/harness.js";

const SECRET_PAYLOAD = Buffer.from("def entrypoint(argv): return 'very-secret-function-code'");
const SECRET_KEY = Buffer.from("5ec7e75ec7e75ec7e75ec7e75ec7e75e", "hex");
const SECRET_ARG = "very-secret-argument-value";

test("a restart keeps every user, file, function, task, queue entry and audit entry; nothing is readable at rest", async () => {
  let t = await startTestPlatform({ config: { inProcessWorker: false } });
  const fo = await t.user("fo", "FunctionOwner");
  const d = await t.user("d", "DataOwner", "g");
  const { functionId } = await fo.frontend.registerFunction({
    name: "py",
    executorType: "python",
    public: true,
    payload: SECRET_PAYLOAD,
    arguments: [{ key: "secret", defaultValue: "", allowOverwrite: true }],
    inputs: [{ name: "in", description: "" }],
    usageQuota: -1,
  });
  const inId = (
    await d.frontend.registerInputFile({
      url: "https://h/in",
      cmac: new Uint8Array(16).fill(3),
      cryptoInfo: { schema: "aes-gcm-128", key: SECRET_KEY, iv: new Uint8Array(12) },
    })
  ).dataId;
  const staged = (
    await d.frontend.createTask({
      functionId,
      functionArguments: JSON.stringify({ secret: SECRET_ARG }),
      inputsOwnership: [{ dataName: "in", uids: ["d"] }],
    })
  ).taskId;
  await d.frontend.assignData({ taskId: staged, inputs: [{ dataName: "in", dataId: inId }] });
  await d.frontend.approveTask({ taskId: staged });
  await d.frontend.invokeTask({ taskId: staged });
  const pending = (
    await d.frontend.createTask({ functionId, inputsOwnership: [{ dataName: "in", uids: ["d"] }] })
  ).taskId;
  const auditBefore = (await t.admin.frontend.queryAuditLogs({ query: "*", limit: 10_000n })).logs.length;

  t = await t.restart();
  const running = t;
  after(() => running.stop().catch(() => undefined));
  const admin = t.admin;
  assert.deepEqual((await admin.authentication.listUsers({ id: "" })).ids, ["admin", "d", "fo"]);
  const d2 = t.client();
  await d2.login("d", USER_PASSWORD);
  const fn = await d2.frontend.getFunction({ functionId });
  assert.deepEqual(Buffer.from(fn.payload), SECRET_PAYLOAD);
  assert.deepEqual(Buffer.from((await d2.frontend.getInputFile({ dataId: inId })).cmac), Buffer.alloc(16, 3));
  const s = await d2.frontend.getTask({ taskId: staged });
  assert.equal(s.status, common.TaskStatus.Staged);
  assert.equal(JSON.parse(s.functionArguments).secret, SECRET_ARG);
  assert.equal((await d2.frontend.getTask({ taskId: pending })).status, common.TaskStatus.Created);
  const entry = await t.platform.store.transaction((tx) => tx.lease("w", Date.now(), 1000));
  assert.equal(entry?.staged.taskId, staged);
  assert.equal(entry?.staged.inputs.in?.crypto.key, SECRET_KEY.toString("hex"));
  const auditAfter = (await admin.frontend.queryAuditLogs({ query: "*", limit: 10_000n })).logs.length;
  assert.ok(auditAfter > auditBefore, "the audit log kept its entries (and recorded the new calls)");
  assert.equal(await t.platform.audit.verify(), null);
  const dataDir = t.dataDir;
  const sealingKey = t.platform.deployment.sealingKey;
  await t.stop();

  // Nothing secret appears in any file of the database.
  const needles = [
    SECRET_PAYLOAD,
    SECRET_KEY,
    Buffer.from(SECRET_KEY.toString("hex")),
    Buffer.from(SECRET_ARG),
    Buffer.from(USER_PASSWORD),
    Buffer.from(ADMIN_PASSWORD),
    Buffer.from("argon2id"),
    Buffer.from(SECRET_PAYLOAD.toString("base64")),
  ];
  for (const name of readdirSync(dataDir).filter((n) => n.startsWith("mesatee.db"))) {
    const bytes = readFileSync(join(dataDir, name));
    for (const needle of needles)
      assert.equal(bytes.indexOf(needle), -1, `${name} contains ${needle.toString().slice(0, 20)}`);
  }

  // Another platform key cannot open the store.
  const wrong = createSealer(Buffer.alloc(32, 1));
  const right = createSealer(sealingKey);
  const sealed = right.seal(Buffer.from("x"), "doc:user:d");
  assert.throws(() => wrong.open(sealed, "doc:user:d"), { code: "INTERNAL" });
  // A sealed record moved to another row is refused.
  assert.throws(() => right.open(sealed, "doc:user:admin"), { code: "INTERNAL" });
  const { rmSync } = await import("node:fs");
  rmSync(dataDir, { recursive: true, force: true });
});

test("two platforms cannot share a data directory", async () => {
  const t = await startTestPlatform();
  await assert.rejects(startTestPlatform({ dataDir: t.dataDir }), { code: "FAILED_PRECONDITION" });
  await t.dispose();
});
