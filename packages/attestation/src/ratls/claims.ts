// RA-TLS claims (spec attestation.md §3, §7.2): a deterministic CBOR map
// {"pubkey-hash": bstr(CBOR [alg, digest]), "service": tstr, "tee": tstr, "nonce"?: bstr}, and the
// report_data rule SHA-256(claims bytes) ‖ 0³² that binds them to the evidence.

import { createHash } from "node:crypto";
import { CborMap, decodeCbor, encodeCbor, type CborValue } from "./cbor.js";
import type { TeeType } from "../types.js";
import { RaTlsError } from "./errors.js";

/** Service names: what the policy, allow-lists and claims use. */
const SERVICE_NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

export function isValidServiceName(name: unknown): name is string {
  return typeof name === "string" && SERVICE_NAME.test(name);
}

/** The TEE a certificate's evidence comes from, as named in the claims (the verifier's TeeType). */
export type ClaimedTee = TeeType;
export const CLAIMED_TEES: readonly ClaimedTee[] = ["simulation", "sgx", "tdx", "sev-snp"];

/** IANA named-information hash algorithm ids accepted in pubkey-hash. */
const HASH_IDS: Record<number, { name: string; length: number }> = {
  1: { name: "sha256", length: 32 },
  7: { name: "sha384", length: 48 },
  8: { name: "sha512", length: 64 },
};

export const MAX_NONCE_LENGTH = 64;
export const MAX_CLAIMS_LENGTH = 4096;

export interface RaTlsClaims {
  /** IANA hash id and digest of the certificate's DER SubjectPublicKeyInfo. */
  pubkeyHash: { alg: number; digest: Uint8Array };
  service: string;
  tee: ClaimedTee;
  nonce?: Uint8Array;
}

export function encodeClaims(claims: RaTlsClaims): Buffer {
  if (!isValidServiceName(claims.service)) throw new RaTlsError("INVALID_ARGUMENT", "invalid service name");
  if (!CLAIMED_TEES.includes(claims.tee)) throw new RaTlsError("INVALID_ARGUMENT", "invalid tee");
  if (claims.nonce !== undefined && claims.nonce.length > MAX_NONCE_LENGTH) {
    throw new RaTlsError("INVALID_ARGUMENT", `nonce longer than ${MAX_NONCE_LENGTH} bytes`);
  }
  const entries: [CborValue, CborValue][] = [
    ["pubkey-hash", encodeCbor([claims.pubkeyHash.alg, claims.pubkeyHash.digest])],
    ["service", claims.service],
    ["tee", claims.tee],
  ];
  if (claims.nonce !== undefined) entries.push(["nonce", claims.nonce]);
  return encodeCbor(new CborMap(entries));
}

function malformed(what: string): RaTlsError {
  return new RaTlsError("EVIDENCE_MALFORMED", `claims: ${what}`);
}

/**
 * Decodes claims. `pubkey-hash` is required; `service` and `tee` are required here because every
 * MesaTEE peer names itself; unknown extra keys (other implementations add some) are ignored.
 */
export function decodeClaims(bytes: Uint8Array): RaTlsClaims {
  if (bytes.length > MAX_CLAIMS_LENGTH) throw malformed(`longer than ${MAX_CLAIMS_LENGTH} bytes`);
  const map = decodeCbor(bytes);
  if (!(map instanceof CborMap)) throw malformed("not a map");
  const hashField = map.get("pubkey-hash");
  if (!(hashField instanceof Uint8Array)) throw malformed("pubkey-hash missing or not a byte string");
  const hash = decodeCbor(hashField);
  if (!Array.isArray(hash) || hash.length !== 2) throw malformed("pubkey-hash is not [alg, digest]");
  const [alg, digest] = hash;
  if (typeof alg !== "number" || !(alg in HASH_IDS)) throw malformed("unsupported pubkey-hash algorithm");
  if (!(digest instanceof Uint8Array) || digest.length !== HASH_IDS[alg]?.length) {
    throw malformed("pubkey-hash digest has the wrong length");
  }
  const service = map.get("service");
  if (!isValidServiceName(service)) throw malformed("service missing or invalid");
  const tee = map.get("tee");
  if (typeof tee !== "string" || !CLAIMED_TEES.includes(tee as ClaimedTee))
    throw malformed("tee missing or invalid");
  const nonce = map.get("nonce");
  if (nonce !== undefined && (!(nonce instanceof Uint8Array) || nonce.length > MAX_NONCE_LENGTH)) {
    throw malformed("nonce is not a byte string of at most 64 bytes");
  }
  return {
    pubkeyHash: { alg, digest },
    service,
    tee: tee as ClaimedTee,
    ...(nonce instanceof Uint8Array ? { nonce } : {}),
  };
}

/** Digest of a DER SubjectPublicKeyInfo under an IANA hash id. */
export function spkiDigest(alg: number, spki: Uint8Array): Buffer {
  const hash = HASH_IDS[alg];
  if (hash === undefined) throw new RaTlsError("INVALID_ARGUMENT", `unsupported hash id ${alg}`);
  return createHash(hash.name).update(spki).digest();
}

/** report_data = SHA-256(claims bytes) ‖ 0³². */
export function reportDataForClaims(claimsBytes: Uint8Array): Buffer {
  return Buffer.concat([createHash("sha256").update(claimsBytes).digest(), Buffer.alloc(32)]);
}
