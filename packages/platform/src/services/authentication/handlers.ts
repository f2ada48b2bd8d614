// TeaclaveAuthenticationApi over Connect: wire messages in, domain calls, wire messages out.
import type { ConnectRouter } from "@connectrpc/connect";
import { authentication } from "@mesatee/protocol";
import { kRemoteAddress } from "../../server/rpc-server.js";
import type { Gateway } from "../gateway/gateway.js";
import type { AuthenticationService } from "./service.js";

export function authenticationRoutes(service: AuthenticationService, gateway: Gateway) {
  return (router: ConnectRouter) =>
    router.service(authentication.TeaclaveAuthenticationApi, {
      userRegister: (req, ctx) =>
        gateway.call(ctx, "user_register", req.id, async (caller) => {
          await service.register(caller, req);
          return {};
        }),
      userUpdate: (req, ctx) =>
        gateway.call(ctx, "user_update", req.id, async (caller) => {
          await service.update(caller, req);
          return {};
        }),
      userLogin: (req, ctx) =>
        gateway.anonymous(ctx, "user_login", req.id, async () => ({
          token: await service.login(req.id, req.password, ctx.values.get(kRemoteAddress)),
        })),
      userChangePassword: (req, ctx) =>
        gateway.call(ctx, "user_change_password", "", async (caller) => {
          await service.changePassword(caller, req.password);
          return {};
        }),
      resetUserPassword: (req, ctx) =>
        gateway.call(ctx, "reset_user_password", req.id, async (caller) => ({
          password: await service.resetPassword(caller, req.id),
        })),
      deleteUser: (req, ctx) =>
        gateway.call(ctx, "delete_user", req.id, async (caller) => {
          await service.delete(caller, req.id);
          return {};
        }),
      listUsers: (req, ctx) =>
        gateway.call(ctx, "list_users", req.id, async (caller) => ({
          ids: await service.list(caller, req.id),
        })),
    });
}
