// Helpers for the analytics tests (not exported from the package): fixtures, assertions on FunctionError,
// and running scikit-learn through Debian's Python as the reference implementation.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createMemoryContext, type MemoryContext } from "../memory-context.js";
import { FunctionError, type BuiltinFunction } from "../types.js";
import { SeededRandom } from "./common/random.js";

/** A file under shared/fixtures/teaclave beside the repository (CI lays shared/ next to its clone). */
export function teaclaveFixture(path: string): string {
  const shared = process.env["MESATEE_SHARED_DIR"];
  return shared
    ? `${shared}/fixtures/teaclave/${path}`
    : fileURLToPath(new URL(`../../../../../shared/fixtures/teaclave/${path}`, import.meta.url));
}

/** Asserts that `promise` fails with a FunctionError of `code` whose message matches `pattern`. */
export async function refused(
  promise: Promise<unknown>,
  code: string,
  pattern: RegExp,
): Promise<FunctionError> {
  const error = await promise.then(
    () => assert.fail("the function succeeded"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FunctionError, `expected a FunctionError, got ${String(error)}`);
  assert.equal(error.code, code);
  assert.match(error.message, pattern);
  return error;
}

/** Runs a function over in-memory files; returns the summary and the context (for outputs and logs). */
export async function runFunction(
  fn: BuiltinFunction,
  args: Record<string, unknown>,
  inputs: Record<string, Uint8Array | string>,
  outputs: string[],
): Promise<{ summary: string; ctx: MemoryContext }> {
  const ctx = createMemoryContext({ args, inputs, outputs });
  const summary = await fn.run(ctx);
  return { summary, ctx };
}

/**
 * Runs `script` with Debian's Python 3 (scikit-learn 1.2.1, numpy) and returns the JSON it prints. The
 * script finds its input, passed as JSON, in `data`.
 */
export function python(script: string, input: unknown): unknown {
  const result = spawnSync(
    "/usr/bin/python3",
    ["-c", `import sys, json\ndata = json.load(sys.stdin)\n${script}`],
    {
      input: JSON.stringify(input),
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`python failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout) as unknown;
}

/** Formats rows as the catalogue's CSV. */
export function csv(rows: ArrayLike<ArrayLike<number>>): string {
  return Array.from(rows, (r) => Array.from(r).join(",")).join("\n") + "\n";
}

/** Parses a result file: one number per line. */
export function column(text: string): number[] {
  return text.trimEnd().split("\n").map(Number);
}

/** Normally distributed points around `centers` (one array per center), `perCluster` each, with their truth. */
export function blobs(
  seed: number,
  centers: number[][],
  perCluster: number,
  std: number,
): { rows: number[][]; truth: number[] } {
  const random = new SeededRandom(seed);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const rows: number[][] = [];
  const truth: number[] = [];
  for (let i = 0; i < perCluster; i++)
    centers.forEach((c, label) => {
      rows.push(c.map((v) => v + std * normal()));
      truth.push(label);
    });
  return { rows, truth };
}

/** The share of positions where `labels` equal `truth` after the best renumbering of `labels`. */
export function agreement(labels: number[], truth: number[]): number {
  const ids = [...new Set(labels)];
  const classes = [...new Set(truth)];
  let best = 0;
  const permute = (used: Set<number>, mapping: Map<number, number>) => {
    if (mapping.size === ids.length || mapping.size === classes.length) {
      let hits = 0;
      labels.forEach((l, i) => mapping.get(l) === truth[i] && hits++);
      best = Math.max(best, hits);
      return;
    }
    const id = ids[mapping.size]!;
    for (const c of classes) {
      if (used.has(c)) continue;
      used.add(c);
      mapping.set(id, c);
      permute(used, mapping);
      mapping.delete(id);
      used.delete(c);
    }
  };
  permute(new Set(), new Map());
  return best / labels.length;
}
