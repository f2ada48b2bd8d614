import { test } from "node:test";
import assert from "node:assert/strict";
import { FILE_SCHEMAS, generateFileCrypto, validateFileCrypto } from "./schema.js";
import { CryptoError, type CryptoErrorCode } from "./errors.js";
import { fromHex } from "./bytes.js";

function code(run: () => unknown): CryptoErrorCode | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    assert.ok(error instanceof CryptoError, String(error));
    return error.code;
  }
}

const bytes = (n: number): Uint8Array => new Uint8Array(n);

test("each schema accepts exactly its key and IV lengths", () => {
  const accepted: Array<[string, number, number]> = [
    ["aes-gcm-128", 16, 12],
    ["aes-gcm-256", 32, 12],
    ["teaclave-file-128", 16, 0],
    ["raw", 0, 0],
    ["mesatee-stream-v1", 16, 0],
    ["mesatee-stream-v1", 32, 12],
  ];
  for (const [schema, key, iv] of accepted) {
    assert.equal(
      code(() => validateFileCrypto({ schema, key: bytes(key), iv: bytes(iv) })),
      undefined,
      schema,
    );
  }
  const refused: Array<[string, number, number, CryptoErrorCode]> = [
    ["aes-gcm-128", 32, 12, "INVALID_KEY"],
    ["aes-gcm-128", 16, 16, "INVALID_IV"],
    ["aes-gcm-128", 16, 0, "INVALID_IV"],
    ["aes-gcm-256", 16, 12, "INVALID_KEY"],
    ["teaclave-file-128", 16, 12, "INVALID_IV"],
    ["teaclave-file-128", 32, 0, "INVALID_KEY"],
    ["raw", 16, 0, "INVALID_KEY"],
    ["mesatee-stream-v1", 24, 0, "INVALID_KEY"],
    ["mesatee-stream-v1", 16, 8, "INVALID_IV"],
    ["aes-gcm-512", 16, 12, "UNSUPPORTED_SCHEMA"],
  ];
  for (const [schema, key, iv, expected] of refused) {
    assert.equal(
      code(() => validateFileCrypto({ schema, key: bytes(key), iv: bytes(iv) })),
      expected,
      `${schema} ${key} ${iv}`,
    );
  }
});

test("a descriptor that is not bytes is refused with a typed error", () => {
  assert.equal(
    code(() => validateFileCrypto(null)),
    "INVALID_ARGUMENT",
  );
  assert.equal(
    code(() => validateFileCrypto({ schema: "aes-gcm-128", key: "00".repeat(16), iv: bytes(12) })),
    "INVALID_KEY",
  );
  assert.equal(
    code(() => validateFileCrypto({ schema: "aes-gcm-128", key: bytes(16), iv: [1, 2] })),
    "INVALID_IV",
  );
  assert.equal(
    code(() => validateFileCrypto({ schema: 7, key: bytes(16), iv: bytes(12) })),
    "UNSUPPORTED_SCHEMA",
  );
});

test("validateFileCrypto copies the key so later changes to the caller's buffer do not leak in", () => {
  const key = bytes(16);
  const checked = validateFileCrypto({ schema: "aes-gcm-128", key, iv: bytes(12) });
  key[0] = 1;
  assert.equal(checked.key[0], 0);
});

test("generated descriptors are valid and random", () => {
  for (const schema of FILE_SCHEMAS) {
    const a = validateFileCrypto(generateFileCrypto(schema));
    const b = generateFileCrypto(schema);
    if (a.key.byteLength > 0) assert.notDeepEqual(a.key, b.key);
  }
});

test("hex parsing refuses odd lengths and non-hex without echoing the value", () => {
  assert.deepEqual(fromHex("00ff"), new Uint8Array([0, 255]));
  assert.deepEqual(fromHex("0xAB"), new Uint8Array([0xab]));
  for (const bad of ["0", "zz", "00 11", "secretkeyvalue!"]) {
    assert.throws(
      () => fromHex(bad, "key", "INVALID_KEY"),
      (error: unknown) =>
        error instanceof CryptoError && error.code === "INVALID_KEY" && !error.message.includes(bad),
    );
  }
});
