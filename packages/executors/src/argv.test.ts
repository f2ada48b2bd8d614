import assert from "node:assert/strict";
import { test } from "node:test";
import { flatArgv } from "./argv.js";

test("argv is flat and sorted by key, as serde_json's BTreeMap orders it", () => {
  assert.deepEqual(flatArgv({ b: "2", a: "1", c: "3" }), ["a", "1", "b", "2", "c", "3"]);
});

test("keys sort by UTF-8 bytes, not UTF-16 code units", () => {
  // U+FF5E (3 UTF-8 bytes, EF BD 9E) sorts after U+1F600 (F0 9F 98 80) by UTF-16 units, before it by bytes.
  assert.deepEqual(flatArgv({ "\u{1F600}": "emoji", "\uFF5E": "tilde", Z: "z" }), [
    "Z",
    "z",
    "\uFF5E",
    "tilde",
    "\u{1F600}",
    "emoji",
  ]);
});

test("string values are verbatim; other JSON values are their JSON text", () => {
  assert.deepEqual(
    flatArgv({ s: 'a "quoted" value', n: 3, f: 1.5, t: true, l: [1, "x"], o: { k: null }, z: null }),
    [
      "f",
      "1.5",
      "l",
      '[1,"x"]',
      "n",
      "3",
      "o",
      '{"k":null}',
      "s",
      'a "quoted" value',
      "t",
      "true",
      "z",
      "null",
    ],
  );
});
