// The frontend in its own process: every call is authenticated (through the authentication service) and
// authorized by role × API here — refusals are audited and never reach management — then forwarded with
// the caller's credential to the management service over mutual RA-TLS, which checks ownership, runs it
// and audits the outcome.
import { ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { auditLog, frontend, functions } from "@mesatee/protocol";
import type { Api } from "../../access-control/index.js";
import type { InternalClient } from "../../server/internal-client.js";
import { kRemoteAddress } from "../../server/rpc-server.js";
import { CLIENT_ADDRESS_HEADER, type Gateway } from "../gateway/gateway.js";

/** The public services a frontend forwards: Teaclave's API and MesaTEE's additions. */
export type ForwardedService =
  typeof frontend.TeaclaveFrontend | typeof functions.MesateeFunctions | typeof auditLog.MesateeAuditLog;

const snake = (method: string) =>
  method.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));

export function frontendProxyRoutes(
  gateway: Gateway,
  services: ReadonlyArray<{ desc: ForwardedService; management: InternalClient<ForwardedService> }>,
) {
  return (router: ConnectRouter) => {
    for (const { desc, management } of services)
      router.service(desc, proxyService(gateway, desc, management));
  };
}

function proxyService(
  gateway: Gateway,
  desc: ForwardedService,
  management: InternalClient<ForwardedService>,
): ServiceImpl<ForwardedService> {
  const impl: Record<string, unknown> = {};
  const client = management.client as unknown as Record<
    string,
    (req: unknown, opts: unknown) => Promise<unknown>
  >;
  for (const method of desc.methods) {
    const api = snake(method.name) as Api;
    const forward = client[method.localName]!;
    impl[method.localName] = async (req: unknown, ctx: HandlerContext) => {
      await gateway.admit(ctx, api);
      const headers = new Headers();
      for (const name of ["id", "token"]) headers.set(name, ctx.requestHeader.get(name) ?? "");
      headers.set(CLIENT_ADDRESS_HEADER, ctx.values.get(kRemoteAddress) ?? "");
      try {
        return await forward(req, { headers, signal: ctx.signal });
      } catch (error) {
        // Management's status, message and error code pass through unchanged.
        const e = ConnectError.from(error);
        throw new ConnectError(e.rawMessage, e.code, e.metadata);
      }
    };
  }
  return impl as unknown as ServiceImpl<ForwardedService>;
}
