import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, verify } from "node:crypto";
import { createMemoryContext } from "../memory-context.js";
import { rsaSign } from "./rsa-sign.js";
import { rejectsWith } from "./test-support.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const der = privateKey.export({ format: "der", type: "pkcs1" });

test("builtin-rsa-sign produces a PKCS#1 v1.5 SHA-256 signature that verifies", async () => {
  const signature = await rsaSign.run(
    createMemoryContext({ args: { data: "test data" }, inputs: { rsa_key: der } }),
  );
  assert.match(signature, /^[A-Za-z0-9+/]+={0,2}$/);
  assert.equal(Buffer.from(signature, "base64").length, 256);
  assert.ok(verify("sha256", Buffer.from("test data"), publicKey, Buffer.from(signature, "base64")));
  assert.ok(!verify("sha256", Buffer.from("test datb"), publicKey, Buffer.from(signature, "base64")));
});

test("builtin-rsa-sign matches the signature pyca/cryptography computes with the same key", async () => {
  const signature = await rsaSign.run(
    createMemoryContext({ args: { data: "héllo wörld" }, inputs: { rsa_key: der } }),
  );
  const script = `
import sys, base64
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key = serialization.load_der_private_key(sys.stdin.buffer.read(), password=None)
print(base64.b64encode(key.sign("héllo wörld".encode(), padding.PKCS1v15(), hashes.SHA256())).decode())
`;
  const expected = execFileSync("/usr/bin/python3", ["-c", script], { input: der }).toString().trim();
  assert.equal(signature, expected);
});

test("builtin-rsa-sign refuses a key that is not PKCS#1 DER and keys below 2048 bits", async () => {
  const pkcs8 = privateKey.export({ format: "pem", type: "pkcs8" });
  await rejectsWith(
    rsaSign.run(createMemoryContext({ args: { data: "x" }, inputs: { rsa_key: pkcs8 } })),
    "INVALID_INPUT",
    /not a DER-encoded PKCS#1/,
  );
  const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey.export({
    format: "der",
    type: "pkcs1",
  });
  await rejectsWith(
    rsaSign.run(createMemoryContext({ args: { data: "x" }, inputs: { rsa_key: small } })),
    "INVALID_INPUT",
    /2048 to 4096 bits, got 1024/,
  );
  await rejectsWith(
    rsaSign.run(createMemoryContext({ inputs: { rsa_key: der } })),
    "INVALID_ARGUMENT",
    /missing argument "data"/,
  );
});
