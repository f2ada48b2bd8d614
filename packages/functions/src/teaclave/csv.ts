// Minimal RFC 4180 CSV as Rust's `csv` crate reads and writes it by default: comma delimiter,
// double-quote quoting, empty lines skipped, every record the same length; the writer quotes a
// field only when it must and ends records with "\n".
import { FunctionError } from "../types.js";

export interface CsvRecord {
  fields: string[];
  /** 1-based line on which the record starts. */
  line: number;
}

export function parseCsv(text: string, input: string, maxRecords = 10_000_000): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let sawQuote = false;
  const endRecord = (): void => {
    fields.push(field);
    field = "";
    // A blank line (one empty, unquoted field) is skipped, as the csv crate does.
    if (!(fields.length === 1 && fields[0] === "" && !sawQuote)) {
      const width = records[0]?.fields.length;
      if (width !== undefined && fields.length !== width)
        throw new FunctionError(
          "INVALID_INPUT",
          `${input} line ${recordLine}: found record with ${fields.length} fields, but the previous record has ${width} fields`,
        );
      records.push({ fields, line: recordLine });
      if (records.length > maxRecords)
        throw new FunctionError("LIMIT_EXCEEDED", `${input} has more than ${maxRecords} records`);
    }
    fields = [];
    sawQuote = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inQuotes) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        inQuotes = false;
      } else {
        if (c === "\n") line++;
        field += c;
      }
    } else if (c === '"' && field === "") {
      inQuotes = true;
      sawQuote = true;
    } else if (c === ",") {
      fields.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      endRecord();
      if (c === "\r" && text[i + 1] === "\n") i++;
      line++;
      recordLine = line;
    } else {
      field += c;
    }
  }
  if (inQuotes)
    throw new FunctionError("INVALID_INPUT", `${input} line ${recordLine}: unterminated quoted field`);
  if (field !== "" || fields.length > 0 || sawQuote) endRecord();
  return records;
}

function quoteIfNeeded(field: string, single: boolean): string {
  if (/[",\n\r]/.test(field) || (single && field === "")) return `"${field.replace(/"/g, '""')}"`;
  return field;
}

export function formatCsvRecord(fields: readonly string[]): string {
  return fields.map((f) => quoteIfNeeded(f, fields.length === 1)).join(",") + "\n";
}
