// The frontend in its own process: every call is authenticated (through the authentication service) and
// authorized by role × API here — refusals are audited and never reach management — then forwarded with
// the caller's credential to the management service over mutual RA-TLS, which checks ownership, runs it
// and audits the outcome.
import { ConnectError, type ConnectRouter, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { frontend } from "@mesatee/protocol";
import type { Api } from "../../access-control/index.js";
import type { InternalClient } from "../../server/internal-client.js";
import { kRemoteAddress } from "../../server/rpc-server.js";
import { CLIENT_ADDRESS_HEADER } from "../gateway/gateway.js";
import type { Gateway } from "../gateway/gateway.js";

const snake = (method: string) =>
  method.replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));

export function frontendProxyRoutes(
  gateway: Gateway,
  management: InternalClient<typeof frontend.TeaclaveFrontend>,
) {
  const impl: Record<string, unknown> = {};
  for (const method of frontend.TeaclaveFrontend.methods) {
    const api = snake(method.name) as Api;
    const forward = (
      management.client as unknown as Record<string, (req: unknown, opts: unknown) => Promise<unknown>>
    )[method.localName]!;
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
  return (router: ConnectRouter) =>
    router.service(
      frontend.TeaclaveFrontend,
      impl as unknown as ServiceImpl<typeof frontend.TeaclaveFrontend>,
    );
}
