// The usual peer verifier: an RA-TLS certificate checked against the current policy at the current
// time. Policy and collateral are read per connection, so reloading them needs no restart.

import type { TLSSocket } from "node:tls";
import {
  verifyRaTlsCertificate,
  type EvidenceVerifier,
  type PolicyInput,
  type RaTlsPeer,
} from "../ratls/verify.js";
import type { EvidenceCollateral } from "../verify/evidence.js";
import type { PeerVerifier } from "./peer.js";

export interface RaTlsPeerVerifierOptions<P = PolicyInput, C = EvidenceCollateral> {
  policy: P | (() => P);
  collateral?: C | (() => C | undefined);
  /** Default verifyEvidence. */
  verify?: EvidenceVerifier<P, C>;
  /** Expected peer service(s); omit on servers that check an allow-list instead. */
  service?: string | readonly string[];
  clock?: () => Date;
  maxValidityMs?: number;
}

export function raTlsPeerVerifier<P = PolicyInput, C = EvidenceCollateral>(
  options: RaTlsPeerVerifierOptions<P, C>,
): PeerVerifier<RaTlsPeer> {
  const clock = options.clock ?? (() => new Date());
  const resolve = <T>(v: T | (() => T)): T => (typeof v === "function" ? (v as () => T)() : v);
  return async (certificate: Uint8Array, _socket: TLSSocket) => {
    const collateral = options.collateral === undefined ? undefined : resolve(options.collateral);
    return verifyRaTlsCertificate<P, C>(certificate, {
      now: clock(),
      policy: resolve(options.policy),
      ...(options.verify !== undefined ? { verify: options.verify } : {}),
      ...(options.service !== undefined ? { service: options.service } : {}),
      ...(collateral !== undefined ? { collateral } : {}),
      ...(options.maxValidityMs !== undefined ? { maxValidityMs: options.maxValidityMs } : {}),
    });
  };
}
