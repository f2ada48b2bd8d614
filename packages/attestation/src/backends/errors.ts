// The attester side's error type (backends and sealing). `code` is stable and safe to branch on;
// messages name files and sizes, never key material or evidence bytes.

export const BACKEND_ERROR_CODES = [
  /** The configuration is invalid (unknown backend kind, bad digest, bad option). */
  "INVALID_CONFIG",
  /** An argument is invalid (report data not 64 bytes, empty label, ...). */
  "INVALID_ARGUMENT",
  /** The requested TEE interface is not present on this machine (never a silent fallback). */
  "BACKEND_UNAVAILABLE",
  /** configfs-tsm reports a different provider than the backend expects (e.g. sev_guest for tdx). */
  "PROVIDER_MISMATCH",
  /** Another writer used the same report entry concurrently (generation counter moved unexpectedly). */
  "CONCURRENT_USE",
  /** The TEE stayed busy through every retry. */
  "BUSY",
  /** The TEE returned evidence that is malformed or does not carry the requested report data. */
  "BAD_EVIDENCE",
  /** The backend cannot derive sealing keys (see the backend's documentation for the alternative). */
  "SEALING_UNSUPPORTED",
  /** A key file exists but is unusable: wrong size, or readable by group/others. */
  "KEY_FILE_INVALID",
  /** Reading or writing a TEE file failed. */
  "IO_ERROR",
] as const;

export type BackendErrorCode = (typeof BACKEND_ERROR_CODES)[number];

export class BackendError extends Error {
  override readonly name = "BackendError";
  readonly code: BackendErrorCode;

  constructor(code: BackendErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isBackendError(value: unknown, code?: BackendErrorCode): value is BackendError {
  return value instanceof BackendError && (code === undefined || value.code === code);
}

/** Wraps a file-system failure; BackendErrors pass through unchanged. */
export function ioError(what: string, cause: unknown): BackendError {
  if (cause instanceof BackendError) return cause;
  const detail =
    cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : "unknown error";
  return new BackendError("IO_ERROR", `${what}: ${detail}`, { cause });
}
