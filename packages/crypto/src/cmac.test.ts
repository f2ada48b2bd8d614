import { test } from "node:test";
import assert from "node:assert/strict";
import { aesCmac } from "./cmac.js";
import { CryptoError } from "./errors.js";
import { hex, pattern } from "./test-support.js";

const MESSAGE = hex(
  "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
);

// RFC 4493 §4 (AES-128) and NIST SP 800-38B appendix D (AES-192, AES-256).
const VECTORS: Array<[key: string, length: number, tag: string]> = [
  ["2b7e151628aed2a6abf7158809cf4f3c", 0, "bb1d6929e95937287fa37d129b756746"],
  ["2b7e151628aed2a6abf7158809cf4f3c", 16, "070a16b46b4d4144f79bdd9dd04a287c"],
  ["2b7e151628aed2a6abf7158809cf4f3c", 40, "dfa66747de9ae63030ca32611497c827"],
  ["2b7e151628aed2a6abf7158809cf4f3c", 64, "51f0bebf7e3b9d92fc49741779363cfe"],
  ["8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", 0, "d17ddf46adaacde531cac483de7a9367"],
  ["8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b", 40, "8a1de5be2eb31aad089a82e6ee908b0e"],
  ["603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4", 0, "028962f61b7bf89efc6b551f4667d983"],
  [
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    16,
    "28a7023f452e8f82bd4bf28d8c37c35c",
  ],
  [
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    40,
    "aaf3d8f1de5640c232f5b169b9c911e6",
  ],
  [
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
    64,
    "e1992190549f6ed5696a2c056c315410",
  ],
];

test("AES-CMAC matches the RFC 4493 and SP 800-38B vectors", () => {
  for (const [key, length, tag] of VECTORS) {
    assert.equal(
      Buffer.from(aesCmac(hex(key), MESSAGE.subarray(0, length))).toString("hex"),
      tag,
      `${key} / ${length}`,
    );
  }
});

// Cross-checked with the Python `cryptography` package's CMAC: key 00..0f, byte i = (7i + 3) mod 256.
// Lengths straddle the block size and the 64 KiB slice used for long messages.
const CROSS_CHECKED: Array<[length: number, tag: string]> = [
  [1, "106f7acfc5ebf3c53a75abe4fff408f6"],
  [15, "c35c16a5205cf246fe1602305c2780a4"],
  [17, "d3d9de226055b66080131cee03f22484"],
  [31, "cf1866a5fa3fbd5270db317ab8241c31"],
  [33, "f3eb87f69a6e6aa263524fcf128b0102"],
  [100, "af486c061224d168dfa6891b434aee40"],
  [1000, "7a05b3f743cae30a309b60d33f3f7702"],
  [70000, "2e881a4b2d380b200b5f89f3db5055d1"],
  [131073, "4f4ec7f654ce5a425c82b7e70cfd0ddc"],
];

test("AES-CMAC of partial and multi-slice messages matches an independent implementation", () => {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  for (const [length, tag] of CROSS_CHECKED) {
    const data = Uint8Array.from({ length }, (_, i) => (i * 7 + 3) & 0xff);
    assert.equal(Buffer.from(aesCmac(key, data)).toString("hex"), tag, `length ${length}`);
  }
});

test("AES-CMAC changes when any message bit changes", () => {
  const key = pattern(16, 9);
  const data = pattern(100, 3);
  const reference = aesCmac(key, data);
  for (const index of [0, 15, 16, 63, 99]) {
    const changed = new Uint8Array(data);
    changed[index]! ^= 1;
    assert.notDeepEqual(aesCmac(key, changed), reference);
  }
});

test("AES-CMAC refuses keys that are not 16, 24 or 32 bytes", () => {
  for (const length of [0, 15, 17, 31, 33]) {
    assert.throws(
      () => aesCmac(new Uint8Array(length), new Uint8Array(1)),
      (error: unknown) => {
        return error instanceof CryptoError && error.code === "INVALID_KEY";
      },
    );
  }
});
