// The strict CSV reader for numeric data: one record per line, comma-separated decimal numbers, no header,
// the same number of fields on every line, no blank lines (only a final newline). Errors name the input and
// the line but never quote the content: a failure reason is shown to every participant of a task.
import { FunctionError } from "../../types.js";
import { table, type Table } from "./table.js";

export interface CsvLimits {
  /** Most records (lines) accepted. */
  readonly maxRows: number;
  /** Most fields per record. */
  readonly maxColumns: number;
  /** Most numbers in the whole table (rows × columns); bounds the memory used (8 bytes each). */
  readonly maxCells: number;
}

export const DEFAULT_CSV_LIMITS: CsvLimits = {
  maxRows: 10_000_000,
  maxColumns: 1024,
  maxCells: 16 * 1024 * 1024,
};

export interface CsvOptions {
  readonly limits?: CsvLimits;
  /** The number of fields every line must have, and why (e.g. "the model's 4 features"). */
  readonly columns?: { readonly count: number; readonly reason: string };
}

const NEWLINE = 10;
const CR = 13;
const COMMA = 44;

export function parseNumericCsv(input: Uint8Array, source: string, options: CsvOptions = {}): Table {
  const limits = options.limits ?? DEFAULT_CSV_LIMITS;
  let start = 0;
  // A UTF-8 byte order mark, as spreadsheet exports write it, is not part of the first field.
  if (input[0] === 0xef && input[1] === 0xbb && input[2] === 0xbf) start = 3;
  let end = input.length;
  if (end > start && input[end - 1] === NEWLINE) end--; // one final newline is allowed
  if (end <= start) throw new FunctionError("INVALID_INPUT", `input ${source} is empty`);

  let lines = 1;
  for (let i = start; i < end; i++) if (input[i] === NEWLINE) lines++;
  if (lines > limits.maxRows)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `input ${source} has ${lines} lines; the limit is ${limits.maxRows} records`,
    );

  let cols = -1;
  let data = new Float64Array(0);
  let lineStart = start;
  for (let line = 1; line <= lines; line++) {
    let lineEnd = line === lines ? end : lineStart;
    if (line !== lines) while (input[lineEnd] !== NEWLINE) lineEnd++;
    const next = lineEnd + 1;
    if (lineEnd > lineStart && input[lineEnd - 1] === CR) lineEnd--;
    if (lineEnd === lineStart)
      throw new FunctionError("INVALID_INPUT", `input ${source} line ${line} is blank`);

    if (cols < 0) {
      cols = 1;
      for (let i = lineStart; i < lineEnd; i++) if (input[i] === COMMA) cols++;
      checkShape(cols, lines, source, limits, options);
      data = new Float64Array(lines * cols);
    }
    let field = 0;
    let fieldStart = lineStart;
    const base = (line - 1) * cols;
    for (let i = lineStart; i <= lineEnd; i++) {
      if (i < lineEnd && input[i] !== COMMA) continue;
      if (field === cols) break; // too many fields: counted and reported below
      const value = parseNumber(input, fieldStart, i);
      if (Number.isNaN(value))
        throw new FunctionError(
          "INVALID_INPUT",
          `input ${source} line ${line} field ${field + 1} is not a decimal number`,
        );
      data[base + field] = value;
      field++;
      fieldStart = i + 1;
    }
    if (field !== cols || fieldStart <= lineEnd) {
      let found = 1;
      for (let i = lineStart; i < lineEnd; i++) if (input[i] === COMMA) found++;
      throw new FunctionError(
        "INVALID_INPUT",
        `input ${source} line ${line}: expected ${cols} fields like line 1, found ${found}`,
      );
    }
    lineStart = next;
  }
  return table(lines, cols, data);
}

function checkShape(
  cols: number,
  rows: number,
  source: string,
  limits: CsvLimits,
  options: CsvOptions,
): void {
  const expected = options.columns;
  if (expected && cols !== expected.count)
    throw new FunctionError(
      "INVALID_INPUT",
      `input ${source} line 1: expected ${expected.count} fields (${expected.reason}), found ${cols}`,
    );
  if (cols > limits.maxColumns)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `input ${source} line 1 has ${cols} fields; the limit is ${limits.maxColumns} columns`,
    );
  if (rows * cols > limits.maxCells)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `input ${source} has ${rows} × ${cols} numbers; the limit is ${limits.maxCells}`,
    );
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Parses one field (spaces and tabs around it allowed) as `[+-]digits[.digits][e[+-]digits]`; NaN if it
 * is anything else. Up to 15 significant digits and a small exponent are computed exactly in one rounding
 * (Clinger's fast path); everything else goes through Number(), which rounds correctly.
 */
export function parseNumber(b: Uint8Array, start: number, end: number): number {
  while (start < end && (b[start] === 32 || b[start] === 9)) start++;
  while (end > start && (b[end - 1] === 32 || b[end - 1] === 9)) end--;
  let i = start;
  let negative = false;
  if (b[i] === 43 || b[i] === 45) {
    negative = b[i] === 45;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  let c = b[i]!;
  while (i < end && c >= 48 && c <= 57) {
    mantissa = mantissa * 10 + (c - 48);
    digits++;
    c = b[++i]!;
  }
  if (i < end && c === 46) {
    c = b[++i]!;
    while (i < end && c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      scale++;
      c = b[++i]!;
    }
  }
  if (digits === 0) return NaN;
  let exponent = 0;
  if (i < end && (c === 101 || c === 69)) {
    c = b[++i]!;
    let expNegative = false;
    if (i < end && (c === 43 || c === 45)) {
      expNegative = c === 45;
      c = b[++i]!;
    }
    let expDigits = 0;
    while (i < end && c >= 48 && c <= 57) {
      if (exponent < 100_000) exponent = exponent * 10 + (c - 48);
      expDigits++;
      c = b[++i]!;
    }
    if (expDigits === 0) return NaN;
    if (expNegative) exponent = -exponent;
  }
  if (i !== end) return NaN;
  const power = exponent - scale;
  let value: number;
  if (digits <= 15 && power >= -22 && power <= 22) {
    value = power < 0 ? mantissa / POW10[-power]! : mantissa * POW10[power]!;
  } else {
    const unsigned = negative || b[start] === 43 ? start + 1 : start;
    value = Number(Buffer.from(b.buffer, b.byteOffset + unsigned, end - unsigned).toString("latin1"));
    if (!Number.isFinite(value)) return NaN; // overflow to Infinity is not a usable number
  }
  return negative ? -value : value;
}
