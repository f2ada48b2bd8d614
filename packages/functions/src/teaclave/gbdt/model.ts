// The gbdt-rs 0.1 model (Teaclave's builtin-gbdt-train/-predict): configuration, trees stored as
// flat arrays, serde_json serialization byte-compatible with gbdt-rs, validated loading, and
// prediction with gbdt-rs's f32 arithmetic (every operation rounded to f32 as Rust does).
import { FunctionError } from "../../types.js";
import { formatJsonF32, formatJsonF64 } from "../../format/rust-float.js";

/** f32::MIN, which gbdt-rs uses to mark a missing feature value. */
export const F32_MIN = -3.4028234663852886e38;

export const LOSSES = [
  "SquaredError",
  "LogLikelyhood",
  "LAD",
  "reg:linear",
  "reg:logistic",
  "binary:logistic",
  "binary:logitraw",
  "multi:softprob",
  "multi:softmax",
  "rank:pairwise",
] as const;
export type Loss = (typeof LOSSES)[number];
/** The losses gbdt-rs can train with. */
export const TRAINING_LOSSES: readonly Loss[] = ["SquaredError", "LogLikelyhood", "LAD"];

export interface GbdtConfig {
  feature_size: number;
  max_depth: number;
  iterations: number;
  /** f32 */
  shrinkage: number;
  feature_sample_ratio: number;
  data_sample_ratio: number;
  min_leaf_size: number;
  loss: Loss;
  debug: boolean;
  initial_guess_enabled: boolean;
  training_optimization_level: number;
}

/** One decision tree; node i's fields live at index i of each array (gbdt-rs's node vector). */
export interface Tree {
  featureIndex: Int32Array;
  /** f32 split value: go left when feature < value. */
  featureValue: Float32Array;
  /** f32 prediction (also kept on inner nodes, for missing values). */
  pred: Float32Array;
  /** -1 missing goes left, 0 use this node's pred, 1 go right. */
  missing: Int8Array;
  isLeaf: Uint8Array;
  left: Int32Array;
  right: Int32Array;
}

export interface GbdtModel {
  conf: GbdtConfig;
  trees: Tree[];
  /** f32 initial prediction */
  bias: number;
}

/** Limits when loading a model: nodes per tree and total nodes. */
export const MAX_TREE_NODES = 1 << 22;
export const MAX_MODEL_NODES = 1 << 25;

function treeJson(tree: Tree, conf: GbdtConfig): string {
  const nodes: string[] = [];
  for (let i = 0; i < tree.pred.length; i++) {
    nodes.push(
      `{"value":{"feature_index":${tree.featureIndex[i]},"feature_value":${formatJsonF32(tree.featureValue[i] as number)},` +
        `"pred":${formatJsonF32(tree.pred[i] as number)},"missing":${tree.missing[i]},"is_leaf":${tree.isLeaf[i] === 1}},` +
        `"index":${i},"left":${tree.left[i]},"right":${tree.right[i]}}`,
    );
  }
  return (
    `{"tree":{"tree":[${nodes.join(",")}]},"feature_size":${conf.feature_size},"max_depth":${conf.max_depth},` +
    `"min_leaf_size":${conf.min_leaf_size},"loss":${JSON.stringify(conf.loss)},"feature_sample_ratio":${formatJsonF64(conf.feature_sample_ratio)}}`
  );
}

/** serde_json::to_string of gbdt-rs's GBDT: field order and number formatting as Rust writes them. */
export function modelToJson(model: GbdtModel): string {
  const c = model.conf;
  const conf =
    `{"feature_size":${c.feature_size},"max_depth":${c.max_depth},"iterations":${c.iterations},` +
    `"shrinkage":${formatJsonF32(c.shrinkage)},"feature_sample_ratio":${formatJsonF64(c.feature_sample_ratio)},` +
    `"data_sample_ratio":${formatJsonF64(c.data_sample_ratio)},"min_leaf_size":${c.min_leaf_size},` +
    `"loss":${JSON.stringify(c.loss)},"debug":${c.debug},"initial_guess_enabled":${c.initial_guess_enabled},` +
    `"training_optimization_level":${c.training_optimization_level}}`;
  return `{"conf":${conf},"trees":[${model.trees.map((t) => treeJson(t, c)).join(",")}],"bias":${formatJsonF32(model.bias)}}`;
}

