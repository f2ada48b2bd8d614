// Reading inputs as text. Inputs are plaintext the executor already decrypted; each function reads
// them whole under a size limit (every limit has a default) and reports bad content by line number.
import { FunctionError, type FunctionContext } from "../types.js";

/** Default cap for a whole-file read by a Teaclave function: 256 MiB. */
export const DEFAULT_MAX_INPUT_BYTES = 256 * 1024 * 1024;

const decoder = new TextDecoder("utf-8", { fatal: true });

export async function readText(
  ctx: FunctionContext,
  name: string,
  maxBytes = DEFAULT_MAX_INPUT_BYTES,
): Promise<string> {
  const bytes = await ctx.readInput(name, maxBytes);
  try {
    return decoder.decode(bytes);
  } catch {
    throw new FunctionError("INVALID_INPUT", `input ${name} is not valid UTF-8 text`);
  }
}

/**
 * Lines as Rust's `BufRead::lines` yields them: split on `\n`, a trailing `\r` removed, and no empty
 * line after a final newline.
 */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

/** Rust's `str::parse::<f32/f64>` accepts decimal and exponent forms, `inf`, `NaN`; numbers only here. */
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumber(field: string, where: string): number {
  if (!NUMBER.test(field))
    throw new FunctionError(
      "INVALID_INPUT",
      `${where}: ${JSON.stringify(field.slice(0, 40))} is not a number`,
    );
  const n = Number(field);
  if (!Number.isFinite(n))
    throw new FunctionError(
      "INVALID_INPUT",
      `${where}: ${JSON.stringify(field.slice(0, 40))} is out of range`,
    );
  return n;
}

export function lineError(input: string, line: number, message: string): FunctionError {
  return new FunctionError("INVALID_INPUT", `${input} line ${line}: ${message}`);
}

/**
 * Parses a numeric CSV file into a row-major Float64Array. Every line must have exactly `columns`
 * comma-separated numbers (fields are trimmed); empty lines, ragged rows and non-numbers are refused
 * with the line number. With `f32`, each value is parsed to the nearest f32 (Teaclave's GBDT data).
 */
export function parseNumericCsv(
  text: string,
  input: string,
  columns: number,
  options: { maxRows?: number; f32?: boolean } = {},
): { rows: number; data: Float64Array } {
  const lines = splitLines(text);
  const maxRows = options.maxRows ?? 10_000_000;
  if (lines.length === 0) throw new FunctionError("INVALID_INPUT", `input ${input} is empty`);
  if (lines.length > maxRows)
    throw new FunctionError("LIMIT_EXCEEDED", `input ${input} has more than ${maxRows} rows`);
  if (lines.length * columns > 200_000_000)
    throw new FunctionError("LIMIT_EXCEEDED", `input ${input} has more than 200000000 values`);
  const data = new Float64Array(lines.length * columns);
  const parse = options.f32 ? parseF32 : parseNumber;
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "") throw lineError(input, i + 1, "empty line");
    const fields = trimmed.split(",");
    if (fields.length !== columns)
      throw lineError(input, i + 1, `column len = ${fields.length}, expected = ${columns}`);
    for (let j = 0; j < columns; j++) {
      data[i * columns + j] = parse((fields[j] as string).trim(), `${input} line ${i + 1} column ${j + 1}`);
    }
  });
  return { rows: lines.length, data };
}

const f32Bits = new Float32Array(1);
const u32Bits = new Uint32Array(f32Bits.buffer);

/** The next f32 after `f` (finite, non-negative or negative) in the direction of `toward`. */
function nextF32(f: number, up: boolean): number {
  if (f === 0) return up ? 1.401298464324817e-45 : -1.401298464324817e-45;
  f32Bits[0] = f;
  const positive = f > 0;
  u32Bits[0] = (u32Bits[0] as number) + (positive === up ? 1 : -1);
  return f32Bits[0] as number;
}

/** Exact comparison of a decimal literal with a double: -1, 0 or 1. */
function compareDecimal(literal: string, x: number): number {
  const match = /^([+-]?)(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!match) return 0;
  const negative = match[1] === "-";
  const intDigits = match[2] ?? "";
  const fracDigits = match[3] ?? "";
  let digits = BigInt((intDigits + fracDigits).replace(/^0+/, "") || "0");
  const exp10 = Number(match[4] ?? "0") - fracDigits.length;
  if (negative) digits = -digits;
  // x = m · 2^e2, exactly.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  let e2 = -1074;
  if (biased !== 0) {
    m |= 1n << 52n;
    e2 = biased - 1075;
  }
  if (x < 0) m = -m;
  let left = digits;
  let right = m;
  if (exp10 >= 0) left *= 10n ** BigInt(exp10);
  else right *= 10n ** BigInt(-exp10);
  if (e2 >= 0) right <<= BigInt(e2);
  else left <<= BigInt(-e2);
  return left < right ? -1 : left > right ? 1 : 0;
}

/**
 * Parses a decimal literal to the nearest f32, as Rust's `parse::<f32>` does. Going through a
 * double first can round twice; when the double lands exactly between two floats, the literal's
 * exact value decides.
 */
export function parseF32(literal: string, where: string): number {
  const d = parseNumber(literal, where);
  const f = Math.fround(d);
  if (f === d || !Number.isFinite(f)) {
    if (!Number.isFinite(f))
      throw new FunctionError(
        "INVALID_INPUT",
        `${where}: ${JSON.stringify(literal.slice(0, 40))} is out of f32 range`,
      );
    return f;
  }
  const other = nextF32(f, d > f);
  const mid = (f + other) / 2;
  if (d !== mid) return f;
  const cmp = compareDecimal(literal.trim(), mid);
  if (cmp === 0) return f;
  return cmp > 0 === other > f ? other : f;
}
