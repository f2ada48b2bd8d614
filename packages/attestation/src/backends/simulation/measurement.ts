// How simulation evidence names code: MRENCLAVE from the service's code and configuration,
// MRSIGNER from the deployment's signing key. Policies compute the same values to pin them.

import { createHash, type KeyObject } from "node:crypto";
import { BackendError } from "../errors.js";
import { isValidServiceName } from "../../ratls/claims.js";

export interface SimulatedCode {
  /** The service (role) name, e.g. "frontend". */
  service: string;
  /** SHA-256 of the service's code bundle (32 bytes, or 64 hex characters). */
  codeDigest: string | Uint8Array;
  /** SHA-256 of the service's configuration (32 bytes, or 64 hex characters). */
  configDigest: string | Uint8Array;
}

export function parseDigest(value: string | Uint8Array, what: string): Buffer {
  if (typeof value === "string") {
    if (!/^[0-9a-fA-F]{64}$/.test(value))
      throw new BackendError("INVALID_CONFIG", `${what} must be 64 hex characters`);
    return Buffer.from(value, "hex");
  }
  if (!(value instanceof Uint8Array) || value.length !== 32) {
    throw new BackendError("INVALID_CONFIG", `${what} must be 32 bytes`);
  }
  return Buffer.from(value);
}

const MRENCLAVE_DOMAIN = Buffer.from("mesatee/simulation/mrenclave/v1\0", "ascii");

/**
 * MRENCLAVE = SHA-256(domain ‖ u16 len ‖ service ‖ codeDigest ‖ configDigest). The length prefix
 * keeps distinct (service, code, config) triples from ever encoding to the same bytes.
 */
export function simulationMrEnclave(code: SimulatedCode): Buffer {
  if (!isValidServiceName(code.service)) throw new BackendError("INVALID_CONFIG", "invalid service name");
  const service = Buffer.from(code.service, "utf8");
  const len = Buffer.alloc(2);
  len.writeUInt16BE(service.length);
  return createHash("sha256")
    .update(MRENCLAVE_DOMAIN)
    .update(len)
    .update(service)
    .update(parseDigest(code.codeDigest, "codeDigest"))
    .update(parseDigest(code.configDigest, "configDigest"))
    .digest();
}

/** MRSIGNER = SHA-256(DER SubjectPublicKeyInfo of the deployment's signing key). */
export function simulationMrSigner(signerPublicKey: KeyObject): Buffer {
  return createHash("sha256")
    .update(signerPublicKey.export({ type: "spki", format: "der" }))
    .digest();
}
