// An http2 TLS server whose connections reach the application only after the peer is verified
// (spec ecosystem.md Appendix B). Node's http2 server starts its session from the 'secureConnection'
// event, so that event is held back until the async verifier finishes: a peer that fails never gets
// an http2 session, and none of its request bytes are read by any handler.

import http2 from "node:http2";
import { constants } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { RaTlsError } from "../ratls/errors.js";
import { CertificateManager } from "../ratls/manager.js";
import { isValidServiceName } from "../ratls/claims.js";
import {
  currentKeyAndCert,
  DEFAULT_VERIFY_TIMEOUT_MS,
  PeerStore,
  refusalOf,
  withTimeout,
  type CertificateSource,
  type PeerVerifier,
} from "./peer.js";

export type AttestedServerMode = "mutual" | "public";

export interface AttestedServerOptions<I extends { service: string }> {
  /**
   * "mutual": clients must present an RA-TLS certificate that `verifyPeer` accepts and whose service
   * is on `allowedServices` (service-to-service). "public": no client certificate (end users).
   */
  mode: AttestedServerMode;
  certificates: CertificateSource;
  verifyPeer?: PeerVerifier<I>;
  allowedServices?: readonly string[];
  /** Extra http2.createSecureServer options (settings, allowHTTP1, ...). key/cert come from `certificates`. */
  http2?: Omit<http2.SecureServerOptions, "key" | "cert" | "requestCert" | "rejectUnauthorized">;
  /** Give up on a peer whose verification takes longer; default 10 s. */
  verifyTimeoutMs?: number;
}

export interface AttestedServer<I> {
  server: http2.Http2SecureServer;
  /** The verified identity behind a socket, session, stream or request; undefined in public mode. */
  peerOf(target: unknown): I | undefined;
}

/** Event the server emits with (error, socket) for every refused connection. */
export const PEER_REFUSED_EVENT = "peerRefused";

export function createAttestedServer<I extends { service: string }>(
  options: AttestedServerOptions<I>,
  onRequest?: (request: http2.Http2ServerRequest, response: http2.Http2ServerResponse) => void,
): AttestedServer<I> {
  const { mode } = options;
  if (mode !== "mutual" && mode !== "public")
    throw new RaTlsError("INVALID_ARGUMENT", `unknown mode ${String(mode)}`);
  const allowed = new Set(options.allowedServices ?? []);
  if (mode === "mutual") {
    if (typeof options.verifyPeer !== "function")
      throw new RaTlsError("INVALID_ARGUMENT", "mutual mode needs verifyPeer");
    if (allowed.size === 0)
      throw new RaTlsError("INVALID_ARGUMENT", "mutual mode needs a non-empty allowedServices list");
    for (const s of allowed)
      if (!isValidServiceName(s)) throw new RaTlsError("INVALID_ARGUMENT", `invalid service name ${s}`);
  }
  const timeoutMs = options.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;

  // Internal peers speak TLS 1.3 only; public endpoints also accept 1.2 for Teaclave-era clients.
  // No session tickets: every connection must present (and have verified) its certificate again.
  const base = options.http2 ?? {};
  const tlsOptions: http2.SecureServerOptions = {
    minVersion: mode === "mutual" ? "TLSv1.3" : "TLSv1.2",
    ...base,
    secureOptions: (base.secureOptions ?? 0) | constants.SSL_OP_NO_TICKET,
    requestCert: mode === "mutual",
    rejectUnauthorized: false,
  };
  const server = onRequest
    ? http2.createSecureServer({ ...tlsOptions, ...currentKeyAndCert(options.certificates) }, onRequest)
    : http2.createSecureServer({ ...tlsOptions, ...currentKeyAndCert(options.certificates) });
  if (options.certificates instanceof CertificateManager) {
    const detach = options.certificates.attach(server, tlsOptions);
    server.once("close", detach);
  }

  const peers = new PeerStore<I>();
  if (mode === "mutual") {
    const verifyPeer = options.verifyPeer as PeerVerifier<I>;
    const admit = async (socket: TLSSocket): Promise<I> => {
      if (socket.isSessionReused())
        throw new RaTlsError("SESSION_RESUMED", "resumed sessions are not accepted");
      const cert = socket.getPeerX509Certificate();
      if (cert === undefined)
        throw new RaTlsError("PEER_CERT_MISSING", "the client presented no certificate");
      const identity = await withTimeout(verifyPeer(cert.raw, socket), timeoutMs);
      if (!allowed.has(identity.service)) {
        throw new RaTlsError(
          "SERVICE_NOT_ALLOWED",
          `service "${identity.service}" may not call this endpoint`,
        );
      }
      return identity;
    };
    const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
    (server as { emit: typeof emit }).emit = (event, ...args) => {
      if (event !== "secureConnection") return emit(event, ...args);
      const socket = args[0] as TLSSocket;
      admit(socket).then(
        (identity) => {
          if (socket.destroyed) return;
          peers.set(socket, identity);
          emit(event, ...args);
        },
        (err: unknown) => {
          socket.destroy();
          emit(PEER_REFUSED_EVENT, refusalOf(err), socket);
        },
      );
      return true;
    };
  }

  return { server, peerOf: (target) => peers.get(target) };
}
