// Limits one user function runs under. The isolate process enforces the hard ones (wall clock, resident
// memory, kill on cancel); these are the ones an executor checks itself, so that a function that
// exceeds them fails with a precise reason instead of being killed.
export interface ExecutorLimits {
  /** Wall-clock budget for the function (QuickJS interrupts itself; the isolate kills the rest). */
  readonly timeoutMs: number;
  /** Memory budget of the isolate, MiB: caps WebAssembly linear memory and the QuickJS heap. */
  readonly memoryMb: number;
  /** Bytes a function may write to one output. */
  readonly maxOutputBytes: number;
  /** Bytes of one input a function may read (user functions hold their inputs in memory). */
  readonly maxInputBytes: number;
  /** Bytes of the return value (UTF-8). */
  readonly maxResultBytes: number;
  /** Log lines kept, and bytes per line. */
  readonly maxLogLines: number;
  readonly maxLogLineBytes: number;
}

export const DEFAULT_EXECUTOR_LIMITS: ExecutorLimits = {
  timeoutMs: 10 * 60_000,
  memoryMb: 512,
  maxOutputBytes: 256 * 1024 * 1024,
  maxInputBytes: 256 * 1024 * 1024,
  maxResultBytes: 1024 * 1024,
  maxLogLines: 10_000,
  maxLogLineBytes: 4096,
};

const MIB = 1024 * 1024;
const WASM_PAGE = 64 * 1024;

/** Largest linear memory (pages) a WebAssembly function may have: its share of the isolate's memory. */
export function wasmMaxPages(limits: ExecutorLimits): number {
  // wasm32 addresses at most 4 GiB = 65 536 pages.
  return Math.max(1, Math.min(65_536, Math.floor((limits.memoryMb * MIB * 0.75) / WASM_PAGE)));
}

/** QuickJS heap limit in bytes: half the isolate, leaving room for inputs, outputs and Node itself. */
export function quickJsHeapBytes(limits: ExecutorLimits): number {
  return Math.max(4 * MIB, Math.floor((limits.memoryMb * MIB) / 2));
}

/** Fills in defaults and checks that every limit is a positive integer. */
export function resolveLimits(partial: Partial<ExecutorLimits> | undefined): ExecutorLimits {
  const limits = { ...DEFAULT_EXECUTOR_LIMITS, ...partial };
  for (const [key, value] of Object.entries(limits))
    if (!Number.isSafeInteger(value) || value <= 0)
      throw new RangeError(`executor limit ${key} must be a positive integer`);
  return limits;
}
