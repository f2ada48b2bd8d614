// Two data owners learn which of their customers they share, and nothing else: each encrypts its list on
// its own machine, registers it, approves the task; each gets back only its own output, encrypted under
// its own key. Neither the other party nor the operator sees a list in plaintext.
//   MESATEE_ADMIN_PASSWORD=... node examples/private-set-intersection.js      (against `npm start`)
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
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
    // Each owner encrypts its list on its side under a fresh key; only ciphertext reaches the host.
    const lines = (hashes) => `${hashes.map((h) => h.hash).join("\n")}\n`;
    const aliceInput = await alice.files.uploadInput({
      plaintext: lines(aliceHashes),
      uploadUrl: host.urlOf("alice.enc"),
    });
    const bobInput = await bob.files.uploadInput({
      plaintext: lines(bobHashes),
      uploadUrl: host.urlOf("bob.enc"),
    });
    // Where each wants its result, under a key only it (and the attested platform) knows.
    const aliceOutput = await alice.files.registerOutput({ url: host.urlOf("alice-result.enc") });
    const bobOutput = await bob.files.registerOutput({ url: host.urlOf("bob-result.enc") });

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
      inputs: [{ dataName: "input_data1", dataId: aliceInput.dataId }],
      outputs: [{ dataName: "output_result1", dataId: aliceOutput.dataId }],
    });
    await bob.frontend.assignData({
      taskId,
      inputs: [{ dataName: "input_data2", dataId: bobInput.dataId }],
      outputs: [{ dataName: "output_result2", dataId: bobOutput.dataId }],
    });
    // The task runs only once every owner of its data has approved it.
    await alice.frontend.approveTask({ taskId });
    await bob.frontend.approveTask({ taskId });
    await alice.frontend.invokeTask({ taskId });
    const task = await alice.waitForTask(taskId);
    if (task.result?.result.case !== "Ok") throw new Error(`the task failed: ${JSON.stringify(task.result)}`);

    // Each owner fetches its output and decrypts it, after checking its tag against the task's record.
    // It is one flag per line of its owner's list: 1 where the other party has it too.
    const readFlags = async (owner, output) =>
      Buffer.from(await owner.files.downloadOutput(output)).toString("utf8");
    const common = (list, flags) =>
      list
        .filter((_, i) => flags[i] === "1")
        .map((h) => h.item)
        .sort();
    return {
      summary: Buffer.from(task.result.result.value.returnValue).toString("utf8"),
      alice: common(aliceHashes, await readFlags(alice, aliceOutput)),
      bob: common(bobHashes, await readFlags(bob, bobOutput)),
    };
  } finally {
    clients.forEach((c) => c.close());
    await host.close();
  }
}

runIfMain(import.meta, privateSetIntersection);
