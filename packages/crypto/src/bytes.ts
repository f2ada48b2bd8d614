// Byte helpers shared by the formats: hex, constant-time comparison, little-endian integers.
import { timingSafeEqual } from "node:crypto";
import { CryptoError, type CryptoErrorCode } from "./errors.js";

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * Parses hex (an optional `0x` prefix is allowed). `what` names the value in the error message;
 * the value itself is never echoed, because it may be a key.
 */
export function fromHex(
  text: string,
  what = "value",
  code: CryptoErrorCode = "INVALID_ARGUMENT",
): Uint8Array {
  const digits = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (!HEX.test(digits)) {
    throw new CryptoError(code, `${what} is not valid hex (expected an even number of hex digits)`);
  }
  return new Uint8Array(Buffer.from(digits, "hex"));
}

/** Constant-time equality; lengths are public, so a length difference returns false at once. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads an unsigned 64-bit little-endian integer that must fit a JS safe integer. */
export function readSafeU64LE(bytes: Uint8Array, offset: number): number | undefined {
  const value = asBuffer(bytes).readBigUInt64LE(offset);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(value);
}
