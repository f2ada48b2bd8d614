// The one mapping from platform errors to RPC statuses (spec §1.3). The stable error code also travels in
// the `mesatee-error-code` response header, so clients can tell cases apart that share a gRPC status.
import { Code, ConnectError } from "@connectrpc/connect";
import { PlatformError, type PlatformErrorCode } from "../errors.js";

export const ERROR_CODE_HEADER = "mesatee-error-code";

// Teaclave's frontend and management statuses: permission → 7, auth → 16, bad ids/requests → 3, task
// state and quota errors → 2 (UNKNOWN), service failures → 13.
const FRONTEND_STATUS: Readonly<Record<PlatformErrorCode, Code>> = {
  UNAUTHENTICATED: Code.Unauthenticated,
  PERMISSION_DENIED: Code.PermissionDenied,
  INVALID_ARGUMENT: Code.InvalidArgument,
  NOT_FOUND: Code.InvalidArgument,
  ALREADY_EXISTS: Code.InvalidArgument,
  FAILED_PRECONDITION: Code.Unknown,
  QUOTA_EXCEEDED: Code.Unknown,
  LIMIT_EXCEEDED: Code.ResourceExhausted,
  TOO_MANY_ATTEMPTS: Code.ResourceExhausted,
  UNAVAILABLE: Code.Unavailable,
  INTERNAL: Code.Internal,
};

export type ServiceKind = "authentication" | "frontend";

/** Converts any error thrown by a service into the ConnectError the client receives. */
export function toConnectError(error: unknown, service: ServiceKind): ConnectError {
  if (error instanceof ConnectError) return error;
  if (!(error instanceof PlatformError)) {
    // Never leak internals of unexpected failures to clients.
    return withCode(new ConnectError("internal error", Code.Internal), "INTERNAL");
  }
  // Teaclave's authentication service answers every failure with UNAUTHENTICATED; service failures
  // keep their own status so clients can tell them from a bad password.
  const code =
    service === "authentication" && error.code !== "INTERNAL" && error.code !== "UNAVAILABLE"
      ? Code.Unauthenticated
      : FRONTEND_STATUS[error.code];
  return withCode(new ConnectError(error.message, code), error.code);
}

function withCode(error: ConnectError, code: PlatformErrorCode): ConnectError {
  error.metadata.set(ERROR_CODE_HEADER, code);
  return error;
}
