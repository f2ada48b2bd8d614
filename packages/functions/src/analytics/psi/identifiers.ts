// Reading one party's identifiers into 256-bit keys (8 big-endian words each, in one typed array):
//   "text":   any line of text, hashed with SHA-256 (the line without its line ending);
//   "hex":    one 32-byte identifier per line as 64 hexadecimal digits (already hashed by the owner);
//   "binary": the concatenation of 32-byte identifiers (MesaTEE 2019's PSI input).
// Errors name the input and the line (or identifier number) but never echo its content.
import { hash } from "node:crypto";
import { endianness } from "node:os";
import { FunctionError } from "../../types.js";
import { WORDS } from "./radix-sort.js";

export const IDENTIFIER_FORMATS = ["text", "hex", "binary"] as const;
export type IdentifierFormat = (typeof IDENTIFIER_FORMATS)[number];

export interface Identifiers {
  readonly count: number;
  /** `count` × 8 words, in input order until psi.ts sorts them in place. */
  readonly keys: Uint32Array;
  /** Byte range of each identifier's line in the input (text and hex formats), for echoing own items. */
  readonly starts?: Uint32Array;
  readonly ends?: Uint32Array;
}

const HEX = new Uint8Array(256).fill(255);
for (let c = 0; c < 10; c++) HEX[48 + c] = c;
for (let c = 0; c < 6; c++) {
  HEX[65 + c] = 10 + c;
  HEX[97 + c] = 10 + c;
}

export function readIdentifiers(
  input: Uint8Array,
  source: string,
  format: IdentifierFormat,
  maxItems: number,
): Identifiers {
  if (input.length === 0) throw new FunctionError("INVALID_INPUT", `input ${source} is empty`);
  if (format === "binary") return readBinary(input, source, maxItems);
  input = Buffer.from(input.buffer, input.byteOffset, input.length); // Buffer's indexOf is a memchr

  const spans = lineSpans(input, source, maxItems);
  const count = spans.starts.length;
  const keys = new Uint32Array(count * WORDS);
  if (format === "hex") {
    for (let n = 0; n < count; n++) {
      const s = spans.starts[n]!;
      if (spans.ends[n]! - s !== 64 || !hexToWords(input, s, keys, n * WORDS))
        throw new FunctionError(
          "INVALID_INPUT",
          `input ${source} line ${n + 1} is not a 32-byte identifier (64 hexadecimal digits)`,
        );
    }
  } else {
    for (let n = 0; n < count; n++) {
      const digest = hash("sha256", input.subarray(spans.starts[n]!, spans.ends[n]!), "buffer");
      bytesToWords(digest, 0, keys, n * WORDS);
    }
  }
  return { count, keys, starts: spans.starts, ends: spans.ends };
}

function readBinary(input: Uint8Array, source: string, maxItems: number): Identifiers {
  if (input.length % 32 !== 0)
    throw new FunctionError(
      "INVALID_INPUT",
      `input ${source} is ${input.length} bytes, not a whole number of 32-byte identifiers`,
    );
  const count = input.length / 32;
  checkCount(count, source, maxItems);
  // Copy into an aligned array, then turn each native little-endian word into its big-endian value.
  const keys = new Uint32Array(count * WORDS);
  new Uint8Array(keys.buffer).set(input);
  if (endianness() === "BE") return { count, keys };
  for (let w = 0; w < keys.length; w++) {
    const x = keys[w]!;
    keys[w] = (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
  }
  return { count, keys };
}

function lineSpans(
  input: Uint8Array,
  source: string,
  maxItems: number,
): { starts: Uint32Array; ends: Uint32Array } {
  let end = input.length;
  if (input[end - 1] === 10) end--; // one final newline is allowed
  let lines = 1;
  for (let i = input.indexOf(10); i !== -1 && i < end; i = input.indexOf(10, i + 1)) lines++;
  checkCount(lines, source, maxItems);
  const starts = new Uint32Array(lines);
  const ends = new Uint32Array(lines);
  let start = 0;
  for (let n = 0; n < lines; n++) {
    let stop = n === lines - 1 ? end : input.indexOf(10, start);
    const next = stop + 1;
    if (stop > start && input[stop - 1] === 13) stop--;
    if (stop === start) throw new FunctionError("INVALID_INPUT", `input ${source} line ${n + 1} is blank`);
    starts[n] = start;
    ends[n] = stop;
    start = next;
  }
  return { starts, ends };
}

function checkCount(count: number, source: string, maxItems: number): void {
  if (count > maxItems)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `input ${source} has ${count} identifiers; the limit is ${maxItems}`,
    );
}

function bytesToWords(bytes: Uint8Array, at: number, out: Uint32Array, to: number): void {
  for (let w = 0; w < WORDS; w++, at += 4)
    out[to + w] =
      ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/** Decodes 64 hex digits at `at` into 8 words; false if any digit is not hexadecimal. */
function hexToWords(input: Uint8Array, at: number, out: Uint32Array, to: number): boolean {
  let bad = 0;
  for (let w = 0; w < WORDS; w++) {
    let word = 0;
    for (let k = 0; k < 8; k++) {
      const v = HEX[input[at++]!]!;
      bad |= v;
      word = (word << 4) | (v & 15);
    }
    out[to + w] = word >>> 0;
  }
  return (bad & 0xf0) === 0;
}
