// Verifier and policy (evidence parsing, verification, signed policy).
export * from "./errors.js";
export * from "./types.js";
export { verifyQuote } from "./verify/dcap.js";

// Evidence side: backends, sealing, RA-TLS certificates, attested TLS, Teaclave-era compatibility.
export { BackendError, isBackendError, BACKEND_ERROR_CODES, type BackendErrorCode } from "./backends/errors.js";
export { TEE_KINDS, REPORT_DATA_LENGTH, type TeeKind, type AttestationBackend, type SealingBinding } from "./backends/types.js";
export { createBackend, openBackend, type BackendConfig } from "./backends/select.js";
export { deriveSealingKey, type SealingOptions } from "./backends/sealing.js";
export { GramineSgxBackend, GRAMINE_ATTESTATION_ROOT, type GramineBackendOptions } from "./backends/gramine.js";
export {
  TdxBackend,
  SevSnpBackend,
  TSM_ROOT,
  type TsmBackendOptions,
  type SnpBackendOptions,
  type TsmFileSystem,
} from "./backends/configfs-tsm.js";
export {
  SimulationBackend,
  SIMULATION_QE_MRENCLAVE,
  SIMULATION_QE_MRSIGNER,
  SIMULATION_FMSPC,
  type SimulationBackendOptions,
} from "./backends/simulation/backend.js";
export { simulationMrEnclave, simulationMrSigner, type SimulatedCode } from "./backends/simulation/measurement.js";
export { loadSimulationDeployment, SIMULATION_FILES, type SimulationDeployment } from "./backends/simulation/deployment.js";
export { RaTlsError, isRaTlsError, RATLS_ERROR_CODES, type RaTlsErrorCode } from "./ratls/errors.js";
export { RATLS_EVIDENCE_OID, EVIDENCE_TAG } from "./ratls/extension.js";
export {
  issueRaTlsCertificate,
  DEFAULT_VALIDITY_MS,
  MAX_VALIDITY_MS,
  type IssueRaTlsOptions,
  type RaTlsCertificate,
  type CertifiedKeyInfo,
} from "./ratls/certificate.js";
export {
  verifyRaTlsCertificate,
  type VerifyRaTlsOptions,
  type RaTlsPeer,
  type EvidenceVerifier,
  type EvidenceCheck,
} from "./ratls/verify.js";
export { CertificateManager, type CertificateManagerOptions } from "./ratls/manager.js";
export type { CertExtension } from "./ratls/x509.js";
export {
  createAttestedServer,
  PEER_REFUSED_EVENT,
  type AttestedServer,
  type AttestedServerOptions,
  type AttestedServerMode,
} from "./tls/server.js";
export { createAttestedConnector, type AttestedConnector, type AttestedConnectorOptions } from "./tls/client.js";
export { raTlsPeerVerifier, type RaTlsPeerVerifierOptions } from "./tls/verifiers.js";
export type { PeerVerifier, CertificateSource } from "./tls/peer.js";