function bad(message: string): FunctionError {
  return new FunctionError("INVALID_INPUT", `model_file: ${message}`);
}

function obj(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw bad(`${where} must be an object`);
  return value as Record<string, unknown>;
}

function uint(value: unknown, where: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max)
    throw bad(`${where} must be an integer in 0..${max}`);
  return value;
}

function num(value: unknown, where: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw bad(`${where} must be a finite number`);
  return value;
}

function bool(value: unknown, where: string): boolean {
  if (typeof value !== "boolean") throw bad(`${where} must be true or false`);
  return value;
}

function parseLoss(value: unknown, where: string): Loss {
  if (typeof value !== "string" || !(LOSSES as readonly string[]).includes(value))
    throw bad(`${where} is not a gbdt-rs loss`);
  return value as Loss;
}

function parseTree(value: unknown, t: number, featureSize: number): Tree {
  const where = `trees[${t}]`;
  const outer = obj(obj(value, where)["tree"], `${where}.tree`);
  const nodes = outer["tree"];
  if (!Array.isArray(nodes) || nodes.length === 0) throw bad(`${where}.tree.tree must be a non-empty array`);
  if (nodes.length > MAX_TREE_NODES)
    throw new FunctionError("LIMIT_EXCEEDED", `model_file: ${where} has more than ${MAX_TREE_NODES} nodes`);
  const n = nodes.length;
  const tree: Tree = {
    featureIndex: new Int32Array(n),
    featureValue: new Float32Array(n),
    pred: new Float32Array(n),
    missing: new Int8Array(n),
    isLeaf: new Uint8Array(n),
    left: new Int32Array(n),
    right: new Int32Array(n),
  };
  nodes.forEach((raw, i) => {
    const w = `${where} node ${i}`;
    const node = obj(raw, w);
    const v = obj(node["value"], `${w}.value`);
    tree.isLeaf[i] = bool(v["is_leaf"], `${w}.is_leaf`) ? 1 : 0;
    tree.pred[i] = Math.fround(num(v["pred"], `${w}.pred`));
    tree.featureValue[i] = Math.fround(num(v["feature_value"], `${w}.feature_value`));
    tree.featureIndex[i] = uint(v["feature_index"], `${w}.feature_index`, 2 ** 31 - 1);
    const missing = v["missing"] ?? 0;
    if (missing !== -1 && missing !== 0 && missing !== 1) throw bad(`${w}.missing must be -1, 0 or 1`);
    tree.missing[i] = missing;
    // gbdt-rs appends children after their parent, so child indices are larger: this also proves
    // that prediction terminates.
    const left = uint(node["left"], `${w}.left`, n - 1);
    const right = uint(node["right"], `${w}.right`, n - 1);
    if (tree.isLeaf[i] === 0) {
      if (left <= i || right <= i) throw bad(`${w} is not a leaf but lacks valid children`);
      if ((tree.featureIndex[i] as number) >= featureSize)
        throw bad(`${w} splits on feature ${tree.featureIndex[i]} but feature_size is ${featureSize}`);
    }
    tree.left[i] = left;
    tree.right[i] = right;
  });
  return tree;
}

