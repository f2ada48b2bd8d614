// Verifying an RA-TLS certificate (spec attestation.md §3, §7.2–7.3): the certificate's own validity
// and self-signature, then the evidence extension, the pubkey-hash binding of the claims to the
// certificate key, and finally the evidence itself through the evidence verifier with
// report_data = SHA-256(claims) ‖ 0³². Returns the verified identity or throws RaTlsError.

import { createHash, createPublicKey, timingSafeEqual, verify as verifySignature } from "node:crypto";
import type { Evidence, TeeType, VerifiedEvidence } from "../types.js";
import { verifyEvidence, type EvidenceCollateral, type VerifyEvidenceOptions } from "../verify/evidence.js";
import { decodeClaims, reportDataForClaims, spkiDigest } from "./claims.js";
import { MAX_VALIDITY_MS } from "./certificate.js";
import { RaTlsError } from "./errors.js";
import { decodeEvidenceExtension, FOREIGN_EVIDENCE_OIDS, RATLS_EVIDENCE_OID } from "./extension.js";
import { OID, parseCertificate, type ParsedCertificate } from "./x509.js";

/** What the evidence verifier is asked (the shape of verifyEvidence's options). */
export interface EvidenceCheck<P, C> {
  expectedReportData: Uint8Array;
  now: Date;
  policy: P;
  service: string;
  collateral?: C;
}

export type EvidenceVerifier<P, C> = (
  evidence: Evidence,
  check: EvidenceCheck<P, C>,
) => VerifiedEvidence | Promise<VerifiedEvidence>;

/** The policy forms verifyEvidence accepts (a parsed Policy, JSON text or bytes, or an object). */
export type PolicyInput = VerifyEvidenceOptions["policy"];

export interface VerifyRaTlsOptions<P = PolicyInput, C = EvidenceCollateral> {
  now: Date;
  policy: P;
  /** The service(s) the caller expects; the certificate's claims must name one of them. */
  service?: string | readonly string[];
  collateral?: C;
  /** The evidence verifier; default verifyEvidence (signed policy, collateral, measurements). */
  verify?: EvidenceVerifier<P, C>;
  /** Refuse certificates whose notAfter − notBefore exceeds this; default 7 days. */
  maxValidityMs?: number;
  /** Refuse certificates larger than this; default 64 KiB. */
  maxCertificateBytes?: number;
}

/** A verified peer: who it is, what runs there, and the certificate that proved it. */
export interface RaTlsPeer {
  service: string;
  tee: TeeType;
  measurement: string;
  signer: string | null;
  debug: boolean;
  tcbStatus: VerifiedEvidence["tcbStatus"];
  /** The claims' nonce, hex, if the certificate carried one. */
  nonce?: string;
  certificate: { notBefore: Date; notAfter: Date; serialHex: string; spkiSha256: string };
  evidence: VerifiedEvidence;
}

export const MAX_CERTIFICATE_BYTES = 64 * 1024;

const SIGNATURE_HASH: Record<string, string> = {
  [OID.ecdsaWithSha256]: "sha256",
  "1.2.840.10045.4.3.3": "sha384",
};

/** Extensions a relying party may see marked critical without understanding more than their name. */
const KNOWN_CRITICAL = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectAltName,
]);

