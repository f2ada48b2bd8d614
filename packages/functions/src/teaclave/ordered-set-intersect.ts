// builtin-ordered-set-intersect (§6.8): two parties' sorted lists of hex strings; each party learns,
// per line of its own list, whether that item is in the other list. Teaclave's "desending" typo is
// accepted beside "descending" (§11).
import { FunctionError, type BuiltinFunction } from "../types.js";
import { argString } from "./args.js";
import { lineError, readText, splitLines } from "./text.js";

const ORDERS: Record<string, boolean> = { ascending: true, descending: false, desending: false };

function parseSorted(text: string, input: string, ascending: boolean): Buffer[] {
  const items: Buffer[] = [];
  splitLines(text).forEach((line, i) => {
    if (line.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(line))
      throw lineError(input, i + 1, "not a hex string");
    const item = Buffer.from(line, "hex");
    const previous = items[items.length - 1];
    if (previous) {
      const cmp = Buffer.compare(item, previous);
      if (ascending ? cmp < 0 : cmp > 0)
        throw lineError(
          input,
          i + 1,
          `Invalid ordering: the set is not sorted in ${ascending ? "ascending" : "descending"} order`,
        );
    }
    items.push(item);
  });
  return items;
}

/** Marks, for each list, which of its items also occur in the other (merge of two sorted lists). */
export function intersectSorted(a: Buffer[], b: Buffer[], ascending: boolean): [Uint8Array, Uint8Array] {
  const inA = new Uint8Array(a.length);
  const inB = new Uint8Array(b.length);
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const cmp = Buffer.compare(a[i] as Buffer, b[j] as Buffer);
    if (cmp === 0) {
      inA[i++] = 1;
      inB[j++] = 1;
    } else if (cmp < 0 === ascending) i++;
    else j++;
  }
  return [inA, inB];
}

export const orderedSetIntersect: BuiltinFunction = {
  name: "builtin-ordered-set-intersect",
  async run(ctx) {
    const order = argString(ctx.args, "order");
    const ascending = ORDERS[order];
    if (ascending === undefined)
      throw new FunctionError(
        "INVALID_ARGUMENT",
        `Invalid order: ${JSON.stringify(order.slice(0, 40))} (expected ascending or descending)`,
      );
    const a = parseSorted(await readText(ctx, "input_data1"), "input_data1", ascending);
    const b = parseSorted(await readText(ctx, "input_data2"), "input_data2", ascending);
    const [inA, inB] = intersectSorted(a, b, ascending);
    await ctx.writeOutput("output_result1", inA.join(""));
    await ctx.writeOutput("output_result2", inB.join(""));
    const common = inA.reduce((n, x) => n + x, 0);
    return `${common} common items`;
  },
};
