// Shared pieces of attested TLS: the peer-verifier contract, certificate sources, the per-socket
// identity store, and a bounded wait for verification.

import type { TLSSocket } from "node:tls";
import { RaTlsError } from "../ratls/errors.js";
import type { CertificateManager } from "../ratls/manager.js";

/** Verifies a peer's certificate (DER) and returns who it is; throws to refuse the connection. */
export type PeerVerifier<I> = (certificate: Uint8Array, socket: TLSSocket) => Promise<I>;

/** Where the local key + certificate come from: a rotating manager, or fixed PEM strings. */
export type CertificateSource = CertificateManager | { key: string; cert: string };

export function currentKeyAndCert(source: CertificateSource): { key: string; cert: string } {
  return "secureContextOptions" in source
    ? source.secureContextOptions()
    : { key: source.key, cert: source.cert };
}

export const DEFAULT_VERIFY_TIMEOUT_MS = 10_000;

/** Runs `verify` but gives up after `ms`, so a stuck verifier cannot pin a half-open connection. */
export async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RaTlsError("VERIFY_TIMEOUT", `peer verification took longer than ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Identities of verified peers, keyed by their TLS socket. http2 hands handlers proxies of the
 * socket (request.socket, session.socket), so the identity is also reachable through a private
 * symbol property that those proxies forward to the real socket.
 */
export class PeerStore<I> {
  private readonly bySocket = new WeakMap<object, I>();
  private readonly key = Symbol("mesatee.attested-peer");

  set(socket: TLSSocket, identity: I): void {
    this.bySocket.set(socket, identity);
    Object.defineProperty(socket, this.key, { value: identity, enumerable: false, configurable: false });
  }

  /** The identity behind a TLS socket, an http2 session or stream, or a compat request/response. */
  get(target: unknown): I | undefined {
    if (target === null || typeof target !== "object") return undefined;
    const probe = (get: () => unknown): I | undefined => {
      try {
        const socket = get() as Record<symbol, I> | undefined;
        return socket && typeof socket === "object"
          ? (this.bySocket.get(socket) ?? socket[this.key])
          : undefined;
      } catch {
        return undefined; // a closed session's socket proxy throws on access
      }
    };
    const t = target as {
      socket?: unknown;
      session?: { socket?: unknown };
      stream?: { session?: { socket?: unknown } };
    };
    return (
      probe(() => target) ??
      probe(() => t.socket) ??
      probe(() => t.session?.socket) ??
      probe(() => t.stream?.session?.socket)
    );
  }
}

export function refusalOf(err: unknown): RaTlsError {
  if (err instanceof RaTlsError) return err;
  return new RaTlsError("EVIDENCE_REJECTED", `peer refused: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}
