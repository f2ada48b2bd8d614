// builtin-psi: private set intersection of two parties' identifiers. Each party learns, for each of its
// own identifiers, whether the other party has it too — and nothing else about the other's list.
//
// Inside the enclave both lists are turned into 256-bit keys (SHA-256 of each line, or identifiers the
// owners hashed themselves), sorted with a radix sort, and merged by `markCommon`.
//
// Side channels — what is and is not data-independent:
// - The merge (merge.ts) has data-independent control flow: exactly na + nb iterations, full-width
//   comparisons, and the compare results feed only arithmetic selection, never a branch. The same holds
//   for counting the common items. This removes branch-based leaks (branch predictor, timing of taken
//   branches) of the comparison outcomes.
// - Not data-independent: the memory addresses the merge touches (its position in each list depends on
//   the keys), the radix sort (buckets and scatter targets depend on key bits, and shared prefixes cause
//   extra passes), the final scatter of flags through the sort permutation, the order check of
//   `sorted: true` (it stops at the first descent), and parsing and hashing (their time depends on line
//   lengths). An attacker who can observe memory access patterns at cache-line or
//   page granularity learns partial information about the hashes; with a small, guessable identifier space
//   that can reveal identifiers. A fully oblivious variant would need an oblivious sort (e.g. bitonic,
//   O(n log² n)) and oblivious scatter.
// - JavaScript gives no constant-time guarantee: the JIT may compile selection code differently. The
//   sizes of both lists and the number of common items (in the summary) are not hidden.
import { FunctionError, type BuiltinFunction, type FunctionContext } from "../../types.js";
import { ArgReader } from "../common/args.js";
import { throwIfCancelled } from "../common/cancel.js";
import { checkFiles } from "../common/estimator.js";
import { IDENTIFIER_FORMATS, readIdentifiers, type Identifiers } from "./identifiers.js";
import { countDistinctMarked, markCommon } from "./merge.js";
import { firstDescent, sortKeysInPlace } from "./radix-sort.js";

export const PSI_INPUTS = ["input_data1", "input_data2"] as const;
export const PSI_OUTPUTS = ["output_data1", "output_data2"] as const;
const RESULT_FORMATS = ["flags", "items"] as const;

export interface PsiLimits {
  /** Most identifiers per party. */
  readonly maxItems: number;
  /** Largest input file read, in bytes. */
  readonly maxInputBytes: number;
}

export const DEFAULT_PSI_LIMITS: PsiLimits = { maxItems: 4 * 1024 * 1024, maxInputBytes: 512 * 1024 * 1024 };

interface Party {
  readonly ids: Identifiers;
  readonly input: Uint8Array;
  /** The permutation from sorted position to input position (none when the input was already sorted). */
  readonly perm: Uint32Array | undefined;
}

export function createPsiFunction(limits: PsiLimits = DEFAULT_PSI_LIMITS): BuiltinFunction {
  return { name: "builtin-psi", run: (ctx) => runPsi(ctx, limits) };
}

async function runPsi(ctx: FunctionContext, limits: PsiLimits): Promise<string> {
  const args = new ArgReader(ctx.args);
  const format = args.choice("identifier_format", IDENTIFIER_FORMATS, "text");
  const presorted = args.boolean("sorted", false);
  const resultFormat = args.choice("result_format", RESULT_FORMATS, "flags");
  args.finish();
  if (presorted && format === "text")
    throw new FunctionError(
      "INVALID_ARGUMENT",
      "argument sorted applies to identifier_format hex or binary (text lines are hashed, then sorted)",
    );
  checkFiles(ctx, "builtin-psi", { inputs: [...PSI_INPUTS], outputs: [...PSI_OUTPUTS] });

  const parties: Party[] = [];
  for (const name of PSI_INPUTS) {
    const input = await ctx.readInput(name, limits.maxInputBytes);
    const ids = readIdentifiers(input, name, format, limits.maxItems);
    throwIfCancelled(ctx.signal);
    parties.push(presorted ? checkedSorted(ids, input, name, format) : sortParty(ids, input));
    throwIfCancelled(ctx.signal);
  }
  const [one, two] = parties as [Party, Party];
  const marksOne = new Uint8Array(one.ids.count);
  const marksTwo = new Uint8Array(two.ids.count);
  markCommon(one.ids.keys, one.ids.count, two.ids.keys, two.ids.count, marksOne);
  markCommon(two.ids.keys, two.ids.count, one.ids.keys, one.ids.count, marksTwo);
  const common = countDistinctMarked(one.ids.keys, one.ids.count, marksOne);

  for (const [k, party] of parties.entries()) {
    const marks = k === 0 ? marksOne : marksTwo;
    const flags = inInputOrder(marks, party.perm);
    const output = resultFormat === "flags" ? flagText(flags) : commonItems(party, flags);
    await ctx.writeOutput(PSI_OUTPUTS[k]!, output);
  }
  return `${common} common items`;
}

function sortParty(ids: Identifiers, input: Uint8Array): Party {
  return { ids, input, perm: sortKeysInPlace(ids.keys, ids.count) };
}

function checkedSorted(ids: Identifiers, input: Uint8Array, source: string, format: string): Party {
  const at = firstDescent(ids.keys, ids.count);
  if (at >= 0)
    throw new FunctionError(
      "INVALID_INPUT",
      `input ${source} ${format === "binary" ? "identifier" : "line"} ${at + 1} is smaller than the one ` +
        "before it, but argument sorted says the identifiers ascend",
    );
  return { ids, input, perm: undefined };
}

/** Marks in sorted order → one 0/1 per identifier in the order of the party's input. */
function inInputOrder(marks: Uint8Array, perm: Uint32Array | undefined): Uint8Array {
  if (!perm) return marks;
  const flags = new Uint8Array(marks.length);
  for (let k = 0; k < marks.length; k++) flags[perm[k]!] = marks[k]!;
  return flags;
}

/** One character "0" or "1" per identifier, no separators (Teaclave's ordered-set-intersect output). */
function flagText(flags: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(flags.length);
  for (let i = 0; i < flags.length; i++) out[i] = 48 + flags[i]!;
  return out;
}

/** The party's own common identifiers, one per line, in input order (as written; binary as hex). */
function commonItems(party: Party, flags: Uint8Array): Buffer {
  const { ids, input } = party;
  const parts: Uint8Array[] = [];
  const newline = Buffer.from("\n");
  for (let i = 0; i < ids.count; i++) {
    if (flags[i] !== 1) continue;
    parts.push(
      ids.starts && ids.ends
        ? input.subarray(ids.starts[i]!, ids.ends[i]!)
        : Buffer.from(Buffer.from(input.buffer, input.byteOffset + i * 32, 32).toString("hex")),
      newline,
    );
  }
  return Buffer.concat(parts);
}
