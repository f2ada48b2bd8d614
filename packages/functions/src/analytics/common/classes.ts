// Class labels of supervised training data: any finite numbers (the last CSV column), kept as written.
import { FunctionError } from "../../types.js";

export const MAX_CLASSES = 1000;

/** The distinct labels in ascending order, and each row's index into them. */
export function encodeClasses(labels: Float64Array, source: string, maxClasses = MAX_CLASSES) {
  const distinct = [...new Set(labels)].sort((a, b) => a - b);
  if (distinct.length > maxClasses)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `input ${source} has ${distinct.length} distinct labels; the limit is ${maxClasses} classes`,
    );
  const index = new Map(distinct.map((c, i) => [c, i]));
  const y = Int32Array.from(labels, (l) => index.get(l)!);
  return { classes: Float64Array.from(distinct), y };
}
