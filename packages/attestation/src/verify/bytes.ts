// Byte helpers for parsing attacker-controlled evidence: a bounds-checked little-endian reader,
// hex conversion, and constant-time comparison.

import { timingSafeEqual } from "node:crypto";
import { AttestationError, type AttestationErrorCode } from "../errors.js";

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Strict hex decoding: even length, hex digits only; `what` names the field in the error. */
export function fromHex(
  hex: string,
  what: string,
  code: AttestationErrorCode = "MALFORMED_EVIDENCE",
): Buffer {
  if (!HEX_RE.test(hex)) throw new AttestationError(code, `${what} is not a hex string`);
  return Buffer.from(hex, "hex");
}

export function isHex(text: string, bytes?: number): boolean {
  return HEX_RE.test(text) && (bytes === undefined || text.length === bytes * 2);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Constant-time equality; different lengths compare unequal (the length is not secret). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}

export function isAllZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (const b of bytes) acc |= b;
  return acc === 0;
}

/**
 * Sequential reader over untrusted bytes. Every read checks bounds first and throws
 * MALFORMED_EVIDENCE naming the field, so a truncated or lying length field can never read past
 * the input or allocate more than it.
 */
export class ByteReader {
  private pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    private readonly end = bytes.byteLength,
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  take(length: number, what: string): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.remaining) {
      throw new AttestationError(
        "MALFORMED_EVIDENCE",
        `truncated evidence: ${what} needs ${length} bytes at offset ${this.pos}, only ${Math.max(this.remaining, 0)} remain`,
      );
    }
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  u16(what: string): number {
    const b = this.take(2, what);
    return b[0]! | (b[1]! << 8);
  }

  u32(what: string): number {
    const b = this.take(4, what);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
}

export function readU16(bytes: Uint8Array, offset: number): number {
  return bytes[offset]! | (bytes[offset + 1]! << 8);
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

/** A u64 as 16 hex digits, most significant first (how policies write masks and values). */
export function u64Hex(bytes: Uint8Array, offset: number): string {
  return toHex(Uint8Array.from(bytes.subarray(offset, offset + 8)).reverse());
}
