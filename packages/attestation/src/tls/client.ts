// Client side of attested TLS for http2 (and so for @connectrpc/connect-node transports through
// `nodeOptions.createConnection`). The TLS socket's 'secureConnect' event is held back until the
// server's RA-TLS certificate is verified: http2 writes its preface only after that event, so no
// request byte ever reaches an unverified server (spec ecosystem.md §1 gotchas, Appendix B).

import { isIP } from "node:net";
import tls, { type ConnectionOptions, type TLSSocket } from "node:tls";
import { RaTlsError } from "../ratls/errors.js";
import {
  currentKeyAndCert,
  DEFAULT_VERIFY_TIMEOUT_MS,
  PeerStore,
  refusalOf,
  withTimeout,
  type CertificateSource,
  type PeerVerifier,
} from "./peer.js";

export interface AttestedConnectorOptions<I> {
  /** Verifies the server's certificate, including that it is the expected service. */
  verifyServer: PeerVerifier<I>;
  /** Our own RA-TLS certificate, presented in mutual mode; omit outside a TEE. */
  certificates?: CertificateSource;
  /** Extra tls.connect options (minVersion, servername, ...). */
  tls?: Omit<
    ConnectionOptions,
    "host" | "port" | "key" | "cert" | "rejectUnauthorized" | "session" | "ALPNProtocols"
  >;
  verifyTimeoutMs?: number;
}

export interface AttestedConnector<I> {
  /** Pass as `nodeOptions.createConnection` (connect-node) or `createConnection` (http2.connect). */
  createConnection: (authority: URL, options?: unknown) => TLSSocket;
  /** The verified server identity behind a socket or http2 session. */
  peerOf(target: unknown): I | undefined;
}

export function createAttestedConnector<I>(options: AttestedConnectorOptions<I>): AttestedConnector<I> {
  if (typeof options.verifyServer !== "function")
    throw new RaTlsError("INVALID_ARGUMENT", "verifyServer is required");
  const timeoutMs = options.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const peers = new PeerStore<I>();

  const createConnection = (authority: URL): TLSSocket => {
    const host = authority.hostname.replace(/^\[(.*)\]$/, "$1");
    const port = authority.port === "" ? 443 : Number(authority.port);
    const socket = tls.connect({
      minVersion: "TLSv1.3",
      ...(isIP(host) === 0 ? { servername: host } : {}),
      ...options.tls,
      host,
      port,
      ALPNProtocols: ["h2"],
      // Certificate checks are ours (RA-TLS); OpenSSL's CA validation would refuse self-signed
      // certificates and, worse, Node skips checkServerIdentity when it fails.
      rejectUnauthorized: false,
      ...(options.certificates ? currentKeyAndCert(options.certificates) : {}),
    });
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    (socket as { emit: typeof emit }).emit = (event, ...args) => {
      if (event !== "secureConnect") return emit(event, ...args);
      const admit = async (): Promise<I> => {
        if (socket.isSessionReused())
          throw new RaTlsError("SESSION_RESUMED", "resumed sessions are not accepted");
        const cert = socket.getPeerX509Certificate();
        if (cert === undefined)
          throw new RaTlsError("PEER_CERT_MISSING", "the server presented no certificate");
        return withTimeout(options.verifyServer(cert.raw, socket), timeoutMs);
      };
      admit().then(
        (identity) => {
          if (socket.destroyed) return;
          peers.set(socket, identity);
          emit(event, ...args);
        },
        // Destroying here (not inside a 'secureConnect' listener) is safe: http2 has not attached.
        (err: unknown) => socket.destroy(refusalOf(err)),
      );
      return true;
    };
    return socket;
  };

  return { createConnection, peerOf: (target) => peers.get(target) };
}
