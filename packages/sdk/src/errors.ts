// The SDK's error: the platform's stable error code plus the RPC status it arrived with.
import { Code, ConnectError } from "@connectrpc/connect";

/** Mirrors the platform's `mesatee-error-code` response header. */
export const ERROR_CODE_HEADER = "mesatee-error-code";

export class MesateeError extends Error {
  override readonly name = "MesateeError";
  constructor(
    /** The platform's stable code (e.g. PERMISSION_DENIED), or the RPC status name if none was sent. */
    readonly code: string,
    /** The gRPC / Connect status. */
    readonly status: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static from(error: unknown): MesateeError {
    if (error instanceof MesateeError) return error;
    const ce = ConnectError.from(error);
    const code = ce.metadata.get(ERROR_CODE_HEADER) ?? statusName(ce.code);
    return new MesateeError(code, ce.code, ce.rawMessage, { cause: error });
  }
}

/** The gRPC status name (RESOURCE_EXHAUSTED), the spelling the platform's own codes use. */
function statusName(status: Code): string {
  const name = Code[status] as string | undefined;
  return name ? name.replace(/(?<=[a-z])(?=[A-Z])/g, "_").toUpperCase() : "UNKNOWN";
}
