// The crypto layer's single error type. `code` is stable and safe to branch on; `message` is for
// humans and never contains key material or plaintext.

export const CRYPTO_ERROR_CODES = [
  /** A key has the wrong length or is not valid hex. */
  "INVALID_KEY",
  /** An IV has the wrong length or is not valid hex. */
  "INVALID_IV",
  /** Any other bad argument (tag length, file name, chunk size, option values). */
  "INVALID_ARGUMENT",
  /** The schema name is not one this package implements. */
  "UNSUPPORTED_SCHEMA",
  /** The file is of a known format but a version or mode this package does not implement. */
  "UNSUPPORTED_FORMAT",
  /** The file's tag differs from the expected (registered) tag. */
  "TAG_MISMATCH",
  /** A teaclave-file-128 file is bound to another file name. */
  "NAME_MISMATCH",
  /** The key (or IV) given is provably not the one the file was written with. */
  "WRONG_KEY",
  /** The file failed authentication or is malformed: tampered, wrong key, or not this format. */
  "CORRUPTED",
  /** The file ends before its format says it should. */
  "TRUNCATED",
  /** A size limit was exceeded. */
  "LIMIT_EXCEEDED",
  /** Reading or writing a file or stream failed. */
  "IO_ERROR",
] as const;

export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

export class CryptoError extends Error {
  override readonly name = "CryptoError";
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isCryptoError(value: unknown, code?: CryptoErrorCode): value is CryptoError {
  return value instanceof CryptoError && (code === undefined || value.code === code);
}

/** Wraps a file-system or stream failure; CryptoErrors pass through unchanged. */
export function ioError(what: string, cause: unknown): CryptoError {
  if (cause instanceof CryptoError) return cause;
  const detail =
    cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : "unknown error";
  return new CryptoError("IO_ERROR", `${what}: ${detail}`, { cause });
}
