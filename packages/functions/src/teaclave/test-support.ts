// Helpers for this folder's tests: where Teaclave's fixture files are, and running a function.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FunctionError } from "../types.js";

/** shared/fixtures/teaclave beside the repository (CI lays shared/ next to its clone). */
export function fixture(relative: string): Buffer {
  const base = process.env["MESATEE_SHARED_DIR"]
    ? `${process.env["MESATEE_SHARED_DIR"]}/fixtures/teaclave/`
    : fileURLToPath(new URL("../../../../../shared/fixtures/teaclave/", import.meta.url));
  return readFileSync(base + relative);
}

/** Asserts that `promise` rejects with a FunctionError of `code` whose message matches `pattern`. */
export async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof FunctionError)) throw new Error(`expected a FunctionError, got ${String(err)}`);
    if (err.code !== code) throw new Error(`expected code ${code}, got ${err.code}: ${err.message}`);
    if (!pattern.test(err.message))
      throw new Error(`message ${JSON.stringify(err.message)} does not match ${pattern}`);
    return;
  }
  throw new Error("expected the promise to reject");
}
