import { test } from "node:test";
import assert from "node:assert/strict";
import { parseF32, parseNumericCsv, splitLines } from "./text.js";
import { parseCsv, formatCsvRecord } from "./csv.js";
import { rejectsWith } from "./test-support.js";

test("lines split as Rust's BufRead::lines: CRLF accepted, no empty line after a final newline", () => {
  assert.deepEqual(splitLines("a\r\nb\n"), ["a", "b"]);
  assert.deepEqual(splitLines("a\n\nb"), ["a", "", "b"]);
  assert.deepEqual(splitLines(""), []);
});

test("f32 parsing rounds the decimal literal itself, not its double, to the nearest float", () => {
  // 1 + 2^-24 is the midpoint between 1 and the next float; doubles cannot hold the excess below.
  assert.equal(parseF32("1.000000059604644775390625", "t"), 1); // exact tie: to even
  assert.equal(parseF32("1.0000000596046447753906250001", "t"), 1.0000001192092896); // above: up
  assert.equal(parseF32("1.0000000596046447753906249999", "t"), 1); // below: down
  assert.equal(parseF32("-1.0000000596046447753906250001", "t"), -1.0000001192092896);
  assert.equal(parseF32("0.1", "t"), Math.fround(0.1));
  assert.equal(parseF32("3.4028235e38", "t"), 3.4028234663852886e38);
  assert.throws(() => parseF32("1e39", "t"), /out of f32 range/);
});

test("numeric CSV refuses NaN, infinities, hex and empty fields, naming line and column", async () => {
  for (const bad of ["NaN", "inf", "0x10", "", "1,5"]) {
    await rejectsWith(
      Promise.resolve().then(() => parseNumericCsv(`1,2\n3,${bad}\n`, "in", 2)),
      "INVALID_INPUT",
      /in line 2/,
    );
  }
  assert.deepEqual([...parseNumericCsv(" 1 , 2.5e1 \n-3,.5\n", "in", 2).data], [1, 25, -3, 0.5]);
});

test("CSV quoting round-trips fields with commas, quotes and newlines", () => {
  const fields = ["a,b", 'say "hi"', "two\nlines", "plain"];
  const [record] = parseCsv(formatCsvRecord(fields), "in");
  assert.deepEqual(record?.fields, fields);
  assert.equal(formatCsvRecord([""]), '""\n');
  assert.throws(() => parseCsv('"open', "in"), /unterminated quoted field/);
});
