// A minimal DER writer and reader: just what certificates, the SGX PCK extension and RA-TLS need.
// DER is attacker-controlled on the read side, so every length is bounds-checked and the reader never
// allocates more than the input it was given.

import { RaTlsError } from "./errors.js";

// One table of tag numbers for the whole package: the reader in verify/der.ts owns it.
import { DER as TAG } from "../verify/der.js";

export { TAG };

// ---------------------------------------------------------------------------------------------- write

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with the given tag byte and content. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), encodeLength(content.length), content]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(TAG.SEQUENCE, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(TAG.SET, Buffer.concat(items));
export const octets = (bytes: Uint8Array): Buffer => tlv(TAG.OCTET_STRING, bytes);
export const utf8 = (text: string): Buffer => tlv(TAG.UTF8_STRING, Buffer.from(text, "utf8"));
export const derNull = (): Buffer => Buffer.from([TAG.NULL, 0]);
export const bool = (value: boolean): Buffer => Buffer.from([TAG.BOOLEAN, 1, value ? 0xff : 0]);
/** Context-specific constructed tag [n]. */
export const explicit = (n: number, content: Uint8Array): Buffer => tlv(0xa0 | n, content);

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

// ----------------------------------------------------------------------------------------------- read

export interface DerNode {
  tag: number;
  /** Offset of the tag byte in the input. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
  /** The content bytes (a view into the input). */
  content: Buffer;
  /** The whole TLV (a view into the input). */
  raw: Buffer;
}

function malformed(what: string): RaTlsError {
  return new RaTlsError("CERT_MALFORMED", `malformed DER: ${what}`);
}

/** Reads one TLV at `offset`; low-tag-number form only, definite lengths only (DER). */
export function readNode(input: Buffer, offset = 0, limit = input.length): DerNode {
  if (offset + 2 > limit) throw malformed("truncated header");
  const tag = input[offset] as number;
  if ((tag & 0x1f) === 0x1f) throw malformed("high tag numbers are not used here");
  let length = input[offset + 1] as number;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw malformed("unsupported length form");
    if (contentStart + count > limit) throw malformed("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (input[contentStart + i] as number);
    contentStart += count;
    if (length < 0x80 || (count > 1 && input[offset + 2] === 0)) throw malformed("non-minimal length");
  }
  const end = contentStart + length;
  if (end > limit) throw malformed("content runs past its container");
  return {
    tag,
    start: offset,
    contentStart,
    end,
    content: input.subarray(contentStart, end),
    raw: input.subarray(offset, end),
  };
}

/** The children of a constructed node, in order. */
export function children(input: Buffer, node: DerNode): DerNode[] {
  if ((node.tag & 0x20) === 0) throw malformed("expected a constructed value");
  const out: DerNode[] = [];
  let offset = node.contentStart;
  while (offset < node.end) {
    const child = readNode(input, offset, node.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (node === undefined || node.tag !== tag) throw malformed(`expected ${what}`);
  return node;
}

export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw malformed("empty OID");
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < content.length; i++) {
    const byte = content[i] as number;
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER) throw malformed("OID arc too large");
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === content.length - 1) {
      throw malformed("truncated OID");
    }
  }
  const first = arcs[0] as number;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join(".");
}

/** Parses UTCTime / GeneralizedTime in the forms RFC 5280 allows (Z, seconds present). */
export function decodeTime(node: DerNode): Date {
  const text = node.content.toString("ascii");
  let match: RegExpMatchArray | null;
  let year: number;
  if (node.tag === TAG.UTC_TIME) {
    match = text.match(/^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
    if (!match) throw malformed("bad UTCTime");
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (node.tag === TAG.GENERALIZED_TIME) {
    match = text.match(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/);
    if (!match) throw malformed("bad GeneralizedTime");
    year = Number(match[1]);
  } else {
    throw malformed("expected a time");
  }
  const [, , mo, d, h, mi, s] = match.map(Number) as number[];
  const ms = Date.UTC(year, (mo as number) - 1, d, h, mi, s);
  if (Number.isNaN(ms)) throw malformed("bad time");
  return new Date(ms);
}
