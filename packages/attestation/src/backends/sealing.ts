// Sealing keys: a 32-byte key per label, derived with HKDF-SHA256 from the backend's sealing secret
// (Gramine's SGX sealing key on SGX, a local key file in simulation, an operator key file on
// TDX/SEV-SNP when configured). Labels separate uses, so one leaked key never exposes another.

import { hkdfSync } from "node:crypto";
import { BackendError } from "./errors.js";
import type { AttestationBackend, SealingBinding } from "./types.js";

const SALT = Buffer.from("mesatee/sealing/v1", "ascii");
const MAX_LABEL_LENGTH = 128;

export interface SealingOptions {
  /**
   * "mrsigner" (default): the key survives code upgrades signed by the same deployment key.
   * "mrenclave": only this exact code and configuration can re-derive it.
   */
  binding?: SealingBinding;
}

export async function deriveSealingKey(
  backend: AttestationBackend,
  label: string,
  options: SealingOptions = {},
): Promise<Buffer> {
  if (typeof label !== "string" || label.length === 0 || Buffer.byteLength(label) > MAX_LABEL_LENGTH) {
    throw new BackendError("INVALID_ARGUMENT", `sealing label must be 1..${MAX_LABEL_LENGTH} bytes`);
  }
  const binding = options.binding ?? "mrsigner";
  if (binding !== "mrsigner" && binding !== "mrenclave") {
    throw new BackendError("INVALID_ARGUMENT", `unknown sealing binding ${String(binding)}`);
  }
  const secret = await backend.sealingSecret(binding);
  // The binding goes into `info` too: the two bindings never share a key even over one secret.
  return Buffer.from(hkdfSync("sha256", secret, SALT, `${binding}\0${label}`, 32));
}