function checkSelfSignature(cert: ParsedCertificate): void {
  const hash = SIGNATURE_HASH[cert.signatureAlgorithm];
  if (hash === undefined)
    throw new RaTlsError(
      "CERT_SIGNATURE_INVALID",
      `unsupported signature algorithm ${cert.signatureAlgorithm}`,
    );
  if (!cert.issuer.equals(cert.subject))
    throw new RaTlsError("CERT_SIGNATURE_INVALID", "the certificate is not self-issued");
  let ok = false;
  try {
    const key = createPublicKey({ key: cert.spki, format: "der", type: "spki" });
    if (key.asymmetricKeyType !== "ec") throw new Error("not an EC key");
    ok = verifySignature(hash, cert.tbs, key, cert.signature);
  } catch (err) {
    throw new RaTlsError("CERT_SIGNATURE_INVALID", "the certificate key or signature is unusable", {
      cause: err,
    });
  }
  if (!ok) throw new RaTlsError("CERT_SIGNATURE_INVALID", "the certificate's self-signature does not verify");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function verifyRaTlsCertificate<P = PolicyInput, C = EvidenceCollateral>(
  certificate: Uint8Array,
  options: VerifyRaTlsOptions<P, C>,
): Promise<RaTlsPeer> {
  const { now } = options;
  if (!(now instanceof Date) || Number.isNaN(now.getTime()))
    throw new RaTlsError("INVALID_ARGUMENT", "now must be a valid Date");
  const verify = options.verify ?? (verifyEvidence as unknown as EvidenceVerifier<P, C>);
  if (typeof verify !== "function") throw new RaTlsError("INVALID_ARGUMENT", "verify must be a function");
  const maxBytes = options.maxCertificateBytes ?? MAX_CERTIFICATE_BYTES;
  if (!(certificate instanceof Uint8Array) || certificate.length === 0 || certificate.length > maxBytes) {
    throw new RaTlsError("CERT_MALFORMED", `certificate must be 1..${maxBytes} bytes of DER`);
  }
  const expected =
    options.service === undefined
      ? undefined
      : typeof options.service === "string"
        ? [options.service]
        : options.service;

  // 1. The certificate itself: lifetime at `now`, bounded lifetime, self-signature.
  const cert = parseCertificate(certificate);
  if (now.getTime() < cert.notBefore.getTime()) {
    throw new RaTlsError("CERT_NOT_YET_VALID", `certificate valid from ${cert.notBefore.toISOString()}`);
  }
  if (now.getTime() > cert.notAfter.getTime()) {
    throw new RaTlsError("CERT_EXPIRED", `certificate expired at ${cert.notAfter.toISOString()}`);
  }
  const maxValidity = options.maxValidityMs ?? MAX_VALIDITY_MS;
  if (cert.notAfter.getTime() - cert.notBefore.getTime() > maxValidity) {
    throw new RaTlsError("CERT_VALIDITY_TOO_LONG", `certificate lifetime exceeds ${maxValidity} ms`);
  }
  checkSelfSignature(cert);

  // 2. Exactly one evidence extension; unknown critical extensions are refused (RFC 5280 §4.2).
  const evidenceExts = cert.extensions.filter((e) => e.oid === RATLS_EVIDENCE_OID);
  for (const ext of cert.extensions) {
    if (ext.critical && ext.oid !== RATLS_EVIDENCE_OID && !KNOWN_CRITICAL.has(ext.oid)) {
      throw new RaTlsError("CERT_UNKNOWN_CRITICAL_EXTENSION", `unknown critical extension ${ext.oid}`);
    }
  }
  if (evidenceExts.length > 1) throw new RaTlsError("EVIDENCE_MALFORMED", "more than one evidence extension");
  const evidenceExt = evidenceExts[0];
  if (evidenceExt === undefined) {
    const foreign = cert.extensions.find((e) => e.oid in FOREIGN_EVIDENCE_OIDS);
    if (foreign) {
      throw new RaTlsError(
        "EVIDENCE_UNSUPPORTED_OID",
        `evidence under ${foreign.oid} (${FOREIGN_EVIDENCE_OIDS[foreign.oid]}) is not accepted; expected ${RATLS_EVIDENCE_OID}`,
      );
    }
    throw new RaTlsError("EVIDENCE_MISSING", `no evidence extension ${RATLS_EVIDENCE_OID}`);
  }
  const { evidence, claims: claimsBytes } = decodeEvidenceExtension(evidenceExt.value);
  const claims = decodeClaims(claimsBytes);

  // 3. The claims name this certificate's key.
  if (!equalBytes(spkiDigest(claims.pubkeyHash.alg, cert.spki), claims.pubkeyHash.digest)) {
    throw new RaTlsError(
      "PUBKEY_HASH_MISMATCH",
      "the claims' pubkey-hash does not match the certificate key",
    );
  }
  if (expected !== undefined && !expected.includes(claims.service)) {
    throw new RaTlsError(
      "SERVICE_MISMATCH",
      `certificate is for service "${claims.service}", expected ${expected.map((s) => `"${s}"`).join(" or ")}`,
    );
  }

  // 4. The evidence, checked against the policy entry of the service the claims name.
  const expectedReportData = reportDataForClaims(claimsBytes);
  let verified: VerifiedEvidence;
  try {
    verified = await verify(evidence, {
      expectedReportData,
      now,
      policy: options.policy,
      service: claims.service,
      ...(options.collateral !== undefined ? { collateral: options.collateral } : {}),
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new RaTlsError(
      "EVIDENCE_REJECTED",
      `evidence refused${typeof code === "string" ? ` (${code})` : ""}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  // Defence in depth: the binding holds whatever the verifier did with expectedReportData.
  if (
    !/^[0-9a-f]{128}$/i.test(verified.reportData) ||
    !equalBytes(Buffer.from(verified.reportData, "hex"), expectedReportData)
  ) {
    throw new RaTlsError("REPORT_DATA_MISMATCH", "the evidence does not bind these claims");
  }
  if (verified.tee !== claims.tee) {
    throw new RaTlsError(
      "TEE_MISMATCH",
      `claims say "${claims.tee}" but the evidence is from "${verified.tee}"`,
    );
  }

  return {
    service: claims.service,
    tee: verified.tee,
    measurement: verified.measurement,
    signer: verified.signer,
    debug: verified.debug,
    tcbStatus: verified.tcbStatus,
    ...(claims.nonce ? { nonce: Buffer.from(claims.nonce).toString("hex") } : {}),
    certificate: {
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      serialHex: cert.serial.toString("hex"),
      spkiSha256: createHash("sha256").update(cert.spki).digest("hex"),
    },
    evidence: verified,
  };
}
