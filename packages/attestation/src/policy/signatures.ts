// Detached auditor signatures over the exact bytes of a policy file (spec attestation.md §7.4).
// A policy is accepted only when at least `threshold` DISTINCT auditor keys signed those bytes.
// Teaclave's check (every signature verifies under *some* key, no minimum) let zero signatures or one
// auditor's signature repeated pass; here every supplied signature must verify under a different
// listed key, and unknown or repeated signers refuse the whole set.

import { createHash, createPrivateKey, createPublicKey, KeyObject, sign, verify } from "node:crypto";
import { AttestationError } from "../errors.js";

export const MAX_SIGNATURES = 64;

export type KeyInput = KeyObject | string | Uint8Array;

function refuse(message: string): never {
  throw new AttestationError("POLICY_SIGNATURES", message);
}

function publicKey(input: KeyInput, index: number): KeyObject {
  try {
    if (input instanceof KeyObject) return input.type === "private" ? createPublicKey(input) : input;
    if (typeof input === "string") return createPublicKey(input);
    const bytes = Buffer.from(input);
    // PEM text or DER SubjectPublicKeyInfo.
    return bytes.includes("-----BEGIN")
      ? createPublicKey(bytes)
      : createPublicKey({ key: bytes, format: "der", type: "spki" });
  } catch (cause) {
    throw new AttestationError("POLICY_SIGNATURES", `auditor key ${index} is not a readable public key`, {
      cause,
    });
  }
}

function privateKey(input: KeyInput): KeyObject {
  try {
    if (input instanceof KeyObject) return input;
    return createPrivateKey(typeof input === "string" ? input : Buffer.from(input));
  } catch (cause) {
    throw new AttestationError("INVALID_ARGUMENT", "the signing key is not a readable private key", {
      cause,
    });
  }
}

/** SHA-256 of the key's SubjectPublicKeyInfo, hex: an auditor's stable identity. */
export function keyFingerprint(key: KeyObject): string {
  return createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("hex");
}

function algorithmOf(key: KeyObject): "ed25519" | "ecdsa-p256" | null {
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1")
    return "ecdsa-p256";
  return null;
}

/** Signs policy bytes: Ed25519, or ECDSA P-256 with SHA-256 (DER signature, as `openssl dgst -sha256 -sign` writes). */
export function signPolicy(bytes: Uint8Array, key: KeyInput): Buffer {
  const k = privateKey(key);
  if (k.type !== "private") throw new AttestationError("INVALID_ARGUMENT", "signing needs a private key");
  const alg = algorithmOf(k);
  if (alg === "ed25519") return sign(null, bytes, k);
  if (alg === "ecdsa-p256") return sign("sha256", bytes, { key: k, dsaEncoding: "der" });
  throw new AttestationError("INVALID_ARGUMENT", "auditor keys must be Ed25519 or ECDSA P-256");
}

function verifies(bytes: Uint8Array, signature: Uint8Array, key: KeyObject): boolean {
  try {
    if (algorithmOf(key) === "ed25519") return verify(null, bytes, key, signature);
    // ECDSA: DER as signPolicy writes, or raw r‖s (64 bytes).
    return verify(
      "sha256",
      bytes,
      { key, dsaEncoding: signature.length === 64 ? "ieee-p1363" : "der" },
      signature,
    );
  } catch {
    return false;
  }
}

export interface SignatureCheck {
  /** Fingerprints of the auditor keys whose signatures verified, in signature order. */
  signers: string[];
  threshold: number;
}

/**
 * Checks detached signatures over `bytes`. Refuses (POLICY_SIGNATURES) when: the threshold is not an
 * integer ≥ 1 or exceeds the number of distinct auditor keys; no signature is given; a signature
 * verifies under none of the auditor keys; two signatures come from the same key; or fewer than
 * `threshold` distinct auditors signed.
 */
export function verifySignedPolicy(
  bytes: Uint8Array,
  signatures: readonly Uint8Array[],
  auditorKeys: readonly KeyInput[],
  threshold: number,
): SignatureCheck {
  if (!Number.isInteger(threshold) || threshold < 1)
    refuse(`the signature threshold must be an integer of at least 1, got ${String(threshold)}`);
  const keys = new Map<string, KeyObject>();
  auditorKeys.forEach((input, i) => {
    const key = publicKey(input, i);
    if (!algorithmOf(key)) refuse(`auditor key ${i} is neither Ed25519 nor ECDSA P-256`);
    keys.set(keyFingerprint(key), key);
  });
  if (threshold > keys.size)
    refuse(`threshold ${threshold} exceeds the ${keys.size} distinct auditor key(s)`);
  if (signatures.length === 0) refuse("the policy carries no signature");
  if (signatures.length > MAX_SIGNATURES) refuse(`more than ${MAX_SIGNATURES} signatures`);
  const signers: string[] = [];
  signatures.forEach((signature, i) => {
    if (!(signature instanceof Uint8Array) || signature.length === 0 || signature.length > 1024)
      refuse(`signature ${i} is malformed`);
    const match = [...keys].find(([, key]) => verifies(bytes, signature, key));
    if (!match) refuse(`signature ${i} does not verify under any auditor key`);
    if (signers.includes(match[0])) refuse(`signature ${i} comes from an auditor who already signed`);
    signers.push(match[0]);
  });
  if (signers.length < threshold)
    refuse(`${signers.length} distinct auditor signature(s), ${threshold} required`);
  return { signers, threshold };
}
