// The data path through the runner: each input is staged as it downloads and each output encrypted as
// it uploads (teaclave-file-128 through a file), with every failure ending the task with a reason and
// nothing left on disk.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import {
  ciphertextSize,
  decryptBuffer,
  encryptBuffer,
  type FileCrypto,
  type FileSchema,
} from "@mesatee/crypto";
import type { StagedTask } from "../domain/tasks.js";
import { FileAgent } from "../file-agent/index.js";
import { readBody, serveHttp, type TestServer } from "../file-agent/test-support.js";
import type { TaskOutcome } from "../scheduler/scheduler.js";
import { newCrypto } from "../testing/journey.js";
import { DEFAULT_TASK_LIMITS, MAX_TASK_LIMITS } from "./limits.js";
import { TaskRunner } from "./runner.js";
import { stageInput } from "./staging.js";

interface Put {
  readonly contentLength: number;
  readonly body: Buffer;
}

/** GET serves `objects`; a few paths misbehave on purpose. PUT records what arrived. */
const objects = new Map<string, Buffer>();
const puts = new Map<string, Put>();
let server: TestServer;
let workDir: string;
let runner: TaskRunner;

before(async () => {
  server = await serveHttp((request, response) => {
    const name = (request.url ?? "/").slice(1);
    if (request.method === "PUT") {
      readBody(request).then(
        (body) => {
          puts.set(name, { contentLength: Number(request.headers["content-length"]), body });
          response.writeHead(name.startsWith("refused") ? 403 : 201);
          response.end();
        },
        () => undefined,
      );
      return;
    }
    const object = objects.get(name.replace(/^(short|closed|error)\//, ""));
    if (name.startsWith("error/") || object === undefined) {
      response.writeHead(name.startsWith("error/") ? 500 : 404);
      response.end();
    } else if (name.startsWith("short/")) {
      response.writeHead(200, { "content-length": object.length });
      response.write(object.subarray(0, object.length >> 1), () => request.socket.end());
    } else if (name.startsWith("closed/")) {
      response.writeHead(200); // chunked: only the missing terminator tells
      response.write(object.subarray(0, object.length - 100), () => request.socket.destroy());
    } else {
      response.writeHead(200, { "content-length": object.length });
      response.end(object);
    }
  });
  workDir = await mkdtemp(join(tmpdir(), "mesatee-data-path-"));
  runner = new TaskRunner(new FileAgent(), {
    workDir,
    defaults: DEFAULT_TASK_LIMITS,
    maximum: MAX_TASK_LIMITS,
    warmIsolates: 1,
  });
});
after(async () => {
  runner.close();
  await server.close();
  await rm(workDir, { recursive: true, force: true });
});

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const wire = (c: FileCrypto): StagedTask["inputs"][string]["crypto"] => ({
  schema: c.schema,
  key: hex(c.key),
  iv: hex(c.iv),
});

/** Puts `plaintext` encrypted under a fresh key on the server as `name`. */
async function put(
  name: string,
  plaintext: Uint8Array,
  schema: FileSchema,
): Promise<{ crypto: FileCrypto; tag: string }> {
  const crypto = newCrypto(schema);
  const { ciphertext, tag } = await encryptBuffer(crypto, plaintext, { fileName: name });
  objects.set(name, Buffer.from(ciphertext));
  return { crypto, tag: tag === null ? "" : hex(tag) };
}

function copyTask(
  input: { path: string; crypto: FileCrypto; tag: string },
  output: { name: string; crypto: FileCrypto },
): StagedTask {
  return {
    taskId: randomBytes(8).toString("hex"),
    functionId: "copy",
    functionName: "builtin-copy",
    executorFamily: "builtin",
    functionPayload: "",
    functionArguments: {},
    inputs: {
      input: { id: "in", url: `${server.origin}/${input.path}`, crypto: wire(input.crypto), cmac: input.tag },
    },
    outputs: {
      output: {
        id: "out",
        url: `${server.origin}/${output.name}`,
        crypto: wire(output.crypto),
        fusion: false,
      },
    },
    invokedBy: "owner",
    stagedAt: Date.now(),
  };
}

async function run(task: StagedTask): Promise<TaskOutcome> {
  const outcome = await runner.run(task, new AbortController().signal);
  assert.deepEqual(await readdir(workDir), [], "the task left nothing on disk");
  return outcome;
}

function reasonOf(outcome: TaskOutcome): string {
  assert.equal(outcome.kind, "err", "the task should have failed");
  return outcome.kind === "err" ? outcome.reason : "";
}

// More than two 1 MiB stream chunks and not a multiple of anything.
const PLAINTEXT = randomBytes(2 * 1024 * 1024 + 12_345);

for (const schema of [
  "raw",
  "aes-gcm-128",
  "aes-gcm-256",
  "mesatee-stream-v1",
  "teaclave-file-128",
] as const) {
  test(`a ${schema} input is copied to a ${schema === "raw" ? "aes-gcm-256" : schema} output end to end`, async () => {
    const name = `copy-${schema}`;
    const input = await put(`${name}.in`, PLAINTEXT, schema);
    const outputCrypto = newCrypto(schema === "raw" ? "aes-gcm-256" : schema);
    const outcome = await run(
      copyTask({ path: `${name}.in`, ...input }, { name: `${name}.out`, crypto: outputCrypto }),
    );
    assert.equal(outcome.kind, "ok", outcome.kind === "err" ? outcome.reason : "");
    if (outcome.kind !== "ok") return;
    const uploaded = puts.get(`${name}.out`);
    assert.ok(uploaded, "the output was uploaded");
    assert.equal(uploaded.contentLength, uploaded.body.length, "Content-Length is the bytes sent");
    if (outputCrypto.schema !== "teaclave-file-128")
      assert.equal(uploaded.body.length, ciphertextSize(outputCrypto.schema, PLAINTEXT.length));
    const { plaintext } = await decryptBuffer(outputCrypto, uploaded.body, {
      expectedTag: Buffer.from(outcome.tags["output"]!, "hex"),
      fileName: `${name}.out`,
    });
    assert.ok(Buffer.from(plaintext).equals(PLAINTEXT), "the output decrypts to the input");
  });
}

for (const schema of ["aes-gcm-128", "mesatee-stream-v1", "teaclave-file-128"] as const) {
  test(`a tampered ${schema} input, or one with a wrong registered tag, fails the task before the function runs`, async () => {
    const name = `tampered-${schema}`;
    const input = await put(`${name}.in`, PLAINTEXT, schema);
    const bytes = objects.get(`${name}.in`)!;
    bytes[bytes.length - 40]! ^= 1;
    const tampered = reasonOf(
      await run(
        copyTask({ path: `${name}.in`, ...input }, { name: `${name}.out`, crypto: newCrypto(schema) }),
      ),
    );
    assert.match(tampered, /^input input: (cannot decrypt: the file was modified|the file does not match)/);
    bytes[bytes.length - 40]! ^= 1;
    const wrongTag = reasonOf(
      await run(
        copyTask(
          { path: `${name}.in`, crypto: input.crypto, tag: hex(randomBytes(16)) },
          { name: `${name}.out`, crypto: newCrypto(schema) },
        ),
      ),
    );
    assert.equal(wrongTag, "input input: the file does not match its registered tag");
    assert.equal(puts.has(`${name}.out`), false, "nothing was uploaded");
  });
}

test("a download that ends early, is cut, or is answered 500 fails the task with the download named", async () => {
  const input = await put("flaky.in", PLAINTEXT, "aes-gcm-128");
  const reasons: string[] = [];
  for (const prefix of ["short", "closed", "error"]) {
    reasons.push(
      reasonOf(
        await run(
          copyTask(
            { path: `${prefix}/flaky.in`, ...input },
            { name: "flaky.out", crypto: newCrypto("aes-gcm-128") },
          ),
        ),
      ),
    );
  }
  const [short, closed, error] = reasons as [string, string, string];
  const download = new RegExp(`^input input: download from ${server.origin}/`);
  for (const reason of reasons) assert.match(reason, download);
  assert.match(short, /connection closed after \d+ of \d+ bytes/);
  assert.match(closed, /connection closed after \d+ bytes/);
  assert.match(error, /answered 500/);
  assert.equal(puts.has("flaky.out"), false);
});

test("a refused upload fails the task with the upload named", async () => {
  const input = await put("refused.in", PLAINTEXT, "mesatee-stream-v1");
  const reason = reasonOf(
    await run(
      copyTask({ path: "refused.in", ...input }, { name: "refused.out", crypto: newCrypto("aes-gcm-128") }),
    ),
  );
  assert.match(reason, /^output output: upload to .*refused\.out failed: .*403/);
});

test("staging from a download with a wrong tag leaves no staged file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-staging-"));
  try {
    for (const schema of ["aes-gcm-128", "mesatee-stream-v1"] as const) {
      const crypto = newCrypto(schema);
      const { ciphertext } = await encryptBuffer(crypto, PLAINTEXT);
      await assert.rejects(
        stageInput(
          crypto,
          Readable.from([Buffer.from(ciphertext)]),
          randomBytes(16),
          "input",
          join(dir, "input.staged"),
          randomBytes(32),
        ),
        (error: Error & { code?: string }) => error.code === "TAG_MISMATCH",
      );
      assert.deepEqual(await readdir(dir), [], `${schema}: neither the staged file nor a temporary remains`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
