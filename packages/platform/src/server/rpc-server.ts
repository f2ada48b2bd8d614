// Serves Connect routes on Node's http2 over TLS (ALPN h2, HTTP/1.1 allowed for Connect JSON and
// gRPC-Web), so one endpoint answers gRPC, gRPC-Web and Connect.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { Code, createConnectRouter, createContextKey, createContextValues, type ConnectRouter } from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { TlsIdentity } from "./tls.js";

/** The client's address, as handlers see it. */
export const kRemoteAddress = createContextKey<string | undefined>(undefined, { description: "remote address" });

export interface RpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: TlsIdentity;
  readonly routes: (router: ConnectRouter) => void;
  /** Largest request message accepted (bytes). */
  readonly maxMessageBytes: number;
}

export interface RpcServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const handler = createHandler(options);
  const server = http2.createSecureServer(
    { key: options.tls.key, cert: options.tls.cert, allowHTTP1: true, minVersion: "TLSv1.2" },
    handler,
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    port,
    url: `https://${host === "0.0.0.0" || host === "[::]" ? "localhost" : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sessions) s.close();
        // Sessions that do not finish their streams promptly are torn down.
        setTimeout(() => sessions.forEach((s) => s.destroy()), 2000).unref();
      }),
  };
}

type NodeRequest = http2.Http2ServerRequest;
type NodeResponse = http2.Http2ServerResponse;

/**
 * Like connect-node's adapter, with two corrections for gRPC clients (Teaclave's statuses): an unknown
 * method answers UNIMPLEMENTED instead of HTTP 404, and a request body that is not valid protobuf answers
 * INVALID_ARGUMENT instead of INTERNAL.
 */
function createHandler(options: RpcServerOptions): (req: NodeRequest, res: NodeResponse) => void {
  const router = createConnectRouter({
    readMaxBytes: options.maxMessageBytes,
    writeMaxBytes: 4 * options.maxMessageBytes,
  });
  options.routes(router);
  const handlers = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return (req, res) => {
    const isGrpc = String(req.headers["content-type"] ?? "").startsWith("application/grpc");
    const uHandler = handlers.get((req.url ?? "").split("?", 1)[0] ?? "");
    if (!uHandler) {
      if (isGrpc) {
        res.writeHead(200, {
          "content-type": String(req.headers["content-type"]),
          "grpc-status": String(Code.Unimplemented),
          "grpc-message": "unknown method",
        });
      } else res.writeHead(404);
      res.end();
      return;
    }
    const values = createContextValues().set(kRemoteAddress, req.socket.remoteAddress);
    const uReq = universalRequestFromNodeRequest(req, res, undefined, values);
    uHandler(uReq)
      .then((uRes) => universalResponseToNodeResponse(isGrpc ? correctParseStatus(uRes) : uRes, res))
      .catch(() => {
        // The client went away or the stream failed mid-response; nothing more can be sent.
        res.destroy();
      });
  };
}

function correctParseStatus(uRes: UniversalServerResponse): UniversalServerResponse {
  for (const h of [uRes.header, uRes.trailer]) {
    if (h?.get("grpc-status") === String(Code.Internal) && /^parse%20binary/.test(h.get("grpc-message") ?? ""))
      h.set("grpc-status", String(Code.InvalidArgument));
  }
  return uRes;
}
