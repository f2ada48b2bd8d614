// A dense numeric table: `rows` × `cols` doubles, row-major in one typed array (no per-row objects).
import { FunctionError } from "../../types.js";

export interface Table {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function table(rows: number, cols: number, data = new Float64Array(rows * cols)): Table {
  if (data.length !== rows * cols)
    throw new RangeError(`table data has ${data.length} cells, not ${rows}×${cols}`);
  return { rows, cols, data };
}

/** Splits off the last column as labels (the catalogue's convention for supervised training data). */
export function splitLabels(input: Table, source: string): { features: Table; labels: Float64Array } {
  if (input.cols < 2)
    throw new FunctionError(
      "INVALID_INPUT",
      `input ${source} line 1: expected at least one feature column and a label column, found ${input.cols} field`,
    );
  const cols = input.cols - 1;
  const features = new Float64Array(input.rows * cols);
  const labels = new Float64Array(input.rows);
  for (let r = 0; r < input.rows; r++) {
    const from = r * input.cols;
    features.set(input.data.subarray(from, from + cols), r * cols);
    labels[r] = input.data[from + cols]!;
  }
  return { features: table(input.rows, cols, features), labels };
}

/** The row `r` as a view (no copy). */
export function row(t: Table, r: number): Float64Array {
  return t.data.subarray(r * t.cols, (r + 1) * t.cols);
}
