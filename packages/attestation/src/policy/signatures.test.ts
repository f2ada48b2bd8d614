import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { AttestationError } from "../errors.js";
import { keyFingerprint, signPolicy, verifySignedPolicy } from "./signatures.js";

const policy = Buffer.from(
  '{"version":1,"services":{"frontend":{"tee":"sgx","mrenclave":["' + "ab".repeat(32) + '"]}}}\n',
);
const ed = [0, 1, 2].map(() => generateKeyPairSync("ed25519"));
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pub = (k: { publicKey: { export(o: object): string | Buffer } }) =>
  k.publicKey.export({ type: "spki", format: "pem" }) as string;
const auditors = [...ed.map(pub), pub(ec)];

function refused(fn: () => unknown, message: RegExp): void {
  assert.throws(
    fn,
    (e: unknown) =>
      e instanceof AttestationError && e.code === "POLICY_SIGNATURES" && message.test(e.message),
  );
}

test("threshold signatures from distinct auditors (Ed25519 and ECDSA P-256) accept the exact bytes", () => {
  const sigs = [signPolicy(policy, ed[0]!.privateKey), signPolicy(policy, ec.privateKey)];
  const r = verifySignedPolicy(policy, sigs, auditors, 2);
  assert.deepEqual(r.signers, [keyFingerprint(ed[0]!.publicKey), keyFingerprint(ec.publicKey)]);
  // PEM private key text works too, and ECDSA signatures may be raw r‖s.
  const pem = ed[1]!.privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const raw = sign("sha256", policy, { key: ec.privateKey, dsaEncoding: "ieee-p1363" });
  assert.equal(verifySignedPolicy(policy, [signPolicy(policy, pem), raw], auditors, 2).signers.length, 2);
});

test("a policy with fewer valid signatures than the threshold is refused", () => {
  refused(
    () => verifySignedPolicy(policy, [signPolicy(policy, ed[0]!.privateKey)], auditors, 2),
    /1 distinct auditor signature\(s\), 2 required/,
  );
});

test("zero signatures are refused whatever the threshold", () => {
  refused(() => verifySignedPolicy(policy, [], auditors, 1), /no signature/);
});

test("the same auditor signing twice does not count twice", () => {
  const s = signPolicy(policy, ed[0]!.privateKey);
  refused(() => verifySignedPolicy(policy, [s, s], auditors, 2), /already signed/);
  // ECDSA signatures differ each time, but still come from one key.
  refused(
    () =>
      verifySignedPolicy(
        policy,
        [signPolicy(policy, ec.privateKey), signPolicy(policy, ec.privateKey)],
        auditors,
        2,
      ),
    /already signed/,
  );
  // Listing one auditor key twice does not make two auditors.
  refused(() => verifySignedPolicy(policy, [s], [auditors[0]!, auditors[0]!], 2), /exceeds the 1 distinct/);
});

test("signatures by keys that are not auditors are refused", () => {
  const stranger = generateKeyPairSync("ed25519");
  refused(
    () =>
      verifySignedPolicy(
        policy,
        [signPolicy(policy, ed[0]!.privateKey), signPolicy(policy, stranger.privateKey)],
        auditors,
        1,
      ),
    /signature 1 does not verify/,
  );
});

test("a signature over other bytes is refused", () => {
  const edited = Buffer.from(policy.toString().replace("frontend", "frontenD"));
  refused(
    () => verifySignedPolicy(edited, [signPolicy(policy, ed[0]!.privateKey)], auditors, 1),
    /does not verify/,
  );
  // Even a whitespace change: the signature covers the exact file bytes.
  refused(
    () =>
      verifySignedPolicy(
        Buffer.concat([policy, Buffer.from(" ")]),
        [signPolicy(policy, ed[0]!.privateKey)],
        auditors,
        1,
      ),
    /does not verify/,
  );
});

test("a threshold below one, fractional or above the number of auditors is refused", () => {
  const s = [signPolicy(policy, ed[0]!.privateKey)];
  refused(() => verifySignedPolicy(policy, s, auditors, 0), /at least 1/);
  refused(() => verifySignedPolicy(policy, s, auditors, -1), /at least 1/);
  refused(() => verifySignedPolicy(policy, s, auditors, 1.5), /at least 1/);
  refused(() => verifySignedPolicy(policy, s, auditors, 5), /exceeds/);
});

test("auditor keys must be Ed25519 or ECDSA P-256", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  refused(
    () => verifySignedPolicy(policy, [signPolicy(policy, ed[0]!.privateKey)], [pub(rsa)], 1),
    /neither Ed25519 nor ECDSA P-256/,
  );
  refused(
    () => verifySignedPolicy(policy, [signPolicy(policy, ed[0]!.privateKey)], ["not a key"], 1),
    /not a readable public key/,
  );
  assert.throws(
    () => signPolicy(policy, rsa.privateKey),
    (e: unknown) => e instanceof AttestationError && e.code === "INVALID_ARGUMENT",
  );
});
