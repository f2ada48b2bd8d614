// Training buffers that the main thread and helper workers share (SharedArrayBuffer views), and the
// control block through which the main thread hands out one step of work at a time.

/** Per feature: interleaved (sample id, f32 value) pairs, as 32-bit words and as floats. */
export interface Bank {
  ids: Int32Array[];
  vals: Float32Array[];
}

/** The raw shared buffers: enough to rebuild every view in another thread. */
export interface SharedLayout {
  rows: number;
  features: number;
  /** one buffer per bank: `features × rows` pairs of 32-bit words */
  banks: [SharedArrayBuffer, SharedArrayBuffer];
  /** rows × f32: each sample's s = target of the current tree */
  s: SharedArrayBuffer;
  side: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** candidate features of the current split, in gbdt-rs's order */
  candidates: SharedArrayBuffer;
  /** per thread: impurity, value, rank of its best split */
  results: SharedArrayBuffer;
}

// Control block: Int32 slots for the command sequence number the workers wait on, the command, and
// per worker the sequence number of the last command it finished; Float64 parameters after that.
export const CTRL_SEQ = 0;
export const CTRL_CMD = 1;
export const CTRL_DONE = 2; // + thread id (workers are 1 …)
export const PARAM_BASE = 8; // in Float64 units: starts at byte 64, after 16 Int32 slots
export const CMD_SPLIT = 1;
export const CMD_PARTITION = 2;
export const CMD_EXIT = 3;

export function makeBank(buffer: ArrayBufferLike, rows: number, features: number): Bank {
  const bank: Bank = { ids: [], vals: [] };
  for (let j = 0; j < features; j++) {
    bank.ids.push(new Int32Array(buffer, j * rows * 8, 2 * rows));
    bank.vals.push(new Float32Array(buffer, j * rows * 8, 2 * rows));
  }
  return bank;
}

export function bankViews(layout: SharedLayout): [Bank, Bank] {
  return [
    makeBank(layout.banks[0], layout.rows, layout.features),
    makeBank(layout.banks[1], layout.rows, layout.features),
  ];
}

export function allocateShared(rows: number, features: number, threads: number): SharedLayout {
  return {
    rows,
    features,
    banks: [new SharedArrayBuffer(rows * features * 8), new SharedArrayBuffer(rows * features * 8)],
    s: new SharedArrayBuffer(rows * 4),
    side: new SharedArrayBuffer(rows),
    control: new SharedArrayBuffer(8 * (PARAM_BASE + 16)),
    candidates: new SharedArrayBuffer(4 * Math.max(features, 1)),
    results: new SharedArrayBuffer(8 * 3 * threads),
  };
}

/** Whether item `i` of a step belongs to thread `tid`: every `threads`-th one. */
export function mine(i: number, tid: number, threads: number): boolean {
  return i % threads === tid;
}
