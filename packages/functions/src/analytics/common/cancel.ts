// Long loops poll the task's signal so that a cancelled or timed-out task stops promptly.
import { FunctionError } from "../../types.js";

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new FunctionError("FAILED", "the task was cancelled");
}
