// builtin-logistic-regression-train / -predict (spec/teaclave-compat.md §6.4, §6.5): rusty-machine
// 0.5's LogisticRegressor with GradientDesc — an intercept column of ones first, every parameter
// starting at 0.5, full-batch gradient descent on the cross-entropy. The dot products use
// rulinalg's eight-way unrolled summation so that parameters match Rust's to the last bit (up to
// the platform's `exp`).
import { FunctionError, type BuiltinFunction } from "../types.js";
import { formatFixed, formatJsonF64 } from "../format/rust-float.js";
import { argInt, argNumber } from "./args.js";
import { lineError, parseNumericCsv, readText } from "./text.js";

export const LR_LIMITS = {
  maxFeatures: 100_000,
  maxIterations: 1_000_000,
  maxValues: 100_000_000,
  maxInputBytes: 1024 * 1024 * 1024,
};

/** rulinalg::utils::dot over u[uOff..uOff+len] and v[0..len], in rulinalg's summation order. */
export function rulinalgDot(u: Float64Array, uOff: number, v: Float64Array, len: number): number {
  let p0 = 0,
    p1 = 0,
    p2 = 0,
    p3 = 0,
    p4 = 0,
    p5 = 0,
    p6 = 0,
    p7 = 0;
  let i = 0;
  for (; len - i >= 8; i += 8) {
    const o = uOff + i;
    p0 = p0 + (u[o] as number) * (v[i] as number);
    p1 = p1 + (u[o + 1] as number) * (v[i + 1] as number);
    p2 = p2 + (u[o + 2] as number) * (v[i + 2] as number);
    p3 = p3 + (u[o + 3] as number) * (v[i + 3] as number);
    p4 = p4 + (u[o + 4] as number) * (v[i + 4] as number);
    p5 = p5 + (u[o + 5] as number) * (v[i + 5] as number);
    p6 = p6 + (u[o + 6] as number) * (v[i + 6] as number);
    p7 = p7 + (u[o + 7] as number) * (v[i + 7] as number);
  }
  let s = 0;
  s = s + p0 + p4;
  s = s + p1 + p5;
  s = s + p2 + p6;
  s = s + p3 + p7;
  for (; i < len; i++) s = s + (u[uOff + i] as number) * (v[i] as number);
  return s;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Rows with a leading 1 (the intercept), row-major, `cols` = features + 1. */
function withIntercept(data: Float64Array, rows: number, stride: number, features: number): Float64Array {
  const cols = features + 1;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    out[r * cols] = 1;
    for (let j = 0; j < features; j++) out[r * cols + 1 + j] = data[r * stride + j] as number;
  }
  return out;
}

/** GradientDesc::optimize over BaseLogisticRegressor::compute_grad. */
export function trainLogisticRegression(
  x: Float64Array,
  y: Float64Array,
  rows: number,
  cols: number,
  alpha: number,
  iters: number,
): Float64Array {
  let params = new Float64Array(cols).fill(0.5);
  // X transposed, as rulinalg materialises `inputs.transpose()` before the product.
  const xt = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) xt[j * rows + r] = x[r * cols + j] as number;
  const diff = new Float64Array(rows);
  for (let it = 0; it < iters; it++) {
    for (let r = 0; r < rows; r++)
      diff[r] = sigmoid(rulinalgDot(x, r * cols, params, cols)) - (y[r] as number);
    const next = new Float64Array(cols);
    for (let j = 0; j < cols; j++) {
      const grad = rulinalgDot(xt, j * rows, diff, rows) / rows;
      next[j] = (params[j] as number) - grad * alpha;
    }
    params = next;
  }
  return params;
}

export interface LogisticModel {
  alpha: number;
  iters: number;
  parameters: Float64Array;
}

export function logisticModelToJson(m: LogisticModel): string {
  return `{"alpha":${formatJsonF64(m.alpha)},"iters":${m.iters},"parameters":[${[...m.parameters].map(formatJsonF64).join(",")}]}`;
}

