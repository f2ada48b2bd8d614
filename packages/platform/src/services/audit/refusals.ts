// A caller refused at an internal (mutual RA-TLS) endpoint never reaches a handler, so no call is audited
// for it; the refusal itself is, so that the audit log shows attempts to reach internal services.
import type { AuditEvent } from "./audit-log.js";

export const INTERNAL_CONNECTION_API = "internal_connection";

export function refusedConnection(service: string, error: Error, ip: string | undefined): AuditEvent {
  const code = (error as { code?: unknown }).code;
  return {
    ip,
    user: "",
    role: "",
    api: INTERNAL_CONNECTION_API,
    object: service,
    allowed: false,
    error: typeof code === "string" ? `${code}: ${error.message}` : error.message,
  };
}
