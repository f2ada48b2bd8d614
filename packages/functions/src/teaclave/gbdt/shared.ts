// Training buffers that the main thread and helper workers share (SharedArrayBuffer views), and the
// control block through which the main thread hands out one step of work at a time.
export interface Bank {
  idx: Int32Array[];
  val: Float32Array[];
  sv: Float64Array[];
}

/** The raw shared buffers: enough to rebuild every view in another thread. */
export interface SharedLayout {
  rows: number;
  features: number;
  /** per bank: idx, val, sv buffers, each `features × rows` elements */
  banks: [SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer][];
  side: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** candidate features of the current split, in gbdt-rs's order */
  candidates: SharedArrayBuffer;
  /** per thread: impurity, value, rank of its best split */
  results: SharedArrayBuffer;
}

// Control block slots (Int32): the command sequence number the workers wait on, and per worker the
// sequence number of the last command it finished. Parameters are Float64 after the header.
export const CTRL_SEQ = 0;
export const CTRL_CMD = 1;
export const CTRL_DONE = 2; // + worker index (1-based threads)
export const CTRL_INTS = 16;
export const PARAM_BASE = 8; // in Float64 units: starts at byte 64
export const CMD_SPLIT = 1;
export const CMD_PARTITION = 2;
export const CMD_EXIT = 3;

export function bankViews(layout: SharedLayout): [Bank, Bank] {
  const n = layout.rows;
  const make = (b: number): Bank => {
    const [idxBuf, valBuf, svBuf] = layout.banks[b] as [SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer];
    const bank: Bank = { idx: [], val: [], sv: [] };
    for (let j = 0; j < layout.features; j++) {
      bank.idx.push(new Int32Array(idxBuf, j * n * 4, n));
      bank.val.push(new Float32Array(valBuf, j * n * 4, n));
      bank.sv.push(new Float64Array(svBuf, j * n * 8, n));
    }
    return bank;
  };
  return [make(0), make(1)];
}

export function allocateShared(rows: number, features: number, threads: number): SharedLayout {
  const bank = (): [SharedArrayBuffer, SharedArrayBuffer, SharedArrayBuffer] => [
    new SharedArrayBuffer(rows * features * 4),
    new SharedArrayBuffer(rows * features * 4),
    new SharedArrayBuffer(rows * features * 8),
  ];
  return {
    rows,
    features,
    banks: [bank(), bank()],
    side: new SharedArrayBuffer(rows),
    control: new SharedArrayBuffer(8 * (PARAM_BASE + 16)),
    candidates: new SharedArrayBuffer(4 * Math.max(features, 1)),
    results: new SharedArrayBuffer(8 * 3 * threads),
  };
}

/** The worker's share of a step: every `threads`-th candidate (or feature) from `tid`. */
export function mine(i: number, tid: number, threads: number): boolean {
  return i % threads === tid;
}
