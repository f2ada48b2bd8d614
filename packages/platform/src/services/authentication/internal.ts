// The authentication service's internal endpoint: token validation for frontends in other processes
// (Teaclave's TeaclaveAuthenticationInternal.UserAuthenticate), and the client frontends use.
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import { authentication } from "@mesatee/protocol";
import { PlatformError, unauthenticated } from "../../errors.js";
import { parseRoleString, roleToString } from "../../domain/roles.js";
import type { Caller } from "../../domain/users.js";
import { internalClient, type InternalClientOptions } from "../../server/internal-client.js";
import { kPeer } from "../../server/rpc-server.js";
import type { Authenticator } from "../gateway/gateway.js";
import { TOKEN_ISSUER } from "./tokens.js";
import type { AuthenticationService } from "./service.js";

function requirePeer(ctx: HandlerContext, service: string): void {
  if (ctx.values.get(kPeer)?.service !== service)
    throw new ConnectError(`only attested ${service} services may call this endpoint`, Code.PermissionDenied);
}

export function authenticationInternalRoutes(service: AuthenticationService) {
  return (router: ConnectRouter) =>
    router.service(authentication.TeaclaveAuthenticationInternal, {
      async userAuthenticate(req, ctx) {
        requirePeer(ctx, "frontend");
        try {
          const caller = await service.authenticate(req.credential?.id ?? "", req.credential?.token ?? "");
          return { claims: { sub: caller.id, role: roleToString(caller.role), iss: TOKEN_ISSUER } };
        } catch (error) {
          if (error instanceof PlatformError && error.code === "UNAUTHENTICATED")
            throw new ConnectError(error.message, Code.Unauthenticated);
          throw new ConnectError("authentication failed", Code.Internal);
        }
      },
    });
}

/** Validates credentials through an authentication service in another process. */
export class RemoteAuthenticator implements Authenticator {
  private readonly remote;

  constructor(options: Omit<InternalClientOptions, "service">) {
    this.remote = internalClient(authentication.TeaclaveAuthenticationInternal, {
      ...options,
      service: "authentication",
    });
  }

  async authenticate(id: string, token: string): Promise<Caller> {
    try {
      const { claims } = await this.remote.client.userAuthenticate({ credential: { id, token } });
      if (!claims || claims.sub !== id) throw unauthenticated();
      return { id, role: parseRoleString(claims.role) };
    } catch (error) {
      if (error instanceof PlatformError) throw error;
      if (ConnectError.from(error).code === Code.Unauthenticated) throw unauthenticated();
      throw new PlatformError("INTERNAL", "the authentication service is unavailable", { cause: error });
    }
  }

  close(): void {
    this.remote.close();
  }
}
