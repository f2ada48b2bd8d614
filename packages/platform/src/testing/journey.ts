// Helpers for end-to-end journeys: owners encrypt data on their side, put the ciphertext on a file
// server, register it, and later fetch and decrypt their outputs.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decryptBuffer, encryptFile, type FileCrypto, type FileSchema } from "@mesatee/crypto";
import type { frontend, MesateeClient } from "@mesatee/sdk";
import type { FileServer } from "./file-server.js";

export function newCrypto(schema: FileSchema): FileCrypto {
  switch (schema) {
    case "aes-gcm-128":
      return { schema, key: randomBytes(16), iv: randomBytes(12) };
    case "aes-gcm-256":
      return { schema, key: randomBytes(32), iv: randomBytes(12) };
    case "teaclave-file-128":
      return { schema, key: randomBytes(16), iv: new Uint8Array() };
    case "mesatee-stream-v1":
      return { schema, key: randomBytes(32), iv: new Uint8Array() };
    case "raw":
      return { schema, key: new Uint8Array(), iv: new Uint8Array() };
  }
}

/** Encrypts `plaintext` under a fresh key, stores it as `name` on the server; returns key and tag. */
export async function putEncrypted(
  server: FileServer,
  name: string,
  plaintext: Uint8Array | string,
  schema: FileSchema,
): Promise<{ crypto: FileCrypto; tag: Uint8Array; url: string }> {
  const crypto = newCrypto(schema);
  const dir = mkdtempSync(join(tmpdir(), "mesatee-plain-"));
  try {
    const plain = join(dir, "plain");
    writeFileSync(plain, plaintext);
    const { tag } = await encryptFile({ crypto, input: plain, output: server.path(name), fileName: name });
    return { crypto, tag: tag ?? new Uint8Array(), url: server.urlOf(name) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function registerInput(
  client: MesateeClient,
  server: FileServer,
  name: string,
  plaintext: Uint8Array | string,
  schema: FileSchema = "aes-gcm-128",
): Promise<string> {
  const { crypto, tag, url } = await putEncrypted(server, name, plaintext, schema);
  return (await client.frontend.registerInputFile({ url, cmac: tag, cryptoInfo: crypto })).dataId;
}

export interface RegisteredOutput {
  readonly dataId: string;
  readonly crypto: FileCrypto;
  readonly name: string;
}

export async function registerOutput(
  client: MesateeClient,
  server: FileServer,
  name: string,
  schema: FileSchema = "aes-gcm-128",
): Promise<RegisteredOutput> {
  const crypto = newCrypto(schema);
  const { dataId } = await client.frontend.registerOutputFile({
    url: server.urlOf(name),
    cryptoInfo: crypto,
  });
  return { dataId, crypto, name };
}

/** Fetches an output from the server and decrypts it, checking its tag against `expectedTag`. */
export async function readOutput(
  server: FileServer,
  out: RegisteredOutput,
  expectedTag?: Uint8Array,
): Promise<string> {
  const { plaintext } = await decryptBuffer(out.crypto, readFileSync(server.path(out.name)), {
    expectedTag,
    fileName: out.name,
  });
  return Buffer.from(plaintext).toString("utf8");
}

/** Registers builtin-echo (public), runs it with `message` and returns the task once it is final. */
export async function runEcho(
  client: MesateeClient,
  message: string,
  timeoutMs = 60_000,
): Promise<frontend.GetTaskResponse> {
  const { functionId } = await client.frontend.registerFunction({
    name: "builtin-echo",
    public: true,
    usageQuota: -1,
    arguments: [{ key: "message", allowOverwrite: true }],
  });
  const { taskId } = await client.frontend.createTask({
    functionId,
    functionArguments: JSON.stringify({ message }),
  });
  await client.frontend.invokeTask({ taskId });
  return client.waitForTask(taskId, timeoutMs);
}
