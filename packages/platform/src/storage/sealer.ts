// Seals records at rest with AES-256-GCM under a key derived from the platform key. The associated data
// names the record (kind and id), so a sealed value cannot be moved to another row undetected.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { PlatformError } from "../errors.js";

const VERSION = 1;
const NONCE = 12;
const TAG = 16;

export interface Sealer {
  seal(plaintext: Uint8Array, aad: string): Buffer;
  open(sealed: Uint8Array, aad: string): Buffer;
  /** Another key derived from the same platform key for `purpose` (e.g. the audit chain's MAC key). */
  subkey(purpose: string): Buffer;
}

/** Derives a purpose-bound 32-byte key from the platform key (HKDF-SHA256). */
export function deriveKey(platformKey: Uint8Array, purpose: string): Buffer {
  if (platformKey.length !== 32) throw new PlatformError("INTERNAL", "the platform key must be 32 bytes");
  return Buffer.from(hkdfSync("sha256", platformKey, Buffer.alloc(0), `mesatee:${purpose}`, 32));
}

export function createSealer(platformKey: Uint8Array, purpose = "store-v1"): Sealer {
  const key = deriveKey(platformKey, purpose);
  return {
    subkey: (other) => {
      if (other === purpose) throw new PlatformError("INTERNAL", "a subkey must not be the sealing key");
      return deriveKey(platformKey, other);
    },
    seal(plaintext, aad) {
      const nonce = randomBytes(NONCE);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(Buffer.from(aad, "utf8"));
      const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Buffer.concat([Buffer.of(VERSION), nonce, body, cipher.getAuthTag()]);
    },
    open(sealed, aad) {
      const data = Buffer.from(sealed);
      if (data.length < 1 + NONCE + TAG || data[0] !== VERSION)
        throw new PlatformError("INTERNAL", `sealed record ${aad} is malformed`);
      const decipher = createDecipheriv("aes-256-gcm", key, data.subarray(1, 1 + NONCE));
      decipher.setAAD(Buffer.from(aad, "utf8"));
      decipher.setAuthTag(data.subarray(data.length - TAG));
      try {
        return Buffer.concat([
          decipher.update(data.subarray(1 + NONCE, data.length - TAG)),
          decipher.final(),
        ]);
      } catch (cause) {
        // Wrong platform key or a tampered database: never fall back to returning anything.
        throw new PlatformError("INTERNAL", `sealed record ${aad} failed authentication`, { cause });
      }
    },
  };
}