/** Parses and validates a gbdt-rs model (as written by gbdt-rs, Teaclave, or modelToJson). */
export function modelFromJson(text: string): GbdtModel {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw bad("not valid JSON");
  }
  const root = obj(raw, "the model");
  const c = obj(root["conf"], "conf");
  const conf: GbdtConfig = {
    feature_size: uint(c["feature_size"], "conf.feature_size", 1_000_000),
    max_depth: uint(c["max_depth"], "conf.max_depth", 2 ** 32 - 1),
    iterations: uint(c["iterations"], "conf.iterations", 10_000_000),
    shrinkage: Math.fround(num(c["shrinkage"], "conf.shrinkage")),
    feature_sample_ratio: num(c["feature_sample_ratio"], "conf.feature_sample_ratio"),
    data_sample_ratio: num(c["data_sample_ratio"], "conf.data_sample_ratio"),
    min_leaf_size: uint(c["min_leaf_size"], "conf.min_leaf_size"),
    loss: parseLoss(c["loss"], "conf.loss"),
    debug: bool(c["debug"], "conf.debug"),
    initial_guess_enabled: bool(c["initial_guess_enabled"], "conf.initial_guess_enabled"),
    training_optimization_level: uint(
      c["training_optimization_level"],
      "conf.training_optimization_level",
      255,
    ),
  };
  const trees = root["trees"];
  if (!Array.isArray(trees)) throw bad("trees must be an array");
  // gbdt-rs's predict asserts this; a mismatch would panic there.
  if (trees.length !== conf.iterations)
    throw bad(`has ${trees.length} trees but conf.iterations is ${conf.iterations}`);
  let total = 0;
  const parsed = trees.map((t, i) => {
    const tree = parseTree(t, i, conf.feature_size);
    total += tree.pred.length;
    if (total > MAX_MODEL_NODES)
      throw new FunctionError("LIMIT_EXCEEDED", `model_file has more than ${MAX_MODEL_NODES} nodes`);
    return tree;
  });
  const bias = root["bias"] === undefined ? 0 : Math.fround(num(root["bias"], "bias"));
  return { conf, trees: parsed, bias };
}

/** A tree of depth ≤ 12 laid out as a complete binary tree, walked without branches on node type. */
interface CompactTree {
  depth: number;
  feature: Int32Array;
  threshold: Float32Array;
  /** f32(shrinkage · leaf prediction), per leaf slot */
  contribution: Float32Array;
}

const MAX_COMPACT_DEPTH = 12;

function treeDepth(tree: Tree, node = 0): number {
  return tree.isLeaf[node] === 1
    ? 0
    : 1 + Math.max(treeDepth(tree, tree.left[node] as number), treeDepth(tree, tree.right[node] as number));
}

function compact(tree: Tree, shrinkage: number): CompactTree | undefined {
  const depth = treeDepth(tree);
  if (depth > MAX_COMPACT_DEPTH) return undefined;
  const inner = (1 << depth) - 1;
  const out: CompactTree = {
    depth,
    feature: new Int32Array(Math.max(inner, 1)),
    threshold: new Float32Array(Math.max(inner, 1)).fill(Infinity),
    contribution: new Float32Array(1 << depth),
  };
  const fill = (node: number, pos: number, level: number): void => {
    if (tree.isLeaf[node] === 1) {
      // Thresholds below stay +∞, so every walk from here goes left to this leaf slot.
      const leaf = ((pos + 1) << (depth - level)) - 1 - inner;
      out.contribution[leaf] = Math.fround(shrinkage * (tree.pred[node] as number));
      return;
    }
    out.feature[pos] = tree.featureIndex[node] as number;
    out.threshold[pos] = tree.featureValue[node] as number;
    fill(tree.left[node] as number, 2 * pos + 1, level + 1);
    fill(tree.right[node] as number, 2 * pos + 2, level + 1);
  };
  fill(0, 0, 0);
  return out;
}

function walk(tree: Tree, features: Float32Array, base: number): number {
  const { featureIndex, featureValue, missing, isLeaf, left, right } = tree;
  let node = 0;
  while (isLeaf[node] === 0) {
    const x = features[base + (featureIndex[node] as number)] as number;
    if (x === F32_MIN) {
      const m = missing[node] as number;
      if (m === 0) break;
      node = (m < 0 ? left[node] : right[node]) as number;
    } else node = (x < (featureValue[node] as number) ? left[node] : right[node]) as number;
  }
  return node;
}

/** f32(shrinkage · prediction) of one row for one tree. */
function leaf(
  tree: Tree,
  fast: CompactTree,
  features: Float32Array,
  base: number,
  missing: boolean,
  shrinkage: number,
): number {
  if (missing) return Math.fround(shrinkage * (tree.pred[walk(tree, features, base)] as number));
  let p = 0;
  for (let d = 0; d < fast.depth; d++)
    p =
      2 * p + 2 - +((features[base + (fast.feature[p] as number)] as number) < (fast.threshold[p] as number));
  return fast.contribution[p - ((1 << fast.depth) - 1)] as number;
}

