// Per-task resource limits: defaults, per-function overrides, and the operator's maximum.
export interface TaskLimits {
  /** Wall-clock limit for running the function. */
  readonly timeoutMs: number;
  /** Heap limit of the function's isolate. */
  readonly memoryMb: number;
  /** Total bytes a function may write to one output. */
  readonly maxOutputBytes: number;
  /** Log lines kept, and bytes per line. */
  readonly maxLogLines: number;
  readonly maxLogLineBytes: number;
}

export const DEFAULT_TASK_LIMITS: TaskLimits = {
  timeoutMs: 10 * 60_000,
  memoryMb: 512,
  maxOutputBytes: 16 * 1024 ** 3,
  maxLogLines: 10_000,
  maxLogLineBytes: 4096,
};

export const MAX_TASK_LIMITS: TaskLimits = {
  timeoutMs: 24 * 3_600_000,
  memoryMb: 8192,
  maxOutputBytes: 64 * 1024 ** 3,
  maxLogLines: 100_000,
  maxLogLineBytes: 65_536,
};

/** A function's overrides, clamped to the operator's maximum. */
export function effectiveLimits(
  defaults: TaskLimits,
  maximum: TaskLimits,
  overrides: Partial<Pick<TaskLimits, "timeoutMs" | "memoryMb">> | undefined,
): TaskLimits {
  const pick = (k: keyof TaskLimits) => Math.min(overrides?.[k as "timeoutMs"] ?? defaults[k], maximum[k]);
  return {
    timeoutMs: pick("timeoutMs"),
    memoryMb: pick("memoryMb"),
    maxOutputBytes: Math.min(defaults.maxOutputBytes, maximum.maxOutputBytes),
    maxLogLines: Math.min(defaults.maxLogLines, maximum.maxLogLines),
    maxLogLineBytes: Math.min(defaults.maxLogLineBytes, maximum.maxLogLineBytes),
  };
}
