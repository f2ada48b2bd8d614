// The RA-TLS layer's error type (certificates, their verification, attested TLS connections).
// `code` is stable and safe to branch on; messages never carry keys or evidence bytes.

export const RATLS_ERROR_CODES = [
  /** An option or argument is invalid (service name, validity, sizes). */
  "INVALID_ARGUMENT",
  /** The certificate is not well-formed DER/X.509, or exceeds a size limit. */
  "CERT_MALFORMED",
  /** The certificate's notAfter is before `now`. */
  "CERT_EXPIRED",
  /** The certificate's notBefore is after `now`. */
  "CERT_NOT_YET_VALID",
  /** The certificate claims a lifetime longer than the verifier accepts. */
  "CERT_VALIDITY_TOO_LONG",
  /** The certificate's self-signature does not verify under its own key. */
  "CERT_SIGNATURE_INVALID",
  /** The certificate marks an extension critical that this verifier does not understand. */
  "CERT_UNKNOWN_CRITICAL_EXTENSION",
  /** No evidence extension (2.23.133.5.4.9) is present. */
  "EVIDENCE_MISSING",
  /** Evidence sits under an OID this verifier does not accept (legacy or foreign convention). */
  "EVIDENCE_UNSUPPORTED_OID",
  /** The evidence extension is not the expected CBOR structure. */
  "EVIDENCE_MALFORMED",
  /** The CBOR tag names an evidence format this verifier does not know. */
  "EVIDENCE_UNKNOWN_FORMAT",
  /** The claims' pubkey-hash does not match the certificate's key. */
  "PUBKEY_HASH_MISMATCH",
  /** The evidence's report_data is not SHA-256(claims) ‖ 0³². */
  "REPORT_DATA_MISMATCH",
  /** The evidence verifier refused the evidence (see `cause`). */
  "EVIDENCE_REJECTED",
  /** The certificate is for another service than the one expected. */
  "SERVICE_MISMATCH",
  /** The peer's verified service is not on this endpoint's allow-list. */
  "SERVICE_NOT_ALLOWED",
  /** The TEE named in the claims differs from the one the evidence proves. */
  "TEE_MISMATCH",
  /** The peer presented no certificate where one is required. */
  "PEER_CERT_MISSING",
  /** The TLS session was resumed, so the peer's certificate was not presented again. */
  "SESSION_RESUMED",
  /** Verification did not finish within the configured time. */
  "VERIFY_TIMEOUT",
  /** Issuing a certificate failed (evidence could not be obtained). */
  "ISSUE_FAILED",
] as const;

export type RaTlsErrorCode = (typeof RATLS_ERROR_CODES)[number];

export class RaTlsError extends Error {
  override readonly name = "RaTlsError";
  readonly code: RaTlsErrorCode;

  constructor(code: RaTlsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isRaTlsError(value: unknown, code?: RaTlsErrorCode): value is RaTlsError {
  return value instanceof RaTlsError && (code === undefined || value.code === code);
}
