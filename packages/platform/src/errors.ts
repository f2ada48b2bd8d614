// One error type for the platform's services. `code` is stable (clients and tests match on it); the
// mapping to gRPC statuses lives in server/status.ts and nowhere else.
export type PlatformErrorCode =
  | "UNAUTHENTICATED" // missing, malformed, forged, expired or revoked credentials; bad password
  | "PERMISSION_DENIED" // the caller's role or ownership does not allow the call
  | "INVALID_ARGUMENT" // a malformed field
  | "NOT_FOUND" // a well-formed id naming nothing (or nothing the caller may see)
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION" // the object is not in a state that allows the call (task state machine)
  | "QUOTA_EXCEEDED" // a function's usage quota is used up
  | "LIMIT_EXCEEDED" // a size or count limit
  | "TOO_MANY_ATTEMPTS" // failed logins for this user id or from this address: wait, then retry
  | "UNAVAILABLE" // the database cannot be reached or keeps conflicting: retry later
  | "INTERNAL";

export class PlatformError extends Error {
  override readonly name = "PlatformError";
  constructor(
    readonly code: PlatformErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const unauthenticated = (message = "authentication failed") =>
  new PlatformError("UNAUTHENTICATED", message);
export const permissionDenied = (message = "permission denied") =>
  new PlatformError("PERMISSION_DENIED", message);
export const invalidArgument = (message: string) => new PlatformError("INVALID_ARGUMENT", message);
export const notFound = (message: string) => new PlatformError("NOT_FOUND", message);
export const failedPrecondition = (message: string) => new PlatformError("FAILED_PRECONDITION", message);
