// builtin-private-join-and-compute (§6.7): each of `num_user` parties supplies `identity : amount`
// lines; every party receives the identities present in all inputs with the sum of their amounts.
// Fixes over Teaclave (§11, mesatee-2019 §4.3): output sorted by identity (Teaclave used HashMap
// order), sums in BigInt (Teaclave's u32 sums overflowed), and malformed lines refused by line number
// instead of silently skipped.
import { FunctionError, type BuiltinFunction } from "../types.js";
import { argInt } from "./args.js";
import { lineError, readText, splitLines } from "./text.js";

/** Default limit on parties; Teaclave's demo requires at least two. */
export const PJC_MAX_USERS = 1000;
/** An amount has at most this many decimal digits (sums are exact BigInts whatever the count). */
const MAX_AMOUNT_DIGITS = 30;

function parseParty(text: string, input: string): Map<string, bigint> {
  const amounts = new Map<string, bigint>();
  const firstLine = new Map<string, number>();
  splitLines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    const parts = line.split(":");
    if (parts.length !== 2) throw lineError(input, i + 1, "expected `identity : amount`");
    const identity = (parts[0] as string).trim();
    const amount = (parts[1] as string).trim();
    if (identity === "") throw lineError(input, i + 1, "empty identity");
    if (!/^\d+$/.test(amount) || amount.length > MAX_AMOUNT_DIGITS)
      throw lineError(
        input,
        i + 1,
        `amount ${JSON.stringify(amount.slice(0, 40))} is not a non-negative integer`,
      );
    const seen = firstLine.get(identity);
    if (seen !== undefined) throw lineError(input, i + 1, `identity repeats line ${seen}`);
    firstLine.set(identity, i + 1);
    amounts.set(identity, BigInt(amount));
  });
  return amounts;
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

export const privateJoinAndCompute: BuiltinFunction = {
  name: "builtin-private-join-and-compute",
  async run(ctx) {
    const numUser = argInt(ctx.args, "num_user", { max: PJC_MAX_USERS });
    if (numUser < 2) throw new FunctionError("INVALID_ARGUMENT", "The demo requires at least two parties!");
    let common: Map<string, bigint> | undefined;
    for (let i = 0; i < numUser; i++) {
      const name = `input_data${i}`;
      const party = parseParty(await readText(ctx, name), name);
      if (common === undefined) {
        common = party;
        continue;
      }
      const next = new Map<string, bigint>();
      for (const [identity, sum] of common) {
        const amount = party.get(identity);
        if (amount !== undefined) next.set(identity, sum + amount);
      }
      common = next;
    }
    const lines = [...(common ?? new Map<string, bigint>())]
      .sort(([a], [b]) => byteOrder(a, b))
      .map(([identity, sum]) => `${identity}, ${sum}\n`)
      .join("");
    for (let i = 0; i < numUser; i++) await ctx.writeOutput(`output_data${i}`, lines);
    return `${numUser} users join the task in total.`;
  },
};
