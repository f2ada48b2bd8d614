// The audit log's internal endpoint: frontends in other processes record the calls they refused.
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { audit as proto } from "@mesatee/protocol";
import { internalClient, type InternalClientOptions } from "../../server/internal-client.js";
import { kPeer } from "../../server/rpc-server.js";
import type { AuditSink } from "../gateway/gateway.js";
import type { AuditEvent, AuditLog } from "./audit-log.js";

const bounded = (text: string, max: number) => text.slice(0, max);

export function auditInternalRoutes(log: AuditLog) {
  return (router: ConnectRouter) =>
    router.service(proto.AuditLog, {
      async record(req, ctx) {
        if (ctx.values.get(kPeer)?.service !== "frontend")
          throw new ConnectError("only attested frontends may record audit events", Code.PermissionDenied);
        await log.record({
          ip: bounded(req.ip, 64) || undefined,
          user: bounded(req.user, 128),
          role: bounded(req.role, 128),
          api: bounded(req.api, 64),
          object: bounded(req.object, 256),
          allowed: req.allowed,
          error: bounded(req.error, 512),
        });
        return {};
      },
    });
}

/** Sends audit events to the audit log in the management process. */
export class RemoteAuditSink implements AuditSink {
  private readonly remote;

  constructor(options: Omit<InternalClientOptions, "service">) {
    this.remote = internalClient(proto.AuditLog, { ...options, service: "management" });
  }

  async record(event: AuditEvent): Promise<void> {
    await this.remote.client.record({ ...event, ip: event.ip ?? "" });
  }

  close(): void {
    this.remote.close();
  }
}
