// builtin-gbdt-train (spec/teaclave-compat.md §6.2): trains gbdt-rs's gradient-boosted trees on a CSV
// of `feature_size` features plus a label and writes the model as gbdt-rs's JSON.
import { FunctionError, type BuiltinFunction } from "../types.js";
import { argInt, argNumber, argString } from "./args.js";
import { modelToJson, type GbdtConfig, type Loss } from "./gbdt/model.js";
import { trainGbdtHistogram } from "./gbdt/hist.js";
import { defaultTrainingThreads, trainGbdt } from "./gbdt/train.js";
import { lineError, parseNumericCsv, readText } from "./text.js";

/** Limits (documented in docs/functions.md): refuse anything larger before allocating for it. */
export const GBDT_LIMITS = {
  maxFeatures: 10_000,
  maxDepth: 64,
  maxIterations: 100_000,
  maxRows: 5_000_000,
  /** rows × (features + 1) values; training holds about 30 bytes per value */
  maxValues: 50_000_000,
  maxInputBytes: 1024 * 1024 * 1024,
};

// Teaclave spells it LogLikelyhood; the correct spelling is accepted and stored the gbdt-rs way.
const LOSS_NAMES: Record<string, Loss> = {
  SquaredError: "SquaredError",
  LAD: "LAD",
  LogLikelyhood: "LogLikelyhood",
  LogLikelihood: "LogLikelyhood",
};

export const gbdtTrain: BuiltinFunction = {
  name: "builtin-gbdt-train",
  async run(ctx) {
    const a = ctx.args;
    const lossName = argString(a, "loss");
    const loss = LOSS_NAMES[lossName];
    if (loss === undefined)
      throw new FunctionError(
        "INVALID_ARGUMENT",
        `unsupported loss ${JSON.stringify(lossName.slice(0, 40))} (expected SquaredError, LogLikelyhood or LAD)`,
      );
    const featureSize = argInt(a, "feature_size", { min: 1, max: GBDT_LIMITS.maxFeatures });
    const conf: GbdtConfig = {
      feature_size: featureSize,
      max_depth: argInt(a, "max_depth", { max: GBDT_LIMITS.maxDepth }),
      iterations: argInt(a, "iterations", { max: GBDT_LIMITS.maxIterations }),
      shrinkage: Math.fround(argNumber(a, "shrinkage", { min: -3.4e38, max: 3.4e38 })),
      feature_sample_ratio: argNumber(a, "feature_sample_ratio", { min: 0 }),
      data_sample_ratio: argNumber(a, "data_sample_ratio", { min: 0 }),
      min_leaf_size: argInt(a, "min_leaf_size"),
      loss,
      debug: false,
      initial_guess_enabled: false,
      // gbdt-rs clamps the level to 0..2 when it is set.
      training_optimization_level: Math.min(argInt(a, "training_optimization_level", { max: 255 }), 2),
    };
    // MesaTEE's extension: "histogram" trades gbdt-rs's exact split search for speed on large data.
    const splitFinding = a["split_finding"] === undefined ? "exact" : argString(a, "split_finding");
    if (splitFinding !== "exact" && splitFinding !== "histogram")
      throw new FunctionError("INVALID_ARGUMENT", 'argument "split_finding" must be "exact" or "histogram"');
    const text = await readText(ctx, "training_data", GBDT_LIMITS.maxInputBytes);
    const columns = featureSize + 1;
    const table = parseNumericCsv(text, "training_data", columns, {
      maxRows: Math.min(GBDT_LIMITS.maxRows, Math.floor(GBDT_LIMITS.maxValues / columns)),
      f32: true,
    });
    const rows = table.rows;
    const x = new Float32Array(rows * featureSize);
    const y = new Float32Array(rows);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < featureSize; j++) x[j * rows + i] = table.data[i * columns + j] as number;
      const label = table.data[i * columns + featureSize] as number;
      if (loss === "LogLikelyhood" && label !== 1 && label !== -1)
        throw lineError("training_data", i + 1, `LogLikelyhood needs labels -1 or 1, got ${label}`);
      y[i] = label;
    }
    if (loss === "LogLikelyhood" && (y.every((v) => v === 1) || y.every((v) => v === -1)))
      throw new FunctionError("INVALID_INPUT", "training_data: LogLikelyhood needs both labels -1 and 1");
    if (conf.data_sample_ratio < 1 && Math.floor(rows * conf.data_sample_ratio) === 0)
      throw new FunctionError("INVALID_ARGUMENT", "data_sample_ratio selects no rows");
    // Large inputs may use helper threads; the model does not depend on the thread count.
    const threads = defaultTrainingThreads();
    const data = { rows, features: featureSize, x, y };
    const model =
      splitFinding === "histogram"
        ? await trainGbdtHistogram(conf, data, ctx.signal)
        : await trainGbdt(conf, data, { signal: ctx.signal, threads });
    await ctx.writeOutput("trained_model", modelToJson(model));
    return `Trained ${rows} lines of data.`;
  },
};
