// The package's one DER codec: enough for X.509 certificates, CRLs, the SGX PCK extension, the AMD VCEK
// extensions and RA-TLS certificates. Read input is attacker-controlled, so every length is checked
// against its enclosing element and nothing is allocated beyond the input; indefinite lengths, high tag
// numbers and non-minimal lengths are refused (they are not DER). Every refusal is an AttestationError
// with code MALFORMED_EVIDENCE; layers with their own error type translate it at their boundary.

import { AttestationError } from "./errors.js";

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

// ----------------------------------------------------------------------------------------------- read

/** One element: tag byte and where its header and content sit in `bytes`. */
export interface Tlv {
  readonly bytes: Uint8Array;
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

function fail(what: string, detail: string): never {
  throw new AttestationError("MALFORMED_EVIDENCE", `malformed DER in ${what}: ${detail}`);
}

/** Reads the element at `offset`, which must end at or before `limit`. */
export function readTlv(bytes: Uint8Array, offset: number, limit: number, what: string): Tlv {
  if (!Number.isSafeInteger(offset) || offset < 0 || limit > bytes.byteLength)
    fail(what, "read outside the input");
  if (offset + 2 > limit) fail(what, `element header truncated at offset ${offset}`);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) fail(what, "high tag numbers are not supported");
  let length = bytes[offset + 1]!;
  let pos = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0) fail(what, "indefinite length is not DER");
    if (count > 4) fail(what, "length field too large");
    if (pos + count > limit) fail(what, "length field truncated");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[pos + i]!;
    if (bytes[pos] === 0 || length < 0x80) fail(what, "non-minimal length encoding");
    pos += count;
  }
  if (pos + length > limit)
    fail(what, `element of ${length} bytes overruns its container at offset ${offset}`);
  return { bytes, tag, start: offset, contentStart: pos, end: pos + length };
}

/** Parses a buffer that must hold exactly one element. */
export function parseDer(bytes: Uint8Array, what: string): Tlv {
  const node = readTlv(bytes, 0, bytes.byteLength, what);
  if (node.end !== bytes.byteLength) fail(what, "trailing bytes after the element");
  return node;
}

/** The content bytes (a view into the input). */
export function content(node: Tlv): Uint8Array {
  return node.bytes.subarray(node.contentStart, node.end);
}

/** The whole element, header included (a view into the input). */
export function raw(node: Tlv): Uint8Array {
  return node.bytes.subarray(node.start, node.end);
}

