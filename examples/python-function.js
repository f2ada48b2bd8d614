// A function owner's own code, in Python, run on a data owner's private data: the function owner never
// sees the data, the data owner never has to trust the function owner's machine, and the platform runs
// the code in a sandbox with no network and no host file system.
//   MESATEE_ADMIN_PASSWORD=... node examples/python-function.js      (against `npm start`)
import { Buffer } from "node:buffer";
import { startCiphertextHost } from "./ciphertext-host.js";
import { connect, newUser, runIfMain } from "./platform.js";

// Teaclave's Python conventions: entrypoint(argv) with argv a flat [key, value, ...] list, and
// teaclave_open(name, mode) for the task's inputs and outputs.
const WORD_COUNT = `
def entrypoint(argv):
    args = dict(zip(argv[::2], argv[1::2]))
    top = int(args.get("top", "3"))
    with teaclave_open("text", "rb") as f:
        words = f.read().decode("utf-8").lower().split()
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    with teaclave_open("counts", "wb") as out:
        out.write("\\n".join("%s %d" % kv for kv in ranked).encode("utf-8"))
    return "%d words, %d distinct" % (len(words), len(counts))
`;

const TEXT = "the quick brown fox jumps over the lazy dog the fox sleeps";

export async function pythonFunction(platform) {
  const host = await startCiphertextHost();
  const admin = connect(platform);
  const clients = [admin];
  try {
    await admin.login("admin", platform.adminPassword);
    const author = await newUser(platform, admin, "author", "FunctionOwner");
    const owner = await newUser(platform, admin, "reader", "DataOwner", "readers");
    clients.push(author, owner);

    const { functionId } = await author.frontend.registerFunction({
      name: "word-count",
      description: "the most frequent words of a text",
      executorType: "python",
      payload: Buffer.from(WORD_COUNT),
      public: true,
      usageQuota: -1,
      arguments: [{ key: "top", defaultValue: "3", allowOverwrite: true }],
      inputs: [{ name: "text" }],
      outputs: [{ name: "counts" }],
    });

    // The data owner encrypts its text on its side; the key goes only to the attested platform.
    const input = await owner.files.uploadInput({
      plaintext: TEXT,
      uploadUrl: host.urlOf("text.enc"),
      schema: "aes-gcm-256",
    });
    const output = await owner.files.registerOutput({ url: host.urlOf("counts.enc"), schema: "aes-gcm-256" });

    const { taskId } = await owner.frontend.createTask({
      functionId,
      functionArguments: JSON.stringify({ top: "2" }),
      executor: "python",
      inputsOwnership: [{ dataName: "text", uids: [owner.userId] }],
      outputsOwnership: [{ dataName: "counts", uids: [owner.userId] }],
    });
    await owner.frontend.assignData({
      taskId,
      inputs: [{ dataName: "text", dataId: input.dataId }],
      outputs: [{ dataName: "counts", dataId: output.dataId }],
    });
    await owner.frontend.invokeTask({ taskId });
    const task = await owner.waitForTask(taskId);
    if (task.result?.result.case !== "Ok") throw new Error(`the task failed: ${JSON.stringify(task.result)}`);
    return {
      summary: Buffer.from(task.result.result.value.returnValue).toString("utf8"),
      counts: Buffer.from(await owner.files.downloadOutput(output)).toString("utf8"),
    };
  } finally {
    clients.forEach((c) => c.close());
    await host.close();
  }
}

runIfMain(import.meta, pythonFunction);
