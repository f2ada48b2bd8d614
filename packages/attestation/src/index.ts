// Verifier and policy (evidence parsing, verification, signed policy).
export * from "./errors.js";
export * from "./types.js";
export {
  verifyEvidence,
  fromVerifiedQuote,
  fromVerifiedSnp,
  REPORT_DATA_SIZE,
  type VerifyEvidenceOptions,
  type EvidenceCollateral,
} from "./verify/evidence.js";
export { verifyQuote, type VerifyQuoteOptions, type VerifiedQuote, type QuoteTrust } from "./verify/dcap.js";
export {
  verifySnpReport,
  parseSnpCertTable,
  parseSnpCollateral,
  type SnpCollateral,
  type VerifySnpOptions,
  type VerifiedSnpReport,
} from "./verify/snp.js";
export {
  parseQuote,
  DEFAULT_MAX_QUOTE_BYTES,
  type ParsedQuote,
  type QuoteRegionName,
  type Region,
} from "./verify/quote.js";
export { parseSnpReport, SNP_REPORT_SIZE, type ParsedSnpReport } from "./verify/snp-report.js";
export { parseCollateral, type Collateral, type CollateralBundle } from "./verify/collateral.js";
export {
  staticCollateral,
  DirectoryCollateralStore,
  type CollateralStore,
  type DcapCollateralQuery,
  type SnpCollateralQuery,
  type DcapCollateralInput,
} from "./verify/collateral-store.js";
export { fetchDcapCollateral, fetchSnpCollateral, type FetchOptions } from "./verify/fetch.js";
export { detectEvidence, type DetectedEvidence } from "./verify/detect.js";
export { resetVerifierCaches } from "./verify/chain.js";
export { extractRaTlsEvidence, reportDataForClaims, type RaTlsEvidence } from "./verify/ratls-extension.js";
export {
  INTEL_SGX_ROOT_SHA256,
  AMD_ARK_SHA256,
  INTEL_QE_VENDOR_ID,
  SIMULATION_QE_VENDOR_ID,
  INTEL_SGX_ROOT_PEM,
} from "./verify/roots.js";
export {
  parsePolicy,
  POLICY_DEFAULTS,
  type Policy,
  type ServicePolicy,
  type SgxServicePolicy,
  type TdxServicePolicy,
  type SnpServicePolicy,
} from "./policy/schema.js";
export { evaluatePolicy } from "./policy/evaluate.js";
export { signPolicy, verifySignedPolicy, keyFingerprint, type SignatureCheck } from "./policy/signatures.js";
export {
  verifyEnclaveInfo,
  parseEnclaveInfo,
  type EnclaveInfo,
  type EnclaveInfoEntry,
} from "./policy/enclave-info.js";
export * as attestationTesting from "./verify/testing/index.js";

// Evidence side: backends, sealing, RA-TLS certificates, attested TLS, Teaclave-era compatibility.
export {
  BackendError,
  isBackendError,
  BACKEND_ERROR_CODES,
  type BackendErrorCode,
} from "./backends/errors.js";
export {
  TEE_KINDS,
  REPORT_DATA_LENGTH,
  type TeeKind,
  type AttestationBackend,
  type SealingBinding,
} from "./backends/types.js";
export { createBackend, openBackend, type BackendConfig } from "./backends/select.js";
export { deriveSealingKey, type SealingOptions } from "./backends/sealing.js";
export {
  GramineSgxBackend,
  GRAMINE_ATTESTATION_ROOT,
  type GramineBackendOptions,
} from "./backends/gramine.js";
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
export {
  simulationMrEnclave,
  simulationMrSigner,
  type SimulatedCode,
} from "./backends/simulation/measurement.js";
export {
  loadSimulationDeployment,
  SIMULATION_FILES,
  type SimulationDeployment,
} from "./backends/simulation/deployment.js";
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
  type PolicyInput,
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
export {
  createAttestedConnector,
  type AttestedConnector,
  type AttestedConnectorOptions,
} from "./tls/client.js";
export { raTlsPeerVerifier, type RaTlsPeerVerifierOptions } from "./tls/verifiers.js";
export type { PeerVerifier, CertificateSource } from "./tls/peer.js";
export {
  AttestationServiceRole,
  AS_FILES,
  iasStatusFor,
  QUOTE_BODY_LENGTH,
  type AttestationServiceOptions,
  type EndorsedReport,
  type IasQuoteStatus,
} from "./teaclave/attestation-service.js";
export {
  TEACLAVE_REPORT_OID,
  teaclaveEndorsementExtensions,
  encodeEndorsedReport,
  decodeEndorsedReport,
  type TeaclaveEndorsementOptions,
} from "./teaclave/endorsed-extension.js";
export {
  renderEnclaveInfo,
  signEnclaveInfo,
  loadAuditorKeys,
  writeTeaclaveClientFiles,
  TEACLAVE_ENCLAVE_NAMES,
  DEFAULT_AUDITORS,
  type EnclaveIdentity,
  type TeaclaveClientFiles,
} from "./teaclave/enclave-info.js";
export {
  TeaclaveCompatError,
  isTeaclaveCompatError,
  TEACLAVE_ERROR_CODES,
  type TeaclaveErrorCode,
} from "./teaclave/errors.js";
export { loadSignedPolicyDir, POLICY_FILES, type LoadedPolicy } from "./policy/files.js";
