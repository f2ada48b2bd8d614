// builtin_online_decrypt (§6.6, §4.1): AES-GCM decryption of a base64 argument. Unlike Teaclave's
// file crypto, this function uses an EMPTY additional-authenticated-data string.
import { createDecipheriv } from "node:crypto";
import { FunctionError, type BuiltinFunction } from "../types.js";
import { argString } from "./args.js";

/** Default limit on the ciphertext argument: 16 MiB once decoded. */
export const ONLINE_DECRYPT_MAX_BYTES = 16 * 1024 * 1024;

const KEY_BYTES: Record<string, number> = { aes128gcm: 16, aes256gcm: 32 };
const TAG_BYTES = 16;
const NONCE_BYTES = 12;

function base64(name: string, text: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1)
    throw new FunctionError("INVALID_ARGUMENT", `base64 decoded error: argument ${name} is not valid base64`);
  return Buffer.from(compact, "base64");
}

export const onlineDecrypt: BuiltinFunction = {
  name: "builtin_online_decrypt",
  async run(ctx) {
    const algorithm = argString(ctx.args, "algorithm");
    const keyBytes = KEY_BYTES[algorithm];
    if (keyBytes === undefined)
      throw new FunctionError(
        "INVALID_ARGUMENT",
        `Invalid algorithm: ${JSON.stringify(algorithm.slice(0, 40))} (expected aes128gcm or aes256gcm)`,
      );
    const key = base64("key", argString(ctx.args, "key"));
    const nonce = base64("nonce", argString(ctx.args, "nonce"));
    const encoded = argString(ctx.args, "encrypted_data");
    if (encoded.length > (ONLINE_DECRYPT_MAX_BYTES / 3) * 4 + 8)
      throw new FunctionError(
        "LIMIT_EXCEEDED",
        `encrypted_data is larger than ${ONLINE_DECRYPT_MAX_BYTES} bytes`,
      );
    const data = base64("encrypted_data", encoded);
    if (key.length !== keyBytes)
      throw new FunctionError(
        "INVALID_ARGUMENT",
        `key must be ${keyBytes} bytes for ${algorithm}, got ${key.length}`,
      );
    // Teaclave uses the first 12 bytes of the nonce.
    if (nonce.length < NONCE_BYTES)
      throw new FunctionError(
        "INVALID_ARGUMENT",
        `nonce must be at least ${NONCE_BYTES} bytes, got ${nonce.length}`,
      );
    if (data.length < TAG_BYTES)
      throw new FunctionError("INVALID_ARGUMENT", "encrypted_data is shorter than the 16-byte tag");
    const cipher = algorithm === "aes128gcm" ? "aes-128-gcm" : "aes-256-gcm";
    const decipher = createDecipheriv(cipher, key, nonce.subarray(0, NONCE_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([
        decipher.update(data.subarray(0, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw new FunctionError(
        "FAILED",
        "decryption error: the key, nonce or ciphertext is wrong or was tampered with",
      );
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
    } catch {
      throw new FunctionError("FAILED", "decryption error: the plaintext is not UTF-8 text");
    } finally {
      plaintext.fill(0);
    }
  },
};