/** The child elements of a constructed element (SEQUENCE, SET, explicit tag). */
export function children(node: Tlv, what: string, max = 4096): Tlv[] {
  if ((node.tag & 0x20) === 0) fail(what, `element with tag 0x${node.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  let pos = node.contentStart;
  while (pos < node.end) {
    if (out.length >= max) fail(what, "too many elements");
    const child = readTlv(node.bytes, pos, node.end, what);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function expectTag(node: Tlv | undefined, tag: number, what: string): Tlv {
  if (!node) fail(what, "missing element");
  if (node.tag !== tag) fail(what, `expected tag 0x${tag.toString(16)}, found 0x${node.tag.toString(16)}`);
  return node;
}

export function decodeOid(node: Tlv, what: string): string {
  expectTag(node, TAG.OID, what);
  const c = content(node);
  if (c.length === 0 || c.length > 64) fail(what, "bad OID length");
  const parts: number[] = [];
  let value = 0;
  for (let i = 0; i < c.length; i++) {
    const b = c[i]!;
    if (value === 0 && b === 0x80) fail(what, "non-minimal OID arc");
    value = value * 128 + (b & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) fail(what, "OID arc too large");
    if ((b & 0x80) === 0) {
      if (parts.length === 0) {
        const first = value < 80 ? Math.floor(value / 40) : 2;
        parts.push(first, value - first * 40);
      } else {
        parts.push(value);
      }
      value = 0;
    } else if (i === c.length - 1) {
      fail(what, "truncated OID arc");
    }
  }
  return parts.join(".");
}

/** A non-negative INTEGER that fits in a JS number (SVNs, versions, path lengths). */
export function decodeSmallUint(node: Tlv, what: string, tag: number = TAG.INTEGER): number {
  expectTag(node, tag, what);
  const c = content(node);
  if (c.length === 0 || c.length > 7) fail(what, "integer length out of range");
  if (c[0]! & 0x80) fail(what, "negative integer");
  if (c.length > 1 && c[0] === 0 && (c[1]! & 0x80) === 0) fail(what, "non-minimal integer");
  let value = 0;
  for (const b of c) value = value * 256 + b;
  return value;
}

/** An INTEGER's magnitude as lowercase hex without leading zero bytes (certificate serials). */
export function integerHex(node: Tlv, what: string): string {
  expectTag(node, TAG.INTEGER, what);
  const c = content(node);
  if (c.length === 0 || c.length > 64) fail(what, "integer length out of range");
  let i = 0;
  while (i < c.length - 1 && c[i] === 0) i++;
  return Buffer.from(c.subarray(i)).toString("hex");
}

export function decodeOctets(node: Tlv, what: string): Uint8Array {
  return content(expectTag(node, TAG.OCTET_STRING, what));
}

export function decodeBoolean(node: Tlv, what: string): boolean {
  const c = content(expectTag(node, TAG.BOOLEAN, what));
  if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) fail(what, "bad BOOLEAN");
  return c[0] === 0xff;
}

/** BIT STRING content without the unused-bits byte; `unused` must be 0..7. */
export function decodeBitString(node: Tlv, what: string): { bits: Uint8Array; unused: number } {
  const c = content(expectTag(node, TAG.BIT_STRING, what));
  if (c.length === 0 || c[0]! > 7) fail(what, "bad BIT STRING");
  return { bits: c.subarray(1), unused: c[0]! };
}

const TIME_RE = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** UTCTime (YYMMDDhhmmssZ, RFC 5280 century rule) or GeneralizedTime (YYYYMMDDhhmmssZ). */
export function decodeTime(node: Tlv, what: string): Date {
  if (node.tag !== TAG.UTC_TIME && node.tag !== TAG.GENERALIZED_TIME) fail(what, "expected a time");
  const text = Buffer.from(content(node)).toString("latin1");
  const m = TIME_RE.exec(text);
  const expectedYearDigits = node.tag === TAG.UTC_TIME ? 2 : 4;
  if (!m || m[1]!.length !== expectedYearDigits) fail(what, `bad time "${text.slice(0, 20)}"`);
  let year = Number(m[1]);
  if (expectedYearDigits === 2) year += year >= 50 ? 1900 : 2000;
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (!Number.isFinite(ms)) fail(what, "time out of range");
  return new Date(ms);
}

/** Decodes a string-typed element (UTF8String, PrintableString, IA5String, ...). */
export function decodeString(node: Tlv, what: string): string {
  const allowed = [TAG.UTF8_STRING, TAG.PRINTABLE_STRING, TAG.IA5_STRING, 0x14, 0x1e];
  if (!allowed.includes(node.tag as never)) fail(what, "expected a string");
  return Buffer.from(content(node)).toString(node.tag === TAG.UTF8_STRING ? "utf8" : "latin1");
}

// ---------------------------------------------------------------------------------------------- write

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with the given tag byte and content. */
export function tlv(tag: number, body: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(TAG.SET, Buffer.concat(items));
export const octets = (bytes: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, bytes);
export const utf8 = (text: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(text, "utf8"));
export const derNull = (): Buffer => Buffer.from([TAG.NULL, 0]);
export const bool = (value: boolean): Buffer => Buffer.from([TAG.BOOLEAN, 1, value ? 0xff : 0]);
/** Context-specific constructed tag [n]. */
export const explicit = (n: number, body: Uint8Array): Buffer => tlv(0xa0 | n, body);

/** Unsigned integer from a number or big-endian bytes (minimal encoding, sign byte when needed). */
export function integer(value: number | Uint8Array, tag: number = TAG.INTEGER): Buffer {
  let bytes: Buffer;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError("integer out of range");
    const out: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
    bytes = Buffer.from(out.length === 0 ? [0] : out);
  } else {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start++;
    bytes = Buffer.from(value.subarray(start));
    if (bytes.length === 0) bytes = Buffer.from([0]);
  }
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(tag, bytes);
}

export const enumerated = (value: number): Buffer => integer(value, TAG.ENUMERATED);

export function oid(dotted: string): Buffer {
  const parts = dotted.split(".").map((p) => {
    if (!/^\d+$/.test(p)) throw new RangeError(`bad OID ${dotted}`);
    return Number(p);
  });
  if (parts.length < 2) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  const arcs = [(parts[0] as number) * 40 + (parts[1] as number), ...parts.slice(2)];
  for (const arc of arcs) {
    const chunk: number[] = [arc & 0x7f];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift(0x80 | (n & 0x7f));
    out.push(...chunk);
  }
  return tlv(TAG.OID, Buffer.from(out));
}

/** BIT STRING holding whole bytes (signatures, keys). */
export const bitString = (bytes: Uint8Array): Buffer =>
  tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([0]), bytes]));

/** BIT STRING of named bits (bit 0 is the most significant bit of the first byte), DER-minimal. */
export function namedBits(bits: number[]): Buffer {
  const highest = Math.max(...bits);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const b of bits) bytes[b >> 3] = (bytes[b >> 3] as number) | (0x80 >> (b & 7));
  const unused = 7 - (highest & 7);
  return tlv(TAG.BIT_STRING, Buffer.concat([Buffer.from([unused]), bytes]));
}

/** X.509 Time: UTCTime up to 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "");
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return tlv(TAG.UTC_TIME, Buffer.from(digits.slice(2) + "Z", "ascii"));
  return tlv(TAG.GENERALIZED_TIME, Buffer.from(digits + "Z", "ascii"));
}
