// AES-CMAC (RFC 4493; NIST SP 800-38B for AES-192/256). node:crypto has no CMAC, so it is built
// from AES-CBC: CMAC is the last CBC-MAC block of the message whose final block is masked with a
// subkey (K1 when complete, K2 after 10* padding).
import { createCipheriv } from "node:crypto";
import { CryptoError } from "./errors.js";

const BLOCK = 16;
const ZERO_BLOCK = new Uint8Array(BLOCK);
// Bounds the throwaway CBC output for long messages.
const SLICE = 64 * 1024;

function cbcAlgorithm(key: Uint8Array): string {
  switch (key.byteLength) {
    case 16:
      return "aes-128-cbc";
    case 24:
      return "aes-192-cbc";
    case 32:
      return "aes-256-cbc";
    default:
      throw new CryptoError("INVALID_KEY", `AES-CMAC key must be 16, 24 or 32 bytes, got ${key.byteLength}`);
  }
}

/** Doubling in GF(2^128) as RFC 4493 §2.3 defines it (shift left, conditional xor with 0x87). */
function double(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    out[i] = ((block[i]! << 1) | (i + 1 < BLOCK ? block[i + 1]! >>> 7 : 0)) & 0xff;
  }
  // Branch-free on the secret top bit.
  out[BLOCK - 1]! ^= 0x87 & -(block[0]! >>> 7);
  return out;
}

/** Returns the 16-byte AES-CMAC of `data` under `key` (16, 24 or 32 bytes). */
export function aesCmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const algorithm = cbcAlgorithm(key);
  const cipher = createCipheriv(algorithm, key, ZERO_BLOCK).setAutoPadding(false);
  // L = AES_K(0^128); with a zero IV the first CBC block is exactly that.
  const l = cipher.update(ZERO_BLOCK);
  const k1 = double(l);
  const complete = data.byteLength > 0 && data.byteLength % BLOCK === 0;
  const lastStart = complete ? data.byteLength - BLOCK : data.byteLength - (data.byteLength % BLOCK);

  const last = new Uint8Array(BLOCK);
  const tail = data.subarray(lastStart);
  last.set(tail);
  const mask = complete ? k1 : double(k1);
  if (!complete) last[tail.byteLength] = 0x80;
  for (let i = 0; i < BLOCK; i++) last[i]! ^= mask[i]!;

  // A fresh CBC context, so the chain starts from the zero IV again.
  const mac = createCipheriv(algorithm, key, ZERO_BLOCK).setAutoPadding(false);
  for (let offset = 0; offset < lastStart; offset += SLICE) {
    mac.update(data.subarray(offset, Math.min(lastStart, offset + SLICE)));
  }
  const tag = new Uint8Array(mac.update(last));
  mac.final();
  cipher.final();
  return tag;
}
