// builtin_principal_components_analysis (spec/teaclave-compat.md §6.12): rusty-machine's PCA — centre
// the columns (when `center`), take the SVD, project the data onto the first `n` right singular
// vectors — fitted and applied to the same data, printed with Rust's `{:?}`.
// Singular vectors are defined only up to sign, and rusty-machine's signs come from rulinalg's SVD
// internals. Here each component's sign is fixed the way scikit-learn fixes it (the largest
// projection in absolute value is positive), so results are reproducible and equal sklearn's.
import { Matrix, SVD } from "ml-matrix";
import { FunctionError, type BuiltinFunction } from "../types.js";
import { formatDebug } from "../format/rust-float.js";
import { argBool, argInt } from "./args.js";
import { parseNumericCsv, readText } from "./text.js";

/** Limits: the SVD costs about rows × features² operations, so that product is bounded too. */
export const PCA_LIMITS = {
  maxFeatures: 1000,
  maxValues: 10_000_000,
  maxWork: 2e9,
  maxInputBytes: 512 * 1024 * 1024,
};

/** Projects `rows` × `cols` row-major data onto its first `n` principal components. */
export function pcaTransform(
  data: Float64Array,
  rows: number,
  cols: number,
  n: number,
  center: boolean,
): Float64Array {
  const m = new Matrix(rows, cols);
  const means = new Float64Array(cols);
  if (center) {
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < cols; j++) means[j] = (means[j] as number) + (data[r * cols + j] as number);
    for (let j = 0; j < cols; j++) means[j] = (means[j] as number) / rows;
  }
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < cols; j++) m.set(r, j, (data[r * cols + j] as number) - (means[j] as number));
  const svd = new SVD(m, {
    computeLeftSingularVectors: true,
    computeRightSingularVectors: true,
    autoTranspose: true,
  });
  const v = svd.rightSingularVectors;
  const out = new Float64Array(rows * n);
  for (let k = 0; k < n; k++) {
    let best = 0;
    let bestAbs = -1;
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += m.get(r, j) * (k < v.columns ? v.get(j, k) : 0);
      out[r * n + k] = dot;
      if (Math.abs(dot) > bestAbs) {
        bestAbs = Math.abs(dot);
        best = dot;
      }
    }
    if (best < 0) for (let r = 0; r < rows; r++) out[r * n + k] = -(out[r * n + k] as number);
  }
  return out;
}

export const principalComponentsAnalysis: BuiltinFunction = {
  name: "builtin_principal_components_analysis",
  async run(ctx) {
    const features = argInt(ctx.args, "feature_size", { min: 1, max: PCA_LIMITS.maxFeatures });
    const n = argInt(ctx.args, "n", { min: 1, max: PCA_LIMITS.maxFeatures });
    const center = argBool(ctx.args, "center");
    if (n > features)
      throw new FunctionError("INVALID_ARGUMENT", `n (${n}) must not exceed feature_size (${features})`);
    const width = features + 1;
    const table = parseNumericCsv(
      await readText(ctx, "input_data", PCA_LIMITS.maxInputBytes),
      "input_data",
      width,
      {
        maxRows: Math.floor(PCA_LIMITS.maxValues / width),
      },
    );
    const rows = table.rows;
    if (rows * Math.min(rows, features) * features > PCA_LIMITS.maxWork)
      throw new FunctionError(
        "LIMIT_EXCEEDED",
        `input_data: ${rows} rows × ${features} features exceed the SVD work limit (rows × features² ≤ ${PCA_LIMITS.maxWork})`,
      );
    // The last column is a label, which PCA ignores.
    const x = new Float64Array(rows * features);
    for (let r = 0; r < rows; r++)
      for (let j = 0; j < features; j++) x[r * features + j] = table.data[r * width + j] as number;
    const projected = pcaTransform(x, rows, features, n, center);
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) {
      const cells: string[] = [];
      for (let k = 0; k < n; k++) cells.push(formatDebug(projected[r * n + k] as number));
      lines.push(cells.join(",") + "\n");
    }
    await ctx.writeOutput("output_data", lines.join(""));
    return `transform ${rows} rows * ${n} cols lines of data.`;
  },
};
