// What every public call goes through: authenticate from the `id`/`token` metadata, authorize role × API,
// run, audit (allowed or refused, with the object it touched), and map errors to RPC statuses.
import type { HandlerContext } from "@connectrpc/connect";
import { authorizeApi, type Api } from "../../access-control/index.js";
import { PlatformError, unauthenticated } from "../../errors.js";
import { roleToString } from "../../domain/roles.js";
import type { Caller } from "../../domain/users.js";
import { kPeer, kRemoteAddress } from "../../server/rpc-server.js";
import { toConnectError, type ServiceKind } from "../../server/status.js";
import type { AuditEvent } from "../audit/audit-log.js";

/** Validates a credential (the authentication service, in process or over its internal RPC). */
export interface Authenticator {
  authenticate(id: string, token: string): Promise<Caller>;
}

/** Where audit events go (the audit log, in process or over the internal audit RPC). */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}

/** The end client's address, as a frontend in another process forwards it (trusted only from a frontend). */
export const CLIENT_ADDRESS_HEADER = "mesatee-client-address";

/** The object a call touched: known from the request, or from the response (ids of new objects). */
export type AuditObject<R> = string | ((response: R) => string | undefined);

export class Gateway {
  constructor(
    private readonly auth: Authenticator,
    private readonly audit: AuditSink,
    private readonly service: ServiceKind,
  ) {}

  /** An authenticated call. */
  async call<R>(
    ctx: HandlerContext,
    api: Api,
    object: AuditObject<R>,
    run: (caller: Caller) => Promise<R>,
  ): Promise<R> {
    const id = ctx.requestHeader.get("id") ?? "";
    let caller: Caller | undefined;
    try {
      caller = await this.check(ctx, api);
      const response = await run(caller);
      await this.record(ctx, api, caller, id, objectOf(object, response), true, "");
      return response;
    } catch (error) {
      await this.record(ctx, api, caller, id, objectOf(object, undefined), false, reason(error));
      throw toConnectError(error, this.service);
    }
  }

  /**
   * Authenticates and authorizes without running anything; a refusal is audited and thrown. Used by a
   * frontend in its own process before it forwards the call (management audits what happens next).
   */
  async admit(ctx: HandlerContext, api: Api): Promise<Caller> {
    try {
      return await this.check(ctx, api);
    } catch (error) {
      await this.record(ctx, api, undefined, ctx.requestHeader.get("id") ?? "", "", false, reason(error));
      throw toConnectError(error, this.service);
    }
  }

  /** The caller behind the `id`/`token` metadata, if it may call `api` at all. */
  private async check(ctx: HandlerContext, api: Api): Promise<Caller> {
    const id = ctx.requestHeader.get("id") ?? "";
    const token = ctx.requestHeader.get("token") ?? "";
    if (!id) throw unauthenticated("missing user id");
    if (!token) throw unauthenticated("missing token");
    const caller = await this.auth.authenticate(id, token);
    authorizeApi(caller, api);
    return caller;
  }

  /** A call made before authentication (login): audited under the claimed id. */
  async anonymous<R>(ctx: HandlerContext, api: Api, claimedId: string, run: () => Promise<R>): Promise<R> {
    try {
      const response = await run();
      await this.record(ctx, api, undefined, claimedId, "", true, "");
      return response;
    } catch (error) {
      await this.record(ctx, api, undefined, claimedId, "", false, reason(error));
      throw toConnectError(error, this.service);
    }
  }

  private async record(
    ctx: HandlerContext,
    api: Api,
    caller: Caller | undefined,
    claimedId: string,
    object: string,
    allowed: boolean,
    error: string,
  ): Promise<void> {
    const viaFrontend = ctx.values.get(kPeer)?.service === "frontend";
    await this.audit.record({
      ip: (viaFrontend && ctx.requestHeader.get(CLIENT_ADDRESS_HEADER)) || ctx.values.get(kRemoteAddress),
      // The claimed id of an unauthenticated call is recorded bounded, as the client sent it.
      user: caller?.id ?? claimedId.slice(0, 128),
      role: caller ? roleToString(caller.role) : "",
      api,
      object: object.slice(0, 256),
      allowed,
      error,
    });
  }
}

function objectOf<R>(object: AuditObject<R>, response: R | undefined): string {
  if (typeof object === "string") return object;
  return response === undefined ? "" : (object(response) ?? "");
}

function reason(error: unknown): string {
  return error instanceof PlatformError
    ? `${error.code}: ${error.message}`.slice(0, 512)
    : "INTERNAL: internal error";
}
