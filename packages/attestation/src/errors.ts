// The attestation verifier's error type. Every refusal of evidence, collateral or policy is an
// AttestationError with a stable `code` (safe to branch on, map to gRPC statuses, or print as JSON)
// and a human message. Messages name fields and offsets, never secrets or plaintext.

export const ATTESTATION_ERROR_CODES = [
  /** A caller passed an unusable argument (bad `now`, report data of the wrong length, ...). */
  "INVALID_ARGUMENT",
  /** The evidence bytes are not a well-formed quote/report: truncated, oversized, inconsistent lengths. */
  "MALFORMED_EVIDENCE",
  /** Well-formed evidence of a kind this verifier does not accept (e.g. certification data type 3). */
  "UNSUPPORTED_EVIDENCE",
  /** The certificate chain ends in a root that is not pinned (by SHA-256 of its DER). */
  "UNTRUSTED_ROOT",
  /** A certificate chain is broken: issuer/subject linkage, signature, CA flags, path length, extensions. */
  "CHAIN_INVALID",
  /** A certificate is outside its validity window at `now` (expired or not yet valid). */
  "CERTIFICATE_EXPIRED",
  /** A signature over evidence does not verify (quote, QE report, SNP report, collateral). */
  "BAD_SIGNATURE",
  /** The QE report does not bind the attestation key: report_data ≠ SHA-256(key ‖ auth data) ‖ 0³². */
  "QE_BINDING_MISMATCH",
  /** The quoting enclave is not the expected one (vendor id, MRSIGNER, product id, attributes, debug). */
  "QE_IDENTITY_MISMATCH",
  /** A certificate (PCK leaf, intermediate, AMD ASK/VCEK) is listed in a CRL. */
  "REVOKED",
  /** Collateral is required (by policy or option) but was not supplied. */
  "COLLATERAL_MISSING",
  /** Collateral is malformed or does not belong to this evidence (FMSPC, PCE id, TEE kind). */
  "COLLATERAL_INVALID",
  /** Collateral or a CRL is outside its validity window at `now`, or older than the policy allows. */
  "COLLATERAL_EXPIRED",
  /** No TCB level in the TCB info matches the platform (Intel's "TCB not supported"). */
  "TCB_NOT_SUPPORTED",
  /** The TDX module identity in the TCB info does not match the quote. */
  "TDX_MODULE_MISMATCH",
  /** The platform's TCB status or advisories are not accepted by the policy. */
  "TCB_REJECTED",
  /** The evidence's report_data differs from the expected value. */
  "REPORT_DATA_MISMATCH",
  /** An RA-TLS certificate's claims name another key than the certificate's (pubkey-hash). */
  "PUBKEY_HASH_MISMATCH",
  /** The report_data (expected or carried) is empty or all zero: nothing is bound. */
  "EMPTY_REPORT_DATA",
  /** The enclave/TD/guest is in debug mode and the policy refuses debug. */
  "DEBUG_REFUSED",
  /** The evidence comes from the simulation backend and the policy does not allow simulation. */
  "SIMULATION_REFUSED",
  /** The service is not listed in the policy. */
  "UNKNOWN_SERVICE",
  /** The measurement (MRENCLAVE/MRSIGNER/MRTD/RTMR/SNP measurement/product id) is not allowed. */
  "MEASUREMENT_NOT_ALLOWED",
  /** A security version number is below the policy's minimum. */
  "SVN_TOO_LOW",
  /** Another policy rule refused the evidence (TEE kind, attributes, VMPL, host data, guest policy). */
  "POLICY_REJECTED",
  /** The policy file is malformed: unknown field, wrong type, inconsistent settings. */
  "POLICY_INVALID",
  /** Policy or enclave-info signatures are insufficient: too few, duplicated, unknown key, bad threshold. */
  "POLICY_SIGNATURES",
  /** Fetching collateral from Intel PCS / AMD KDS failed or timed out. */
  "FETCH_FAILED",
] as const;

export type AttestationErrorCode = (typeof ATTESTATION_ERROR_CODES)[number];

export class AttestationError extends Error {
  override readonly name = "AttestationError";
  readonly code: AttestationErrorCode;

  constructor(code: AttestationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** The JSON shape the CLI prints: `{code, message}`. */
  toJSON(): { code: AttestationErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

export function isAttestationError(value: unknown, code?: AttestationErrorCode): value is AttestationError {
  return value instanceof AttestationError && (code === undefined || value.code === code);
}
