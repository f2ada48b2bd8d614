// One runner for every learning function of the catalogue, so that they all share the same modes, file
// names, limits and summaries:
//   mode "train":          training_data → model_file
//   mode "predict":        model_file + data_file → result_file
//   mode "train-predict":  training_data [+ data_file] → result_file [+ model_file]; without data_file the
//                          function predicts the training rows themselves (e.g. cluster labels).
// Supervised training data carries the label in its last column.
import { FunctionError, type BuiltinFunction, type FunctionContext } from "../../types.js";
import { DEFAULT_CSV_LIMITS, parseNumericCsv, type CsvLimits } from "../data/csv.js";
import { splitLabels, type Table } from "../data/table.js";
import { ArgReader } from "./args.js";
import { throwIfCancelled } from "./cancel.js";
import { encodeModel, ModelReader } from "./model.js";

export const TRAINING_DATA = "training_data";
export const DATA_FILE = "data_file";
export const MODEL_FILE = "model_file";
export const RESULT_FILE = "result_file";

export const MODES = ["train", "predict", "train-predict"] as const;
export type Mode = (typeof MODES)[number];

export interface AnalyticsLimits {
  readonly csv: CsvLimits;
  /** Largest input file read, in bytes. */
  readonly maxInputBytes: number;
}

export const DEFAULT_ANALYTICS_LIMITS: AnalyticsLimits = {
  csv: DEFAULT_CSV_LIMITS,
  maxInputBytes: 256 * 1024 * 1024,
};

/** What a model's fitting may use besides the data: cancellation and the task log. */
export interface RunContext {
  readonly signal: AbortSignal;
  log(line: string): void;
}

export interface TrainingSet {
  readonly features: Table;
  /** The last column of supervised training data; absent for unsupervised functions. */
  readonly labels?: Float64Array;
}

export interface Estimator<Params, Model> {
  readonly name: string;
  readonly supervised: boolean;
  /** Reads and validates this function's own arguments (all besides `mode`). */
  parseParams(args: ArgReader): Params;
  fit(data: TrainingSet, params: Params, run: RunContext): Model;
  predict(model: Model, features: Table, run: RunContext): Float64Array;
  /** The number of feature columns the model expects. */
  features(model: Model): number;
  /** The model's own fields for the model file (the envelope is added by the runner). */
  encode(model: Model): Record<string, unknown>;
  decode(reader: ModelReader): Model;
}

const USES: Record<
  Mode,
  { inputs: string[]; outputs: string[]; optionalInputs: string[]; optionalOutputs: string[] }
> = {
  train: { inputs: [TRAINING_DATA], outputs: [MODEL_FILE], optionalInputs: [], optionalOutputs: [] },
  predict: {
    inputs: [MODEL_FILE, DATA_FILE],
    outputs: [RESULT_FILE],
    optionalInputs: [],
    optionalOutputs: [],
  },
  "train-predict": {
    inputs: [TRAINING_DATA],
    outputs: [RESULT_FILE],
    optionalInputs: [DATA_FILE],
    optionalOutputs: [MODEL_FILE],
  },
};

/** Checks that a task assigns exactly the files a mode reads and writes. */
export function checkFiles(
  ctx: FunctionContext,
  what: string,
  uses: { inputs: string[]; outputs: string[]; optionalInputs?: string[]; optionalOutputs?: string[] },
): void {
  for (const name of uses.inputs)
    if (!ctx.inputNames.includes(name))
      throw new FunctionError("NO_SUCH_FILE", `${what} needs input ${name}`);
  for (const name of uses.outputs)
    if (!ctx.outputNames.includes(name))
      throw new FunctionError("NO_SUCH_FILE", `${what} needs output ${name}`);
  const inputs = [...uses.inputs, ...(uses.optionalInputs ?? [])];
  const outputs = [...uses.outputs, ...(uses.optionalOutputs ?? [])];
  for (const name of ctx.inputNames)
    if (!inputs.includes(name))
      throw new FunctionError("INVALID_ARGUMENT", `${what} does not use input ${name}`);
  for (const name of ctx.outputNames)
    if (!outputs.includes(name))
      throw new FunctionError("INVALID_ARGUMENT", `${what} does not use output ${name}`);
}

export async function readTable(
  ctx: FunctionContext,
  name: string,
  limits: AnalyticsLimits,
  columns?: { count: number; reason: string },
): Promise<Table> {
  const bytes = await ctx.readInput(name, limits.maxInputBytes);
  return parseNumericCsv(bytes, name, columns ? { limits: limits.csv, columns } : { limits: limits.csv });
}

/** One value per line, in JavaScript's shortest round-trip form (integers without a fraction). */
export function formatColumn(values: Float64Array): string {
  const lines = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) lines[i] = String(values[i]! === 0 ? 0 : values[i]);
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

export function estimatorFunction<P, M>(
  estimator: Estimator<P, M>,
  limits: AnalyticsLimits = DEFAULT_ANALYTICS_LIMITS,
): BuiltinFunction {
  return {
    name: estimator.name,
    run: (ctx) => runEstimator(estimator, ctx, limits),
  };
}

async function runEstimator<P, M>(estimator: Estimator<P, M>, ctx: FunctionContext, limits: AnalyticsLimits) {
  const args = new ArgReader(ctx.args);
  const mode = args.choice("mode", MODES, "train-predict");
  const params = estimator.parseParams(args);
  args.finish();
  checkFiles(ctx, `${estimator.name} mode ${mode}`, USES[mode]);
  const run: RunContext = { signal: ctx.signal, log: (line) => ctx.log(line) };

  let model: M;
  let trained: Table | undefined;
  const summary: string[] = [];
  if (mode === "predict") {
    const bytes = await ctx.readInput(MODEL_FILE, limits.maxInputBytes);
    model = estimator.decode(ModelReader.parse(bytes, MODEL_FILE, estimator.name));
  } else {
    const raw = await readTable(ctx, TRAINING_DATA, limits);
    const data: TrainingSet = estimator.supervised ? splitLabels(raw, TRAINING_DATA) : { features: raw };
    throwIfCancelled(ctx.signal);
    model = estimator.fit(data, params, run);
    trained = data.features;
    summary.push(`Trained ${raw.rows} lines of data.`);
    if (ctx.outputNames.includes(MODEL_FILE))
      await ctx.writeOutput(
        MODEL_FILE,
        encodeModel(estimator.name, estimator.features(model), estimator.encode(model)),
      );
  }

  if (mode !== "train") {
    const features = estimator.features(model);
    const rows = ctx.inputNames.includes(DATA_FILE)
      ? await readTable(ctx, DATA_FILE, limits, {
          count: features,
          reason: `the model's ${features} features`,
        })
      : trained!;
    throwIfCancelled(ctx.signal);
    const predictions = estimator.predict(model, rows, run);
    await ctx.writeOutput(RESULT_FILE, formatColumn(predictions));
    summary.push(`Predicted ${rows.rows} lines of data.`);
  }
  return summary.join(" ");
}
