// A minimal DER reader: enough for X.509 certificates, CRLs, the SGX PCK extension and the AMD VCEK
// extensions. Input is attacker-controlled, so every length is checked against its enclosing element;
// indefinite lengths, high tag numbers and non-minimal lengths are refused (they are not DER).

import { AttestationError } from "../errors.js";

export const DER = {
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
  const tlv = readTlv(bytes, 0, bytes.byteLength, what);
  if (tlv.end !== bytes.byteLength) fail(what, "trailing bytes after the element");
  return tlv;
}

export function content(tlv: Tlv): Uint8Array {
  return tlv.bytes.subarray(tlv.contentStart, tlv.end);
}

export function raw(tlv: Tlv): Uint8Array {
  return tlv.bytes.subarray(tlv.start, tlv.end);
}

/** The child elements of a constructed element (SEQUENCE, SET, explicit tag). */
export function children(tlv: Tlv, what: string, max = 4096): Tlv[] {
  if ((tlv.tag & 0x20) === 0) fail(what, `element with tag 0x${tlv.tag.toString(16)} is not constructed`);
  const out: Tlv[] = [];
  let pos = tlv.contentStart;
  while (pos < tlv.end) {
    if (out.length >= max) fail(what, "too many elements");
    const child = readTlv(tlv.bytes, pos, tlv.end, what);
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) fail(what, "missing element");
  if (tlv.tag !== tag) fail(what, `expected tag 0x${tag.toString(16)}, found 0x${tlv.tag.toString(16)}`);
  return tlv;
}

export function decodeOid(tlv: Tlv, what: string): string {
  expectTag(tlv, DER.OID, what);
  const c = content(tlv);
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
export function decodeSmallUint(tlv: Tlv, what: string, tag: number = DER.INTEGER): number {
  expectTag(tlv, tag, what);
  const c = content(tlv);
  if (c.length === 0 || c.length > 7) fail(what, "integer length out of range");
  if (c[0]! & 0x80) fail(what, "negative integer");
  if (c.length > 1 && c[0] === 0 && (c[1]! & 0x80) === 0) fail(what, "non-minimal integer");
  let value = 0;
  for (const b of c) value = value * 256 + b;
  return value;
}

/** An INTEGER's magnitude as lowercase hex without leading zero bytes (certificate serials). */
export function integerHex(tlv: Tlv, what: string): string {
  expectTag(tlv, DER.INTEGER, what);
  const c = content(tlv);
  if (c.length === 0 || c.length > 64) fail(what, "integer length out of range");
  let i = 0;
  while (i < c.length - 1 && c[i] === 0) i++;
  return Buffer.from(c.subarray(i)).toString("hex");
}

export function decodeOctets(tlv: Tlv, what: string): Uint8Array {
  return content(expectTag(tlv, DER.OCTET_STRING, what));
}

export function decodeBoolean(tlv: Tlv, what: string): boolean {
  const c = content(expectTag(tlv, DER.BOOLEAN, what));
  if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) fail(what, "bad BOOLEAN");
  return c[0] === 0xff;
}

/** BIT STRING content without the unused-bits byte; `unused` must be 0..7. */
export function decodeBitString(tlv: Tlv, what: string): { bits: Uint8Array; unused: number } {
  const c = content(expectTag(tlv, DER.BIT_STRING, what));
  if (c.length === 0 || c[0]! > 7) fail(what, "bad BIT STRING");
  return { bits: c.subarray(1), unused: c[0]! };
}

const TIME_RE = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** UTCTime (YYMMDDhhmmssZ, RFC 5280 century rule) or GeneralizedTime (YYYYMMDDhhmmssZ). */
export function decodeTime(tlv: Tlv, what: string): Date {
  if (tlv.tag !== DER.UTC_TIME && tlv.tag !== DER.GENERALIZED_TIME) fail(what, "expected a time");
  const text = Buffer.from(content(tlv)).toString("latin1");
  const m = TIME_RE.exec(text);
  const expectedYearDigits = tlv.tag === DER.UTC_TIME ? 2 : 4;
  if (!m || m[1]!.length !== expectedYearDigits) fail(what, `bad time "${text.slice(0, 20)}"`);
  let year = Number(m[1]);
  if (expectedYearDigits === 2) year += year >= 50 ? 1900 : 2000;
  const ms = Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (!Number.isFinite(ms)) fail(what, "time out of range");
  return new Date(ms);
}

/** Decodes a string-typed element (UTF8String, PrintableString, IA5String, ...). */
export function decodeString(tlv: Tlv, what: string): string {
  const allowed = [DER.UTF8_STRING, DER.PRINTABLE_STRING, DER.IA5_STRING, 0x14, 0x1e];
  if (!allowed.includes(tlv.tag as never)) fail(what, "expected a string");
  return Buffer.from(content(tlv)).toString(tlv.tag === DER.UTF8_STRING ? "utf8" : "latin1");
}
