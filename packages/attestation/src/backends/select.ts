// Backend selection by configuration. The configured backend must be present: asking for a TEE that
// is not there is an error, never a silent fallback to simulation (spec attestation.md §7.1).

import { SevSnpBackend, TdxBackend, type SnpBackendOptions, type TsmBackendOptions } from "./configfs-tsm.js";
import { BackendError } from "./errors.js";
import { GramineSgxBackend, type GramineBackendOptions } from "./gramine.js";
import { SimulationBackend, type SimulationBackendOptions } from "./simulation/backend.js";
import { TEE_KINDS, type AttestationBackend } from "./types.js";

export type BackendConfig =
  | ({ kind: "simulation" } & SimulationBackendOptions)
  | ({ kind: "sgx-gramine" } & GramineBackendOptions)
  | ({ kind: "tdx" } & TsmBackendOptions)
  | ({ kind: "sev-snp" } & SnpBackendOptions);

/** Builds the configured backend without probing it. */
export function createBackend(config: BackendConfig): AttestationBackend {
  switch (config.kind) {
    case "simulation":
      return new SimulationBackend(config);
    case "sgx-gramine":
      return new GramineSgxBackend(config);
    case "tdx":
      return new TdxBackend(config);
    case "sev-snp":
      return new SevSnpBackend(config);
    default: {
      const kind = (config as { kind?: unknown }).kind;
      throw new BackendError(
        "INVALID_CONFIG",
        `unknown backend kind ${JSON.stringify(kind)}; expected one of ${TEE_KINDS.join(", ")}`,
      );
    }
  }
}

/** Builds the configured backend and checks that its TEE interface is present. */
export async function openBackend(config: BackendConfig): Promise<AttestationBackend> {
  const backend = createBackend(config);
  if (!(await backend.detect())) {
    throw new BackendError(
      "BACKEND_UNAVAILABLE",
      `the configured attestation backend "${backend.kind}" is not available on this machine`,
    );
  }
  return backend;
}
