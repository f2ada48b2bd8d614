import { test } from "node:test";
import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { createMemoryContext } from "../memory-context.js";
import { onlineDecrypt } from "./online-decrypt.js";
import { rejectsWith } from "./test-support.js";

const key256 = "aqUdgZ0lJnuz9yiPkoDxM6ZcTcVVpd4KKLqzbHD88Lg=";
const key128 = "aqUdgZ0lJnuz9yiPkoDxMw==";
const nonce = "AAECAwQFBgcICQoL";
const data256 = "CaZd8qSMMlBp8SjSXj2I4dQIuC9KkZ5DI/ATo1sWJw==";
const data128 = "OqMscYqxk1CshHQZulTrrDlJjS/v6BE/clWJyTerUw==";

const run = (args: Record<string, unknown>) => onlineDecrypt.run(createMemoryContext({ args }));

test("builtin_online_decrypt decrypts Teaclave's AES-256-GCM and AES-128-GCM vectors", async () => {
  assert.equal(
    await run({ key: key256, nonce, encrypted_data: data256, algorithm: "aes256gcm" }),
    "Hello Teaclave!",
  );
  assert.equal(
    await run({ key: key128, nonce, encrypted_data: data128, algorithm: "aes128gcm" }),
    "Hello Teaclave!",
  );
});

test("builtin_online_decrypt uses empty additional data, not file crypto's eight zero bytes", async () => {
  const key = Buffer.alloc(16, 7);
  const iv = Buffer.alloc(12, 1);
  const withAad = createCipheriv("aes-128-gcm", key, iv);
  withAad.setAAD(Buffer.alloc(8));
  const ct = Buffer.concat([withAad.update("secret"), withAad.final(), withAad.getAuthTag()]);
  const args = { key: key.toString("base64"), nonce: iv.toString("base64"), algorithm: "aes128gcm" };
  await rejectsWith(run({ ...args, encrypted_data: ct.toString("base64") }), "FAILED", /decryption error/);
  const plain = createCipheriv("aes-128-gcm", key, iv);
  const ok = Buffer.concat([plain.update("secret"), plain.final(), plain.getAuthTag()]);
  assert.equal(await run({ ...args, encrypted_data: ok.toString("base64") }), "secret");
});

test("builtin_online_decrypt refuses tampered ciphertext", async () => {
  const bytes = Buffer.from(data256, "base64");
  bytes[0] = (bytes[0] as number) ^ 1;
  await rejectsWith(
    run({ key: key256, nonce, encrypted_data: bytes.toString("base64"), algorithm: "aes256gcm" }),
    "FAILED",
    /decryption error/,
  );
});

test("builtin_online_decrypt refuses an unknown algorithm, bad base64 and wrong key sizes", async () => {
  await rejectsWith(
    run({ key: key256, nonce, encrypted_data: data256, algorithm: "aes192gcm" }),
    "INVALID_ARGUMENT",
    /Invalid algorithm/,
  );
  await rejectsWith(
    run({ key: "not base64!", nonce, encrypted_data: data256, algorithm: "aes256gcm" }),
    "INVALID_ARGUMENT",
    /base64 decoded error/,
  );
  await rejectsWith(
    run({ key: key128, nonce, encrypted_data: data256, algorithm: "aes256gcm" }),
    "INVALID_ARGUMENT",
    /key must be 32 bytes/,
  );
  await rejectsWith(
    run({ key: key256, nonce: "AAEC", encrypted_data: data256, algorithm: "aes256gcm" }),
    "INVALID_ARGUMENT",
    /nonce/,
  );
  await rejectsWith(
    run({ key: key256, nonce, encrypted_data: "AAEC", algorithm: "aes256gcm" }),
    "INVALID_ARGUMENT",
    /shorter than the 16-byte tag/,
  );
  await rejectsWith(
    run({ key: key256, nonce, algorithm: "aes256gcm" }),
    "INVALID_ARGUMENT",
    /missing argument "encrypted_data"/,
  );
});
