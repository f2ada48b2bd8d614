// The Teaclave-compatibility layer's error type (attestation-service role, endorsed reports,
// enclave_info.toml and auditor signatures). Messages never carry key material.

export const TEACLAVE_ERROR_CODES = [
  /** An option or argument is invalid (names, sizes, key lengths). */
  "INVALID_ARGUMENT",
  /** Evidence cannot be endorsed: not an SGX quote, fails verification, or binds other report data. */
  "ENDORSEMENT_REFUSED",
  /** A key or certificate file exists but is unusable. */
  "KEY_FILE_INVALID",
  /** Reading or writing a file failed. */
  "IO_ERROR",
] as const;

export type TeaclaveErrorCode = (typeof TEACLAVE_ERROR_CODES)[number];

export class TeaclaveCompatError extends Error {
  override readonly name = "TeaclaveCompatError";
  readonly code: TeaclaveErrorCode;

  constructor(code: TeaclaveErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isTeaclaveCompatError(
  value: unknown,
  code?: TeaclaveErrorCode,
): value is TeaclaveCompatError {
  return value instanceof TeaclaveCompatError && (code === undefined || value.code === code);
}
