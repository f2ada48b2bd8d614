// Serves Connect routes on Node's http2 over TLS (ALPN h2, HTTP/1.1 allowed for Connect JSON and
// gRPC-Web), so one endpoint answers gRPC, gRPC-Web and Connect.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import {
  Code,
  createConnectRouter,
  createContextKey,
  createContextValues,
  type ConnectRouter,
} from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import {
  createAttestedServer,
  PEER_REFUSED_EVENT,
  type CertificateSource,
  type PeerVerifier,
  type RaTlsPeer,
} from "@mesatee/attestation";

/** The client's address, as handlers see it. */
export const kRemoteAddress = createContextKey<string | undefined>(undefined, {
  description: "remote address",
});
/** The attested peer (mutual endpoints only). */
export const kPeer = createContextKey<RaTlsPeer | undefined>(undefined, { description: "attested peer" });

/**
 * How the endpoint is secured: "public" endpoints present the service's RA-TLS certificate to clients
 * that present none; "mutual" endpoints also require and verify the caller's RA-TLS certificate and accept
 * only the listed services.
 */
export type EndpointSecurity =
  | { readonly mode: "public"; readonly certificates: CertificateSource }
  | {
      readonly mode: "mutual";
      readonly certificates: CertificateSource;
      readonly verifyPeer: PeerVerifier<RaTlsPeer>;
      readonly allowedServices: readonly string[];
      /** Told why each refused caller was refused (the caller itself only sees its connection close). */
      readonly onRefused?: (error: Error, remoteAddress: string | undefined) => void;
    };

export interface RpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly security: EndpointSecurity;
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
  let peerOf: (target: unknown) => RaTlsPeer | undefined = () => undefined;
  const handler = createHandler(options, (req) => peerOf(req));
  const sec = options.security;
  const attested = createAttestedServer<RaTlsPeer>(
    sec.mode === "public"
      ? { mode: "public", certificates: sec.certificates, http2: { allowHTTP1: true } }
      : {
          mode: "mutual",
          certificates: sec.certificates,
          verifyPeer: sec.verifyPeer,
          allowedServices: sec.allowedServices,
        },
    handler,
  );
  peerOf = (target) => attested.peerOf(target);
  const server = attested.server;
  if (sec.mode === "mutual" && sec.onRefused) {
    const onRefused = sec.onRefused;
    server.on(PEER_REFUSED_EVENT, (error: Error, socket: { remoteAddress?: string }) =>
      onRefused(error, socket.remoteAddress),
    );
  }
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
function createHandler(
  options: RpcServerOptions,
  peerOf: (req: NodeRequest) => RaTlsPeer | undefined,
): (req: NodeRequest, res: NodeResponse) => void {
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
    const values = createContextValues()
      .set(kRemoteAddress, req.socket.remoteAddress)
      .set(kPeer, peerOf(req));
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
    if (
      h?.get("grpc-status") === String(Code.Internal) &&
      /^parse%20binary/.test(h.get("grpc-message") ?? "")
    )
      h.set("grpc-status", String(Code.InvalidArgument));
  }
  return uRes;
}
