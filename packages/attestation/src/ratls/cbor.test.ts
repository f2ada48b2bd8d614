import { test } from "node:test";
import assert from "node:assert/strict";
import { CborMap, CborTag, decodeCbor, encodeCbor } from "./cbor.js";
import { isRaTlsError } from "./errors.js";
import { decodeClaims, encodeClaims } from "./claims.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

test("integers, strings and tags use the shortest encoding (RFC 8949 §4.2.1)", () => {
  const vectors: [unknown, string][] = [
    [0, "00"],
    [23, "17"],
    [24, "1818"],
    [255, "18ff"],
    [256, "190100"],
    [65536, "1a00010000"],
    [2 ** 32, "1b0000000100000000"],
    [-1, "20"],
    [-25, "3818"],
    ["a", "6161"],
    [Buffer.from([1, 2]), "420102"],
    [[1, [2]], "82018102"],
    [new CborTag(60000, []), "d9ea6080"],
    [true, "f5"],
    [null, "f6"],
  ];
  for (const [value, expected] of vectors) {
    assert.equal(encodeCbor(value as never).toString("hex"), expected, String(value));
    const back = decodeCbor(hex(expected));
    if (value instanceof CborTag) assert.equal((back as CborTag).tag, 60000);
    else if (value instanceof Uint8Array) assert.deepEqual(Buffer.from(back as Uint8Array), value);
    else assert.deepEqual(back, value);
  }
});

test("map keys are sorted by their encoded bytes, whatever order they are given in", () => {
  const a = encodeCbor(
    new CborMap([
      ["pubkey-hash", 1],
      ["tee", 2],
      ["nonce", 3],
    ]),
  );
  const b = encodeCbor(
    new CborMap([
      ["nonce", 3],
      ["pubkey-hash", 1],
      ["tee", 2],
    ]),
  );
  assert.deepEqual(a, b);
  assert.equal(a.toString("hex").slice(0, 10), "a363746565");
  assert.throws(() =>
    encodeCbor(
      new CborMap([
        ["x", 1],
        ["x", 2],
      ]),
    ),
  );
});

test("claims with only pubkey-hash encode byte-exactly like Gramine's: a1 6b 'pubkey-hash' 58 24 82 01 58 20 …", () => {
  const digest = Buffer.alloc(32, 0x11);
  const bytes = encodeCbor(new CborMap([["pubkey-hash", encodeCbor([1, digest])]]));
  assert.equal(
    bytes.toString("hex"),
    "a16b" +
      Buffer.from("pubkey-hash").toString("hex") +
      "5824820158 20".replace(" ", "") +
      digest.toString("hex"),
  );
});

test("the decoder refuses non-canonical, indefinite, truncated, trailing, duplicated and overly deep input", () => {
  const bad = [
    "1817", // 23 in two bytes
    "190001", // 1 in three bytes
    "5f4101ff", // indefinite byte string
    "9f01ff", // indefinite array
    "43 0102", // truncated byte string
    "0000", // trailing byte
    "a2 6161 01 6161 02", // duplicate key
    "81818181818181818181 00", // too deep
    "fb 3ff0000000000000", // floats are not used
    "62 c328", // invalid UTF-8
    "9a ffffffff", // absurd length
  ];
  for (const input of bad) {
    assert.throws(
      () => decodeCbor(hex(input)),
      (e) => isRaTlsError(e, "EVIDENCE_MALFORMED"),
      input,
    );
  }
});

test("claims round-trip, and claims without a service, with a bad digest length or an unknown hash are refused", () => {
  const claims = {
    pubkeyHash: { alg: 1, digest: Buffer.alloc(32, 9) },
    service: "frontend",
    tee: "sgx" as const,
    nonce: Buffer.from([1]),
  };
  const decoded = decodeClaims(encodeClaims(claims));
  assert.equal(decoded.service, "frontend");
  assert.equal(decoded.tee, "sgx");
  assert.deepEqual(Buffer.from(decoded.pubkeyHash.digest), claims.pubkeyHash.digest);
  const bad = [
    new CborMap([
      ["pubkey-hash", encodeCbor([1, Buffer.alloc(32)])],
      ["tee", "sgx"],
    ]),
    new CborMap([
      ["pubkey-hash", encodeCbor([1, Buffer.alloc(31)])],
      ["service", "a"],
      ["tee", "sgx"],
    ]),
    new CborMap([
      ["pubkey-hash", encodeCbor([99, Buffer.alloc(32)])],
      ["service", "a"],
      ["tee", "sgx"],
    ]),
    new CborMap([
      ["pubkey-hash", encodeCbor([1, Buffer.alloc(32)])],
      ["service", "a"],
      ["tee", "sgx-gramine"],
    ]),
    new CborMap([
      ["pubkey-hash", [1, Buffer.alloc(32)]],
      ["service", "a"],
      ["tee", "sgx"],
    ]),
  ];
  for (const map of bad)
    assert.throws(
      () => decodeClaims(encodeCbor(map)),
      (e) => isRaTlsError(e, "EVIDENCE_MALFORMED"),
    );
});
