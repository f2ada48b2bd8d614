import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { AttestationError } from "../errors.js";
import { parseEnclaveInfo, verifyEnclaveInfo } from "./enclave-info.js";

// enclave_info.toml as Teaclave's build writes it (cmake/scripts/gen_enclave_info_toml.py).
const toml = Buffer.from(
  [
    "[teaclave_authentication_service]",
    `mr_enclave = "${"1a".repeat(32)}"`,
    `mr_signer = "${"2b".repeat(32)}"`,
    "",
    "[teaclave_frontend_service]",
    `mr_enclave = "${"3C".repeat(32)}"`,
    `mr_signer = "${"2b".repeat(32)}"`,
    "",
  ].join("\n"),
);

// Teaclave's demo auditors use 4096-bit keys in "RSA PUBLIC KEY" (PKCS#1) PEM; 2048 keeps the test fast.
const auditors = [0, 1, 2].map(() => generateKeyPairSync("rsa", { modulusLength: 2048 }));
const pkcs1 = auditors.map((k) => k.publicKey.export({ type: "pkcs1", format: "pem" }) as string);
const opensslSign = (bytes: Buffer, i: number): Buffer => sign("sha256", bytes, auditors[i]!.privateKey); // openssl dgst -sha256 -sign

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof AttestationError && e.code === "POLICY_SIGNATURES" && message.test(e.message),
  );
}

test("enclave info signed by auditors verifies and yields the measurement table", () => {
  const info = verifyEnclaveInfo(toml, pkcs1, [opensslSign(toml, 0), opensslSign(toml, 2)]);
  assert.deepEqual(info.teaclave_frontend_service, { mrEnclave: "3c".repeat(32), mrSigner: "2b".repeat(32) });
  assert.equal(Object.keys(info).length, 2);
  assert.equal(
    verifyEnclaveInfo(toml, pkcs1, [opensslSign(toml, 0), opensslSign(toml, 1), opensslSign(toml, 2)], 3)
      .teaclave_authentication_service!.mrEnclave,
    "1a".repeat(32),
  );
});

test("zero signatures are refused (Teaclave accepted them)", () => {
  refused(() => verifyEnclaveInfo(toml, pkcs1, []), /no signature/);
});

test("one auditor's signature given twice is refused (Teaclave counted it twice)", () => {
  const s = opensslSign(toml, 1);
  refused(() => verifyEnclaveInfo(toml, pkcs1, [s, s], 2), /already signed/);
  refused(() => verifyEnclaveInfo(toml, pkcs1, [s, s]), /already signed/);
});

test("every signature must verify under an auditor key, and the threshold must be met", () => {
  const stranger = generateKeyPairSync("rsa", { modulusLength: 2048 });
  refused(
    () => verifyEnclaveInfo(toml, pkcs1, [opensslSign(toml, 0), sign("sha256", toml, stranger.privateKey)]),
    /signature 1 does not verify/,
  );
  refused(
    () => verifyEnclaveInfo(toml, pkcs1, [opensslSign(toml, 0)], 2),
    /1 distinct auditor signature\(s\), 2 required/,
  );
  refused(() => verifyEnclaveInfo(toml, pkcs1, [opensslSign(toml, 0)], 0), /at least 1/);
  refused(() => verifyEnclaveInfo(toml, pkcs1.slice(0, 1), [opensslSign(toml, 0)], 2), /exceeds/);
  const edited = Buffer.from(toml.toString().replace("1a1a", "1a1b"));
  refused(() => verifyEnclaveInfo(edited, pkcs1, [opensslSign(toml, 0)]), /does not verify/);
});

test("auditor keys must be RSA of 2048 to 8192 bits", () => {
  const small = generateKeyPairSync("rsa", { modulusLength: 1024 });
  refused(
    () =>
      verifyEnclaveInfo(
        toml,
        [small.publicKey.export({ type: "spki", format: "pem" }) as string],
        [sign("sha256", toml, small.privateKey)],
      ),
    /2048-8192/,
  );
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  refused(
    () =>
      verifyEnclaveInfo(
        toml,
        [ec.publicKey.export({ type: "spki", format: "pem" }) as string],
        [opensslSign(toml, 0)],
      ),
    /RSA/,
  );
});

test("malformed enclave info is POLICY_INVALID", () => {
  const bad = (text: string, message: RegExp): void =>
    assert.throws(
      () => parseEnclaveInfo(Buffer.from(text)),
      (e: unknown) => e instanceof AttestationError && e.code === "POLICY_INVALID" && message.test(e.message),
    );
  bad(`mr_enclave = "${"00".repeat(32)}"`, /outside a table/);
  bad(`[a]\nmr_enclave = "${"00".repeat(32)}"`, /needs mr_enclave and mr_signer/);
  bad(`[a]\nmr_enclave = "00"\nmr_signer = "00"`, /32 bytes/);
  bad(`[a]\nother = "${"00".repeat(32)}"`, /unknown key/);
  bad(`[a]\nmr_enclave = "${"00".repeat(32)}"\nmr_signer = "${"00".repeat(32)}"\n[a]`, /defined twice/);
  bad("# nothing\n", /no enclave/);
  bad("[a]\nmr_enclave = 5", /expected/);
});
