import { test } from "node:test";
import assert from "node:assert/strict";
import { FunctionError } from "../../types.js";
import { SeededRandom } from "../common/random.js";
import { parseNumericCsv } from "./csv.js";

const parse = (text: string, limits?: { maxRows: number; maxColumns: number; maxCells: number }) =>
  parseNumericCsv(Buffer.from(text), "training_data", limits ? { limits } : {});

function refusedWith(text: string, code: string, message: RegExp, limits?: Parameters<typeof parse>[1]) {
  assert.throws(
    () => parse(text, limits),
    (e: unknown) => e instanceof FunctionError && e.code === code && message.test(e.message),
  );
}

test("every number is read exactly as JavaScript's Number() rounds it", () => {
  const random = new SeededRandom(9);
  const samples: string[] = [
    "0",
    "-0",
    "007",
    ".5",
    "5.",
    "+3.25",
    "1e308",
    "4.9e-324",
    "1e-320",
    "123456789012345678901234567890",
  ];
  for (let i = 0; i < 3000; i++) {
    const x = (random.next() - 0.5) * 10 ** (random.below(40) - 20);
    samples.push(
      String(x),
      x.toExponential(random.below(20)),
      x.toFixed(random.below(12)),
      x.toPrecision(1 + random.below(20)),
    );
    samples.push(String(random.uint32()), `${random.uint32()}.${random.uint32()}e${random.below(60) - 30}`);
  }
  const table = parse(samples.map((s, i) => (i % 2 === 0 ? ` ${s}\t` : s)).join("\n"));
  assert.equal(table.cols, 1);
  samples.forEach((s, i) => assert.ok(Object.is(table.data[i], Number(s)), `${s} read as ${table.data[i]}`));
});

test("CRLF line ends, a byte order mark and one final newline are accepted", () => {
  const table = parse("\ufeff1,2,3\r\n4, 5 ,6\r\n");
  assert.deepEqual(
    { rows: table.rows, cols: table.cols, data: [...table.data] },
    { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] },
  );
});

test("anything but a decimal number is refused with its line and field, never its content", () => {
  for (const field of [
    "nan",
    "NaN",
    "inf",
    "Infinity",
    "0x10",
    "1e",
    "e5",
    "+",
    "-",
    "",
    " ",
    "1.2.3",
    "1e999",
    "٣",
    "1_000",
    "--1",
  ])
    refusedWith(
      `1,2\n3,${field}\n`,
      "INVALID_INPUT",
      /^input training_data line 2 field 2 is not a decimal number$/,
    );
  assert.throws(
    () => parse("1,2\nsecret-value,2\n"),
    (e: unknown) => e instanceof FunctionError && !e.message.includes("secret"),
  );
});

test("ragged lines, blank lines and empty input are refused, naming the line", () => {
  refusedWith(
    "1,2\n3,4,5\n",
    "INVALID_INPUT",
    /^input training_data line 2: expected 2 fields like line 1, found 3$/,
  );
  refusedWith(
    "1,2\n3,4\n5\n",
    "INVALID_INPUT",
    /^input training_data line 3: expected 2 fields like line 1, found 1$/,
  );
  refusedWith("1,2\n3,4,\n", "INVALID_INPUT", /line 2: expected 2 fields like line 1, found 3$/);
  refusedWith("1,2\n\n3,4\n", "INVALID_INPUT", /^input training_data line 2 is blank$/);
  refusedWith("1,2\n3,4\n\n", "INVALID_INPUT", /^input training_data line 3 is blank$/);
  refusedWith("", "INVALID_INPUT", /^input training_data is empty$/);
  refusedWith("\n", "INVALID_INPUT", /^input training_data is empty$/);
});

test("rows, columns and cells are limited before the table is allocated", () => {
  const limits = { maxRows: 3, maxColumns: 4, maxCells: 10 };
  refusedWith("1\n2\n3\n4\n", "LIMIT_EXCEEDED", /has 4 lines; the limit is 3 records/, limits);
  refusedWith("1,2,3,4,5\n", "LIMIT_EXCEEDED", /line 1 has 5 fields; the limit is 4 columns/, limits);
  refusedWith("1,2,3,4\n1,2,3,4\n1,2,3,4\n", "LIMIT_EXCEEDED", /has 3 × 4 numbers; the limit is 10/, limits);
  assert.equal(parse("1,2,3\n4,5,6\n7,8,9\n", limits).rows, 3);
});
