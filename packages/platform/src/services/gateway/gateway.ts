// What every public call goes through: authenticate from the `id`/`token` metadata, authorize role × API,
// run, audit (allowed or refused, with the object it touched), and map errors to RPC statuses.
import type { HandlerContext } from "@connectrpc/connect";
import { authorizeApi, type Api } from "../../access-control/index.js";
import { PlatformError, unauthenticated } from "../../errors.js";
import { roleToString } from "../../domain/roles.js";
import type { Caller } from "../../domain/users.js";
import { kRemoteAddress } from "../../server/rpc-server.js";
import { toConnectError, type ServiceKind } from "../../server/status.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { AuthenticationService } from "../authentication/service.js";

/** The object a call touched: known from the request, or from the response (ids of new objects). */
export type AuditObject<R> = string | ((response: R) => string | undefined);

export class Gateway {
  constructor(
    private readonly auth: AuthenticationService,
    private readonly audit: AuditLog,
    private readonly service: ServiceKind,
  ) {}

  /** An authenticated call. */
  async call<R>(ctx: HandlerContext, api: Api, object: AuditObject<R>, run: (caller: Caller) => Promise<R>): Promise<R> {
    const id = ctx.requestHeader.get("id") ?? "";
    const token = ctx.requestHeader.get("token") ?? "";
    let caller: Caller | undefined;
    try {
      if (!id) throw unauthenticated("missing user id");
      if (!token) throw unauthenticated("missing token");
      caller = await this.auth.authenticate(id, token);
      authorizeApi(caller, api);
      const response = await run(caller);
      await this.record(ctx, api, caller, id, objectOf(object, response), true, "");
      return response;
    } catch (error) {
      await this.record(ctx, api, caller, id, objectOf(object, undefined), false, reason(error));
      throw toConnectError(error, this.service);
    }
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
    await this.audit.record({
      ip: ctx.values.get(kRemoteAddress),
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
  return error instanceof PlatformError ? `${error.code}: ${error.message}`.slice(0, 512) : "INTERNAL: internal error";
}
