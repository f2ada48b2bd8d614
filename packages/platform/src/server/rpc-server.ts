// Serves Connect routes on Node's http2 over TLS (ALPN h2, HTTP/1.1 allowed for Connect JSON and
// gRPC-Web), so one endpoint answers gRPC, gRPC-Web and Connect.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { createContextKey, createContextValues, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
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
  const handler = connectNodeAdapter({
    routes: options.routes,
    readMaxBytes: options.maxMessageBytes,
    writeMaxBytes: 4 * options.maxMessageBytes,
    contextValues: (req) => createContextValues().set(kRemoteAddress, req.socket.remoteAddress),
  });
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
