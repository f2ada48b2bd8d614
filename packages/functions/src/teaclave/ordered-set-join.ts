// builtin-ordered-set-join (§6.9): merge join of two header-less CSV files sorted by their join
// columns. Teaclave trusted the caller's sorting; an unsorted file silently produced a wrong join,
// so here an out-of-order record is refused with its line number.
import { FunctionError, type BuiltinFunction } from "../types.js";
import { argBool, argInt } from "./args.js";
import { formatCsvRecord, parseCsv, type CsvRecord } from "./csv.js";
import { readText } from "./text.js";

// Rust compares `str` by bytes; UTF-8 byte order equals code-point order, which is not JavaScript's
// UTF-16 order for characters beyond the BMP.
function compareStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function keyOf(record: CsvRecord, column: number, input: string): string {
  const key = record.fields[column];
  if (key === undefined)
    throw new FunctionError(
      "INVALID_ARGUMENT",
      `invalid index: ${input} line ${record.line} has no column ${column}`,
    );
  return key;
}

function checkSorted(records: CsvRecord[], column: number, ascending: boolean, input: string): void {
  for (let i = 1; i < records.length; i++) {
    const cmp = compareStrings(
      keyOf(records[i] as CsvRecord, column, input),
      keyOf(records[i - 1] as CsvRecord, column, input),
    );
    if (ascending ? cmp < 0 : cmp > 0)
      throw new FunctionError(
        "INVALID_INPUT",
        `${input} line ${(records[i] as CsvRecord).line}: not sorted in ${ascending ? "ascending" : "descending"} order by column ${column}`,
      );
  }
}

export const orderedSetJoin: BuiltinFunction = {
  name: "builtin-ordered-set-join",
  async run(ctx) {
    const left = argInt(ctx.args, "left_column", { max: 1_000_000 });
    const right = argInt(ctx.args, "right_column", { max: 1_000_000 });
    const ascending = argBool(ctx.args, "ascending");
    const drop = argBool(ctx.args, "drop");
    const records1 = parseCsv(await readText(ctx, "input_data1"), "input_data1");
    const records2 = parseCsv(await readText(ctx, "input_data2"), "input_data2");
    if (records1.length === 0) throw new FunctionError("INVALID_INPUT", "input1 is empty");
    if (records2.length === 0) throw new FunctionError("INVALID_INPUT", "input2 is empty");
    checkSorted(records1, left, ascending, "input_data1");
    checkSorted(records2, right, ascending, "input_data2");

    const out: string[] = [];
    let i = 0;
    let j = 0;
    while (i < records1.length && j < records2.length) {
      const r1 = records1[i] as CsvRecord;
      const r2 = records2[j] as CsvRecord;
      const cmp = compareStrings(keyOf(r1, left, "input_data1"), keyOf(r2, right, "input_data2"));
      if (cmp === 0) {
        const first = drop ? r1.fields.filter((_, k) => k !== left) : r1.fields;
        const second = r2.fields.filter((_, k) => k !== right);
        out.push(formatCsvRecord([...first, ...second]));
        i++;
        j++;
      } else if (cmp < 0 === ascending) i++;
      else j++;
    }
    await ctx.writeOutput("output_result", out.join(""));
    return `${out.length} records`;
  },
};