/**
 * Raw scores of `rows` samples (row-major f32 features, `stride` values per row), accumulated in
 * f32 tree by tree as gbdt-rs's predict_n does. Trees are walked one at a time over all rows (the
 * tree stays in cache), in a complete-tree layout when shallow; rows holding a missing value
 * (f32::MIN) take the general walk, which honours each node's `missing` rule.
 */
export function rawScores(
  model: GbdtModel,
  features: Float32Array,
  rows: number,
  stride: number,
): Float32Array {
  const out = new Float32Array(rows);
  if (!model.conf.initial_guess_enabled) out.fill(model.bias);
  const shrinkage = model.conf.shrinkage;
  const hasMissing = new Uint8Array(rows);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < stride; j++) if (features[r * stride + j] === F32_MIN) hasMissing[r] = 1;
  const compiled = model.trees.map((tree) => compact(tree, shrinkage));
  // Blocks of rows small enough to stay in cache while every tree walks over them.
  const BLOCK = 256;
  for (let start = 0; start < rows; start += BLOCK) {
    const end = Math.min(rows, start + BLOCK);
    model.trees.forEach((tree, t) => {
      const fast = compiled[t];
      if (fast === undefined) {
        for (let r = start; r < end; r++)
          out[r] =
            (out[r] as number) +
            Math.fround(shrinkage * (tree.pred[walk(tree, features, r * stride)] as number));
        return;
      }
      const { depth, feature, threshold, contribution } = fast;
      const inner = (1 << depth) - 1;
      // Four rows walk the tree side by side: their steps are independent, so the CPU overlaps
      // them instead of waiting on one chain of loads. Each step is branch-free (a data-dependent
      // branch would mispredict half the time).
      let r = start;
      for (; r + 4 <= end; r += 4) {
        if (
          (hasMissing[r] as number) +
            (hasMissing[r + 1] as number) +
            (hasMissing[r + 2] as number) +
            (hasMissing[r + 3] as number) !==
          0
        ) {
          for (let q = r; q < r + 4; q++)
            out[q] =
              (out[q] as number) + leaf(tree, fast, features, q * stride, hasMissing[q] === 1, shrinkage);
          continue;
        }
        const b0 = r * stride,
          b1 = b0 + stride,
          b2 = b1 + stride,
          b3 = b2 + stride;
        let p0 = 0,
          p1 = 0,
          p2 = 0,
          p3 = 0;
        for (let d = 0; d < depth; d++) {
          p0 = 2 * p0 + 2 - +((features[b0 + (feature[p0] as number)] as number) < (threshold[p0] as number));
          p1 = 2 * p1 + 2 - +((features[b1 + (feature[p1] as number)] as number) < (threshold[p1] as number));
          p2 = 2 * p2 + 2 - +((features[b2 + (feature[p2] as number)] as number) < (threshold[p2] as number));
          p3 = 2 * p3 + 2 - +((features[b3 + (feature[p3] as number)] as number) < (threshold[p3] as number));
        }
        out[r] = (out[r] as number) + (contribution[p0 - inner] as number);
        out[r + 1] = (out[r + 1] as number) + (contribution[p1 - inner] as number);
        out[r + 2] = (out[r + 2] as number) + (contribution[p2 - inner] as number);
        out[r + 3] = (out[r + 3] as number) + (contribution[p3 - inner] as number);
      }
      for (; r < end; r++)
        out[r] = (out[r] as number) + leaf(tree, fast, features, r * stride, hasMissing[r] === 1, shrinkage);
    });
  }
  return out;
}

/** Final predictions: gbdt-rs maps raw scores through the loss's link function. */
export function predict(
  model: GbdtModel,
  features: Float32Array,
  rows: number,
  stride: number,
): Float32Array {
  const scores = rawScores(model, features, rows, stride);
  const loss = model.conf.loss;
  if (loss === "LogLikelyhood") {
    for (let i = 0; i < rows; i++) {
      const e = Math.fround(Math.exp(Math.fround(-2 * (scores[i] as number))));
      scores[i] = 1 / Math.fround(1 + e);
    }
  } else if (loss === "binary:logistic" || loss === "reg:logistic") {
    for (let i = 0; i < rows; i++) {
      const e = Math.fround(Math.exp(-(scores[i] as number)));
      scores[i] = 1 / Math.fround(1 + e);
    }
  }
  return scores;
}
