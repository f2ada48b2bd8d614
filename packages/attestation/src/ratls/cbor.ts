// The CBOR subset RA-TLS uses (RFC 8949): unsigned/negative integers, byte and text strings,
// arrays, maps, tags, and the simple values false/true/null. Encoding is deterministic (§4.2.1:
// shortest forms, definite lengths, map keys sorted by their encoded bytes) because report_data is
// a hash over the encoded claims. Decoding is strict and bounded: it is fed attacker bytes.

import { RaTlsError } from "./errors.js";

export type CborValue =
  number | bigint | Uint8Array | string | boolean | null | CborValue[] | CborMap | CborTag;

export class CborMap {
  constructor(readonly entries: ReadonlyArray<readonly [CborValue, CborValue]>) {}

  /** The value under a text key, if present. */
  get(key: string): CborValue | undefined {
    for (const [k, v] of this.entries) if (k === key) return v;
    return undefined;
  }
}

export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

// ---------------------------------------------------------------------------------------------- encode

function head(major: number, value: number | bigint): Buffer {
  const n = BigInt(value);
  if (n < 0n) throw new RangeError("negative CBOR argument");
  const m = major << 5;
  if (n < 24n) return Buffer.from([m | Number(n)]);
  if (n < 0x100n) return Buffer.from([m | 24, Number(n)]);
  if (n < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = m | 25;
    b.writeUInt16BE(Number(n), 1);
    return b;
  }
  if (n < 0x100000000n) {
    const b = Buffer.alloc(5);
    b[0] = m | 26;
    b.writeUInt32BE(Number(n), 1);
    return b;
  }
  const b = Buffer.alloc(9);
  b[0] = m | 27;
  b.writeBigUInt64BE(n, 1);
  return b;
}

export function encodeCbor(value: CborValue): Buffer {
  if (typeof value === "number" || typeof value === "bigint") {
    if (typeof value === "number" && !Number.isSafeInteger(value)) throw new RangeError("only integers");
    const n = BigInt(value);
    return n >= 0n ? head(0, n) : head(1, -1n - n);
  }
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "utf8");
    return Buffer.concat([head(3, bytes.length), bytes]);
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (value === false) return Buffer.from([0xf4]);
  if (value === true) return Buffer.from([0xf5]);
  if (value === null) return Buffer.from([0xf6]);
  if (Array.isArray(value)) return Buffer.concat([head(4, value.length), ...value.map(encodeCbor)]);
  if (value instanceof CborTag) return Buffer.concat([head(6, value.tag), encodeCbor(value.value)]);
  if (value instanceof CborMap) {
    const encoded = value.entries.map(([k, v]) => [encodeCbor(k), encodeCbor(v)] as const);
    encoded.sort((a, b) => Buffer.compare(a[0], b[0]));
    for (let i = 1; i < encoded.length; i++) {
      if (
        Buffer.compare(
          (encoded[i - 1] as readonly [Buffer, Buffer])[0],
          (encoded[i] as readonly [Buffer, Buffer])[0],
        ) === 0
      ) {
        throw new RangeError("duplicate CBOR map key");
      }
    }
    return Buffer.concat([head(5, encoded.length), ...encoded.flat()]);
  }
  throw new RangeError("unsupported CBOR value");
}

// ---------------------------------------------------------------------------------------------- decode

export interface CborDecodeLimits {
  /** Deepest nesting accepted. */
  maxDepth?: number;
  /** Most items in one array or map. */
  maxItems?: number;
}

const DEFAULT_MAX_DEPTH = 8;
const DEFAULT_MAX_ITEMS = 64;

function bad(what: string): RaTlsError {
  return new RaTlsError("EVIDENCE_MALFORMED", `malformed CBOR: ${what}`);
}

/** Decodes exactly one CBOR item spanning all of `input`. */
export function decodeCbor(input: Uint8Array, limits: CborDecodeLimits = {}): CborValue {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxItems = limits.maxItems ?? DEFAULT_MAX_ITEMS;
  let pos = 0;

  const argument = (info: number): bigint => {
    if (info < 24) return BigInt(info);
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) throw bad("indefinite lengths and reserved values are not accepted");
    if (pos + size > buf.length) throw bad("truncated argument");
    let n = 0n;
    for (let i = 0; i < size; i++) n = (n << 8n) | BigInt(buf[pos + i] as number);
    pos += size;
    if ((size === 1 && n < 24n) || (size > 1 && n < 1n << BigInt(4 * size)))
      throw bad("non-shortest argument");
    return n;
  };

  const length = (info: number): number => {
    const n = argument(info);
    if (n > BigInt(buf.length - pos)) throw bad("length runs past the input");
    return Number(n);
  };

  const item = (depth: number): CborValue => {
    if (depth > maxDepth) throw bad("nested too deeply");
    if (pos >= buf.length) throw bad("truncated");
    const initial = buf[pos++] as number;
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case 0:
      case 1: {
        const n = argument(info);
        const value = major === 0 ? n : -1n - n;
        return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
          ? Number(value)
          : value;
      }
      case 2:
      case 3: {
        const n = length(info);
        const bytes = buf.subarray(pos, pos + n);
        pos += n;
        if (major === 2) return Uint8Array.from(bytes);
        const text = new TextDecoder("utf-8", { fatal: true });
        try {
          return text.decode(bytes);
        } catch {
          throw bad("text string is not UTF-8");
        }
      }
      case 4: {
        const n = length(info);
        if (n > maxItems) throw bad("array too long");
        const out: CborValue[] = [];
        for (let i = 0; i < n; i++) out.push(item(depth + 1));
        return out;
      }
      case 5: {
        const n = length(info);
        if (n > maxItems) throw bad("map too large");
        const entries: [CborValue, CborValue][] = [];
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const keyStart = pos;
          const key = item(depth + 1);
          const keyBytes = buf.subarray(keyStart, pos).toString("hex");
          if (seen.has(keyBytes)) throw bad("duplicate map key");
          seen.add(keyBytes);
          entries.push([key, item(depth + 1)]);
        }
        return new CborMap(entries);
      }
      case 6: {
        const tag = argument(info);
        if (tag > BigInt(Number.MAX_SAFE_INTEGER)) throw bad("tag too large");
        return new CborTag(Number(tag), item(depth + 1));
      }
      default: {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw bad("unsupported simple or floating-point value");
      }
    }
  };

  const value = item(0);
  if (pos !== buf.length) throw bad("trailing bytes");
  return value;
}
