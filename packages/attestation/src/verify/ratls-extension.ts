// Evidence inside an interoperable RA-TLS certificate (spec attestation.md §3): extension
// 2.23.133.5.4.9 = CBOR tag(T)([bstr evidence, bstr claims]), claims = CBOR map with
// "pubkey-hash": bstr(CBOR [hash-alg-id, digest of the DER SubjectPublicKeyInfo]), and
// report_data = SHA-256(claims) ‖ 0³². This reader accepts any such certificate (Gramine, Intel SGX
// SDK, rats-tls, MesaTEE); MesaTEE's own peer checks (service and TEE named in the claims) live in
// the RA-TLS layer. The CBOR codec and tag table are the RA-TLS layer's, so both read alike.

import { createHash } from "node:crypto";
import { AttestationError } from "../errors.js";
import { CborMap, decodeCbor } from "../ratls/cbor.js";
import { decodeEvidenceExtension } from "../ratls/extension.js";
import type { Evidence } from "../types.js";
import { constantTimeEqual } from "./bytes.js";
import { OID, parseCertificate, type Certificate } from "./certificate.js";

const HASHES: Record<number, { name: string; length: number }> = {
  1: { name: "sha256", length: 32 },
  7: { name: "sha384", length: 48 },
  8: { name: "sha512", length: 64 },
};

export interface RaTlsEvidence {
  evidence: Evidence;
  /** The claims bytes exactly as carried (report_data hashes these). */
  claims: Uint8Array;
  /** Decoded text-keyed claims other than pubkey-hash (e.g. nonce, service, tee). */
  claimNames: string[];
  /** report_data the evidence must carry: SHA-256(claims) ‖ 0³². */
  expectedReportData: Buffer;
  certificate: Certificate;
}

function malformed(message: string, cause?: unknown): AttestationError {
  return new AttestationError(
    "MALFORMED_EVIDENCE",
    `RA-TLS certificate: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

/** report_data = SHA-256(claims bytes) ‖ 0³². */
export function reportDataForClaims(claims: Uint8Array): Buffer {
  return Buffer.concat([createHash("sha256").update(claims).digest(), Buffer.alloc(32)]);
}

/**
 * Reads the evidence of an RA-TLS certificate and checks what binds it to the certificate: the
 * certificate's self-signature and validity at `now`, and the claims' pubkey-hash over its key.
 * The evidence itself is not verified here: pass `evidence` and `expectedReportData` to the verifier.
 */
export function extractRaTlsEvidence(certDer: Uint8Array, options: { now: Date }): RaTlsEvidence {
  const cert = parseCertificate(certDer, "RA-TLS certificate");
  const ext = cert.extensions.get(OID.ratlsEvidence);
  if (!ext) throw malformed(`no evidence extension ${OID.ratlsEvidence}`);
  let evidence: Evidence;
  let claims: Uint8Array;
  let map: unknown;
  try {
    ({ evidence, claims } = decodeEvidenceExtension(ext.value));
    map = decodeCbor(claims, { maxDepth: 4, maxItems: 64 });
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : "undecodable evidence extension", error);
  }
  if (!(map instanceof CborMap)) throw malformed("claims are not a CBOR map");
  const hashField = map.get("pubkey-hash");
  if (!(hashField instanceof Uint8Array)) throw malformed("claims lack pubkey-hash");
  let pair: unknown;
  try {
    pair = decodeCbor(hashField, { maxDepth: 1, maxItems: 2 });
  } catch (error) {
    throw malformed("pubkey-hash is not CBOR", error);
  }
  if (
    !Array.isArray(pair) ||
    pair.length !== 2 ||
    typeof pair[0] !== "number" ||
    !(pair[1] instanceof Uint8Array)
  ) {
    throw malformed("pubkey-hash is not [alg, digest]");
  }
  const hash = HASHES[pair[0]];
  if (!hash || pair[1].length !== hash.length)
    throw malformed(`unsupported pubkey-hash algorithm ${pair[0]}`);
  const digest = createHash(hash.name).update(cert.spki).digest();
  if (!constantTimeEqual(digest, pair[1])) {
    throw new AttestationError(
      "PUBKEY_HASH_MISMATCH",
      "the claims' pubkey-hash does not match the certificate's public key",
    );
  }
  if (cert.issuer.equals(cert.subject)) {
    let ok = false;
    try {
      ok = cert.x509.verify(cert.x509.publicKey);
    } catch {
      ok = false;
    }
    if (!ok)
      throw new AttestationError("CHAIN_INVALID", "the RA-TLS certificate's self-signature does not verify");
  }
  const now = options.now;
  if (now < cert.notBefore || now > cert.notAfter) {
    throw new AttestationError(
      "CERTIFICATE_EXPIRED",
      `the RA-TLS certificate is valid ${cert.notBefore.toISOString()} .. ${cert.notAfter.toISOString()}`,
    );
  }
  return {
    evidence,
    claims,
    claimNames: map.entries
      .map(([k]) => (typeof k === "string" ? k : String(k)))
      .filter((k) => k !== "pubkey-hash"),
    expectedReportData: reportDataForClaims(claims),
    certificate: cert,
  };
}
