// The attester-side contract (spec attestation.md §7.1): one interface, four implementations,
// selected by configuration. Evidence itself is the shared domain type the verifier consumes.

import type { Evidence } from "../types.js";

export type { Evidence, EvidenceFormat } from "../types.js";

export type TeeKind = "simulation" | "sgx-gramine" | "tdx" | "sev-snp";

export const TEE_KINDS: readonly TeeKind[] = ["simulation", "sgx-gramine", "tdx", "sev-snp"];

/** Which measurement a sealing key is bound to (SGX terms; other TEEs map onto them). */
export type SealingBinding = "mrenclave" | "mrsigner";

export interface AttestationBackend {
  readonly kind: TeeKind;
  /** Cheap probe: the TEE interface is present and matches this backend. Never throws. */
  detect(): Promise<boolean>;
  /** Evidence whose 64-byte user data equals `reportData`. */
  getEvidence(reportData: Uint8Array): Promise<Evidence>;
  /**
   * The secret sealing keys are derived from; throws BackendError SEALING_UNSUPPORTED when the TEE
   * offers none. Callers use deriveSealingKey(), never this directly.
   */
  sealingSecret(binding: SealingBinding): Promise<Uint8Array>;
}

/** Length of SGX REPORTDATA, TDX REPORTDATA, SNP REPORT_DATA and the configfs-tsm inblob limit. */
export const REPORT_DATA_LENGTH = 64;
