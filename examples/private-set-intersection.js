// Two data owners learn which of their customers they share, and nothing else: each encrypts its list on
// its own machine, registers it, approves the task; each gets back only its own output, encrypted under
// its own key. Neither the other party nor the operator sees a list in plaintext.
//   MESATEE_ADMIN_PASSWORD=... node examples/private-set-intersection.js      (against `npm start`)
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { encryptBuffer, decryptBuffer, generateFileCrypto } from "@mesatee/crypto";
import { startCiphertextHost } from "./ciphertext-host.js";
import { connect, newUser, runIfMain } from "./platform.js";

const ALICE = ["ada@example.com", "bob@example.com", "eve@example.com", "kay@example.com"];
const BOB = ["bob@example.com", "kay@example.com", "zed@example.com"];

/** Each item with its SHA-256 (hex), in the order of the hashes. */
function hashed(items) {
  return items
    .map((item) => ({ item, hash: createHash("sha256").update(item).digest("hex") }))
    .sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
}

/** A data owner's side: encrypt locally, put the ciphertext on the host, register it with its tag. */
async function shareInput(owner, host, name, lines) {
  const crypto = generateFileCrypto("aes-gcm-128");
  const { ciphertext, tag } = await encryptBuffer(crypto, Buffer.from(`${lines.join("\n")}\n`));
  await host.put(name, ciphertext);
  const { dataId } = await owner.frontend.registerInputFile({
    url: host.urlOf(name),
    cmac: tag,
    cryptoInfo: crypto,
  });
  return dataId;
}

/** Where the owner wants its result: a URL and a key only it (and the attested platform) knows. */
async function expectOutput(owner, host, name) {
  const crypto = generateFileCrypto("aes-gcm-128");
  const { dataId } = await owner.frontend.registerOutputFile({ url: host.urlOf(name), cryptoInfo: crypto });
  return { dataId, crypto, name };
}

/** Fetches the output and decrypts it, checking it is exactly what the platform reported. */
async function readOutput(owner, host, output) {
  const { cmac } = await owner.frontend.getOutputFile({ dataId: output.dataId });
  const { plaintext } = await decryptBuffer(output.crypto, await host.get(output.name), {
    expectedTag: cmac,
  });
  return Buffer.from(plaintext).toString("utf8");
}

export async function privateSetIntersection(platform) {
  const host = await startCiphertextHost();
  const admin = connect(platform);
  const clients = [admin];
  try {
    await admin.login("admin", platform.adminPassword);
    const alice = await newUser(platform, admin, "alice", "DataOwner", "alice-corp");
    const bob = await newUser(platform, admin, "bob", "DataOwner", "bob-corp");
    clients.push(alice, bob);

    const { functionId } = await admin.frontend.registerFunction({
      name: "builtin-ordered-set-intersect",
      executorType: "builtin",
      public: true,
      usageQuota: -1,
      arguments: [{ key: "order", allowOverwrite: true }],
      inputs: [{ name: "input_data1" }, { name: "input_data2" }],
      outputs: [{ name: "output_result1" }, { name: "output_result2" }],
    });
    // The function compares sorted lists of hashed identifiers (hex); hashing and sorting are the
    // owners' job, on their side.
    const aliceHashes = hashed(ALICE);
    const bobHashes = hashed(BOB);
    const aliceInput = await shareInput(
      alice,
      host,
      "alice.enc",
      aliceHashes.map((h) => h.hash),
    );
    const bobInput = await shareInput(
      bob,
      host,
      "bob.enc",
      bobHashes.map((h) => h.hash),
    );
    const aliceOutput = await expectOutput(alice, host, "alice-result.enc");
    const bobOutput = await expectOutput(bob, host, "bob-result.enc");

    const { taskId } = await alice.frontend.createTask({
      functionId,
      functionArguments: JSON.stringify({ order: "ascending" }),
      executor: "builtin",
      inputsOwnership: [
        { dataName: "input_data1", uids: [alice.userId] },
        { dataName: "input_data2", uids: [bob.userId] },
      ],
      outputsOwnership: [
        { dataName: "output_result1", uids: [alice.userId] },
        { dataName: "output_result2", uids: [bob.userId] },
      ],
    });
    await alice.frontend.assignData({
      taskId,
      inputs: [{ dataName: "input_data1", dataId: aliceInput }],
      outputs: [{ dataName: "output_result1", dataId: aliceOutput.dataId }],
    });
    await bob.frontend.assignData({
      taskId,
      inputs: [{ dataName: "input_data2", dataId: bobInput }],
      outputs: [{ dataName: "output_result2", dataId: bobOutput.dataId }],
    });
    // The task runs only once every owner of its data has approved it.
    await alice.frontend.approveTask({ taskId });
    await bob.frontend.approveTask({ taskId });
    await alice.frontend.invokeTask({ taskId });
    const task = await alice.waitForTask(taskId);
    if (task.result?.result.case !== "Ok") throw new Error(`the task failed: ${JSON.stringify(task.result)}`);

    // Each output is one flag per line of its owner's list: 1 where the other party has it too.
    const common = (list, flags) =>
      list
        .filter((_, i) => flags[i] === "1")
        .map((h) => h.item)
        .sort();
    return {
      summary: Buffer.from(task.result.result.value.returnValue).toString("utf8"),
      alice: common(aliceHashes, await readOutput(alice, host, aliceOutput)),
      bob: common(bobHashes, await readOutput(bob, host, bobOutput)),
    };
  } finally {
    clients.forEach((c) => c.close());
    await host.close();
  }
}

runIfMain(import.meta, privateSetIntersection);
