// A helper thread for GBDT training: waits for a step (split search or partition) on shared
// buffers, runs it on its share of the features, reports, and waits again.
import { parentPort, workerData } from "node:worker_threads";
import { featureImpurity, partitionFeature } from "./kernels.js";
import {
  bankViews,
  CMD_EXIT,
  CMD_PARTITION,
  CMD_SPLIT,
  CTRL_CMD,
  CTRL_DONE,
  CTRL_SEQ,
  mine,
  PARAM_BASE,
  type SharedLayout,
} from "./shared.js";

const { layout, tid, threads } = workerData as { layout: SharedLayout; tid: number; threads: number };
const banks = bankViews(layout);
const side = new Uint8Array(layout.side);
const targets = new Float32Array(layout.s);
const ctrl = new Int32Array(layout.control);
const params = new Float64Array(layout.control);
const candidates = new Int32Array(layout.candidates);
const results = new Float64Array(layout.results);
const scratch = new Float64Array(2);

parentPort?.postMessage("ready");
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, CTRL_SEQ, seen);
  seen = Atomics.load(ctrl, CTRL_SEQ);
  const cmd = Atomics.load(ctrl, CTRL_CMD);
  if (cmd === CMD_EXIT) break;
  const bank = banks[params[PARAM_BASE] as number]!;
  const start = params[PARAM_BASE + 1] as number;
  const end = params[PARAM_BASE + 2] as number;
  if (cmd === CMD_SPLIT) {
    const [sumS, sumSS, sumC, count] = [3, 4, 5, 6].map((k) => params[PARAM_BASE + k] as number) as [
      number,
      number,
      number,
      number,
    ];
    let best = Number.MAX_VALUE;
    let bestValue = 0;
    let bestRank = -1;
    for (let rank = 0; rank < count; rank++) {
      if (!mine(rank, tid, threads)) continue;
      const feature = candidates[rank] as number;
      featureImpurity(
        bank.ids[feature]!,
        bank.vals[feature]!,
        targets,
        start,
        end,
        sumS,
        sumSS,
        sumC,
        scratch,
      );
      if (best > (scratch[0] as number)) {
        best = scratch[0] as number;
        bestValue = scratch[1] as number;
        bestRank = rank;
      }
    }
    results[3 * tid] = best;
    results[3 * tid + 1] = bestValue;
    results[3 * tid + 2] = bestRank;
  } else if (cmd === CMD_PARTITION) {
    const to = banks[params[PARAM_BASE + 3] as number]!;
    const nLeft = params[PARAM_BASE + 4] as number;
    const nRight = params[PARAM_BASE + 5] as number;
    for (let feature = 0; feature < layout.features; feature++) {
      if (!mine(feature, tid, threads)) continue;
      partitionFeature(side, bank.ids[feature]!, to.ids[feature]!, start, nLeft, nRight, end);
    }
  }
  Atomics.store(ctrl, CTRL_DONE + tid, seen);
  Atomics.notify(ctrl, CTRL_DONE + tid);
}
