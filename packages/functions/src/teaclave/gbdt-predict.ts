// builtin-gbdt-predict (spec/teaclave-compat.md §6.3): applies a gbdt-rs JSON model to a CSV of
// features and writes one prediction per line, formatted as Rust's `{:.10}` of the f32 value.
import { type BuiltinFunction } from "../types.js";
import { formatFixed } from "../format/rust-float.js";
import { modelFromJson, predict } from "./gbdt/model.js";
import { parseNumericCsv, readText } from "./text.js";

export const GBDT_PREDICT_LIMITS = {
  maxModelBytes: 512 * 1024 * 1024,
  maxDataBytes: 1024 * 1024 * 1024,
  maxValues: 200_000_000,
};

export const gbdtPredict: BuiltinFunction = {
  name: "builtin-gbdt-predict",
  async run(ctx) {
    const model = modelFromJson(await readText(ctx, "model_file", GBDT_PREDICT_LIMITS.maxModelBytes));
    const width = model.conf.feature_size;
    const table = parseNumericCsv(
      await readText(ctx, "data_file", GBDT_PREDICT_LIMITS.maxDataBytes),
      "data_file",
      width,
      {
        maxRows: Math.floor(GBDT_PREDICT_LIMITS.maxValues / Math.max(width, 1)),
        f32: true,
      },
    );
    const predictions = predict(model, Float32Array.from(table.data), table.rows, width);
    const lines: string[] = new Array<string>(table.rows);
    for (let i = 0; i < table.rows; i++) lines[i] = formatFixed(predictions[i] as number, 10);
    await ctx.writeOutput("result_file", lines.length ? lines.join("\n") + "\n" : "");
    return `Predict result has ${table.rows} lines of data.`;
  },
};