export function logisticModelFromJson(text: string): LogisticModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FunctionError("INVALID_INPUT", "model_file: not valid JSON");
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(raw)) throw new FunctionError("INVALID_INPUT", "model_file must be a JSON object");
  // Also read the serde layout of rusty-machine's LogisticRegressor itself, which some Teaclave
  // versions wrote: {"base":{"parameters":{"size":n,"data":[…]}},"alg":{"alpha":…,"iters":…}}.
  const base =
    isObject(raw["base"]) && isObject(raw["base"]["parameters"]) ? raw["base"]["parameters"] : undefined;
  const alg = isObject(raw["alg"]) ? raw["alg"] : undefined;
  const m = base && alg ? { alpha: alg["alpha"], iters: alg["iters"], parameters: base["data"] } : raw;
  const { alpha, iters, parameters } = m;
  if (typeof alpha !== "number" || !Number.isFinite(alpha))
    throw new FunctionError("INVALID_INPUT", "model_file: alpha must be a number");
  if (typeof iters !== "number" || !Number.isSafeInteger(iters) || iters < 0)
    throw new FunctionError("INVALID_INPUT", "model_file: iters must be a non-negative integer");
  if (!Array.isArray(parameters) || parameters.length < 1 || parameters.length > LR_LIMITS.maxFeatures + 1)
    throw new FunctionError(
      "INVALID_INPUT",
      `model_file: parameters must hold 1 to ${LR_LIMITS.maxFeatures + 1} numbers`,
    );
  if (!parameters.every((p) => typeof p === "number" && Number.isFinite(p)))
    throw new FunctionError("INVALID_INPUT", "model_file: every parameter must be a finite number");
  return { alpha, iters, parameters: Float64Array.from(parameters as number[]) };
}

export const logisticRegressionTrain: BuiltinFunction = {
  name: "builtin-logistic-regression-train",
  async run(ctx) {
    const alpha = argNumber(ctx.args, "alg_alpha");
    const iters = argInt(ctx.args, "alg_iters", { max: LR_LIMITS.maxIterations });
    const features = argInt(ctx.args, "feature_size", { min: 1, max: LR_LIMITS.maxFeatures });
    const width = features + 1;
    const table = parseNumericCsv(
      await readText(ctx, "training_data", LR_LIMITS.maxInputBytes),
      "training_data",
      width,
      {
        maxRows: Math.floor(LR_LIMITS.maxValues / width),
      },
    );
    const rows = table.rows;
    const y = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const label = table.data[r * width + features] as number;
      if (label < 0 || label > 1) throw lineError("training_data", r + 1, `label ${label} is not in [0, 1]`);
      y[r] = label;
    }
    if (rows * width * iters > 5e10)
      throw new FunctionError("LIMIT_EXCEEDED", "rows × features × alg_iters exceeds 5e10");
    const x = withIntercept(table.data, rows, width, features);
    const parameters = trainLogisticRegression(x, y, rows, width, alpha, iters);
    if (!parameters.every(Number.isFinite))
      throw new FunctionError("FAILED", "training diverged (non-finite parameters); lower alg_alpha");
    await ctx.writeOutput("model_file", logisticModelToJson({ alpha, iters, parameters }));
    return `Trained ${rows} lines of data.`;
  },
};

export const logisticRegressionPredict: BuiltinFunction = {
  name: "builtin-logistic-regression-predict",
  async run(ctx) {
    const model = logisticModelFromJson(await readText(ctx, "model_file", 64 * 1024 * 1024));
    const cols = model.parameters.length;
    const features = cols - 1;
    const table = parseNumericCsv(
      await readText(ctx, "data_file", LR_LIMITS.maxInputBytes),
      "data_file",
      features,
      {
        maxRows: Math.floor(LR_LIMITS.maxValues / Math.max(features, 1)),
      },
    );
    const x = withIntercept(table.data, table.rows, features, features);
    const lines: string[] = [];
    for (let r = 0; r < table.rows; r++)
      lines.push(formatFixed(sigmoid(rulinalgDot(x, r * cols, model.parameters, cols)), 4));
    await ctx.writeOutput("result_file", lines.length ? lines.join("\n") + "\n" : "");
    return `Predicted ${table.rows} lines of data.`;
  },
};
