// Helper threads for GBDT training. Split search and partitioning are independent per feature, so
// each thread takes every `threads`-th feature of a step; the main thread takes its share too and
// then waits. Results are merged in gbdt-rs's feature order, so the model is the same for any
// number of threads.
import { Worker } from "node:worker_threads";
import { featureImpurity, partitionFeature } from "./kernels.js";
import {
  allocateShared,
  bankViews,
  CMD_EXIT,
  CMD_PARTITION,
  CMD_SPLIT,
  CTRL_CMD,
  CTRL_DONE,
  CTRL_SEQ,
  mine,
  PARAM_BASE,
  type Bank,
  type SharedLayout,
} from "./shared.js";

export class TrainingPool {
  readonly banks: [Bank, Bank];
  readonly side: Uint8Array;
  /** Each sample's s = target, written by the trainer before each tree. */
  readonly s: Float32Array;
  private readonly ctrl: Int32Array;
  private readonly params: Float64Array;
  private readonly candidates: Int32Array;
  private readonly results: Float64Array;
  private readonly scratch = new Float64Array(2);

  private constructor(
    layout: SharedLayout,
    readonly threads: number,
    private readonly workers: Worker[],
  ) {
    this.banks = bankViews(layout);
    this.side = new Uint8Array(layout.side);
    this.s = new Float32Array(layout.s);
    this.ctrl = new Int32Array(layout.control);
    this.params = new Float64Array(layout.control);
    this.candidates = new Int32Array(layout.candidates);
    this.results = new Float64Array(layout.results);
  }

  /** Starts `threads - 1` helpers; undefined when threads cannot be used here. */
  static async create(rows: number, features: number, threads: number): Promise<TrainingPool | undefined> {
    const layout = allocateShared(rows, features, threads);
    const workers: Worker[] = [];
    try {
      for (let tid = 1; tid < threads; tid++) {
        const worker = new Worker(new URL("./worker.js", import.meta.url), {
          workerData: { layout, tid, threads },
        });
        workers.push(worker);
        await new Promise<void>((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once("error", reject);
          worker.once("exit", () => reject(new Error("training helper exited")));
        });
      }
    } catch {
      await Promise.all(workers.map((w) => w.terminate()));
      return undefined;
    }
    return new TrainingPool(layout, threads, workers);
  }

  private dispatch(cmd: number): number {
    Atomics.store(this.ctrl, CTRL_CMD, cmd);
    const seq = Atomics.add(this.ctrl, CTRL_SEQ, 1) + 1;
    Atomics.notify(this.ctrl, CTRL_SEQ);
    return seq;
  }

  private join(seq: number): void {
    for (let tid = 1; tid < this.threads; tid++) {
      let done: number;
      while ((done = Atomics.load(this.ctrl, CTRL_DONE + tid)) !== seq)
        Atomics.wait(this.ctrl, CTRL_DONE + tid, done);
    }
  }

  /** The best split over `candidates` (in order; ties go to the earlier candidate). */
  split(
    bank: number,
    start: number,
    end: number,
    sumS: number,
    sumSS: number,
    sumC: number,
    candidates: readonly number[],
  ): { feature: number; value: number } | undefined {
    const p = this.params;
    p[PARAM_BASE] = bank;
    p[PARAM_BASE + 1] = start;
    p[PARAM_BASE + 2] = end;
    p[PARAM_BASE + 3] = sumS;
    p[PARAM_BASE + 4] = sumSS;
    p[PARAM_BASE + 5] = sumC;
    p[PARAM_BASE + 6] = candidates.length;
    this.candidates.set(candidates);
    const seq = this.dispatch(CMD_SPLIT);
    const b = this.banks[bank] as Bank;
    let best = Number.MAX_VALUE;
    let bestValue = 0;
    let bestRank = -1;
    for (let rank = 0; rank < candidates.length; rank++) {
      if (!mine(rank, 0, this.threads)) continue;
      const feature = candidates[rank] as number;
      featureImpurity(
        b.ids[feature] as Int32Array,
        b.vals[feature] as Float32Array,
        this.s,
        start,
        end,
        sumS,
        sumSS,
        sumC,
        this.scratch,
      );
      if (best > (this.scratch[0] as number)) {
        best = this.scratch[0] as number;
        bestValue = this.scratch[1] as number;
        bestRank = rank;
      }
    }
    this.join(seq);
    for (let tid = 1; tid < this.threads; tid++) {
      const impurity = this.results[3 * tid] as number;
      const rank = this.results[3 * tid + 2] as number;
      if (rank < 0) continue;
      if (bestRank < 0 || impurity < best || (impurity === best && rank < bestRank)) {
        best = impurity;
        bestValue = this.results[3 * tid + 1] as number;
        bestRank = rank;
      }
    }
    return bestRank < 0 ? undefined : { feature: candidates[bestRank] as number, value: bestValue };
  }

  partition(from: number, to: number, start: number, nLeft: number, nRight: number, end: number): void {
    const p = this.params;
    p[PARAM_BASE] = from;
    p[PARAM_BASE + 1] = start;
    p[PARAM_BASE + 2] = end;
    p[PARAM_BASE + 3] = to;
    p[PARAM_BASE + 4] = nLeft;
    p[PARAM_BASE + 5] = nRight;
    const seq = this.dispatch(CMD_PARTITION);
    const a = this.banks[from] as Bank;
    const o = this.banks[to] as Bank;
    for (let feature = 0; feature < a.ids.length; feature++) {
      if (!mine(feature, 0, this.threads)) continue;
      partitionFeature(this.side, a.ids[feature]!, o.ids[feature]!, start, nLeft, nRight, end);
    }
    this.join(seq);
  }

  async close(): Promise<void> {
    this.dispatch(CMD_EXIT);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
