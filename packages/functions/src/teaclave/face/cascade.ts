// The face model: OpenCV's frontal-face Haar cascade (haarcascade_frontalface_alt, 22 stages, 20×20
// base window) as the `tracking` npm package ships it, in build/data/face.js. The file is data in a
// JavaScript wrapper; it is read as text and its numbers parsed, never executed, so nothing is
// downloaded or evaluated at run time.
//
// Layout of the number list: baseWidth, baseHeight, then per stage: threshold, nodeCount, and per
// node: tilted (0/1), rectCount, rectCount × (x, y, width, height, weight), threshold, left, right.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { FunctionError } from "../../types.js";

export interface Cascade {
  width: number;
  height: number;
  stageThreshold: Float64Array;
  stageFirstNode: Int32Array;
  stageNodeCount: Int32Array;
  nodeThreshold: Float64Array;
  nodeLeft: Float64Array;
  nodeRight: Float64Array;
  nodeFirstRect: Int32Array;
  nodeRectCount: Int32Array;
  /** x, y, width, height, weight per rectangle */
  rects: Float64Array;
}

export function parseCascade(numbers: readonly number[]): Cascade {
  const at = (i: number): number => {
    const v = numbers[i];
    if (v === undefined || !Number.isFinite(v))
      throw new FunctionError("FAILED", "the face cascade data is malformed");
    return v;
  };
  const stages: number[][] = [];
  const nodes: number[][] = [];
  const rects: number[] = [];
  let i = 2;
  while (i < numbers.length) {
    const threshold = at(i);
    const count = at(i + 1);
    i += 2;
    stages.push([threshold, nodes.length, count]);
    for (let n = 0; n < count; n++) {
      if (at(i) !== 0) throw new FunctionError("FAILED", "tilted Haar features are not supported");
      const rectCount = at(i + 1);
      i += 2;
      const first = rects.length / 5;
      for (let r = 0; r < rectCount * 5; r++) rects.push(at(i + r));
      i += rectCount * 5;
      nodes.push([at(i), at(i + 1), at(i + 2), first, rectCount]);
      i += 3;
    }
  }
  const col = (rows: number[][], k: number) => rows.map((r) => r[k] as number);
  return {
    width: at(0),
    height: at(1),
    stageThreshold: Float64Array.from(col(stages, 0)),
    stageFirstNode: Int32Array.from(col(stages, 1)),
    stageNodeCount: Int32Array.from(col(stages, 2)),
    nodeThreshold: Float64Array.from(col(nodes, 0)),
    nodeLeft: Float64Array.from(col(nodes, 1)),
    nodeRight: Float64Array.from(col(nodes, 2)),
    nodeFirstRect: Int32Array.from(col(nodes, 3)),
    nodeRectCount: Int32Array.from(col(nodes, 4)),
    rects: Float64Array.from(rects),
  };
}

let cached: Cascade | undefined;

export function frontalFaceCascade(): Cascade {
  if (cached) return cached;
  const path = createRequire(import.meta.url).resolve("tracking/build/data/face.js");
  const text = readFileSync(path, "utf8");
  const match = /Float64Array\(\[([-+0-9.eE,\s]+)\]\)/.exec(text);
  if (!match?.[1])
    throw new FunctionError("FAILED", "the face cascade data was not found in the tracking package");
  cached = parseCascade(match[1].split(",").map(Number));
  return cached;
}
