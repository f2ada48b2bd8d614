// Domain types shared by the attestation backends (attester side) and the verifier.
// Byte values in verified results are lowercase hex strings so that results serialise to JSON as-is
// (audit logs, `mesatee attestation verify --json`).

/** What the verifier says the evidence proves it came from. */
export type TeeType = "sgx" | "tdx" | "sev-snp" | "simulation";

/**
 * How evidence is encoded (spec attestation.md §7.1). `sim-v1` is the simulation backend's evidence,
 * which uses the real SGX quote v3 layout; the verifier tells it apart by its certificate chain.
 */
export type EvidenceFormat = "sgx-dcap-quote" | "tdx-dcap-quote" | "snp-report" | "sim-v1";

export interface Evidence {
  format: EvidenceFormat;
  /** Quote / report bytes exactly as the TEE produced them. */
  raw: Uint8Array;
  /** SEV-SNP: the configfs-tsm `auxblob` certificate table (VCEK, ASK, ARK), when the host supplied it. */
  aux?: Uint8Array;
}

/** Intel's TCB status strings (QVL / PCS), in the spelling Intel uses. */
export const TCB_STATUSES = [
  "UpToDate",
  "SWHardeningNeeded",
  "ConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "OutOfDate",
  "OutOfDateConfigurationNeeded",
  "TDRelaunchAdvised",
  "TDRelaunchAdvisedConfigurationNeeded",
  "Revoked",
] as const;
export type TcbStatus = (typeof TCB_STATUSES)[number];

/** Evaluation of the platform against signed collateral (Intel TCB info + QE identity). */
export interface TcbResult {
  status: TcbStatus;
  /** Union of the advisories of the TCB levels that decided the status: platform, TDX module, QE (in that order). */
  advisoryIds: string[];
  /** `tcbDate` of the matched platform TCB level (ISO 8601). */
  tcbDate: string;
  /** `tcbDate` of the newest TCB level in the TCB info: when the latest TCB recovery happened. */
  latestTcbDate: string;
  tcbEvaluationDataNumber: number;
}

/** SGX enclave report body fields (quote v3, or v5 body type 1). */
export interface SgxClaims {
  mrenclave: string;
  mrsigner: string;
  isvProdId: number;
  isvSvn: number;
  attributes: string;
  miscselect: number;
  cpuSvn: string;
  configId: string;
  configSvn: number;
  isvExtProdId: string;
  isvFamilyId: string;
}

/** TD report body fields (TD 1.0; TD 1.5 adds teeTcbSvn2 and mrServiceTd). */
export interface TdxClaims {
  teeTcbSvn: string;
  mrSeam: string;
  mrSignerSeam: string;
  seamAttributes: string;
  tdAttributes: string;
  xfam: string;
  mrtd: string;
  mrConfigId: string;
  mrOwner: string;
  mrOwnerConfig: string;
  rtmr: [string, string, string, string];
  teeTcbSvn2: string | null;
  mrServiceTd: string | null;
}

/** The platform identity read from the PCK certificate's SGX extension. */
export interface PckClaims {
  fmspc: string;
  pceId: string;
  pceSvn: number;
  cpuSvn: string;
  /** The 16 SGX TCB component SVNs. */
  tcbComponents: number[];
  /** Which PCK CA issued the leaf. */
  ca: "processor" | "platform";
}

/** A SEV-SNP TCB_VERSION, decoded for the product's layout (Turin adds an FMC SPL). */
export interface SnpTcb {
  bootloader: number;
  tee: number;
  snp: number;
  microcode: number;
  fmc: number | null;
}

export type SnpProduct = "Milan" | "Genoa" | "Turin";

export interface SnpClaims {
  product: SnpProduct;
  version: number;
  guestSvn: number;
  /** Guest policy as a 16-hex-digit string (u64), plus the bits policies commonly check. */
  policy: string;
  policyFlags: { debug: boolean; migrateMA: boolean; smt: boolean; singleSocket: boolean };
  familyId: string;
  imageId: string;
  vmpl: number;
  measurement: string;
  hostData: string;
  idKeyDigest: string;
  authorKeyDigest: string;
  reportId: string;
  chipId: string;
  reportedTcb: SnpTcb;
  currentTcb: SnpTcb;
  committedTcb: SnpTcb;
  launchTcb: SnpTcb;
  signingKey: "vcek" | "vlek";
}

/**
 * The normalised result of a successful verification. There is no "partially verified" state:
 * either every check passed and this is returned, or an AttestationError is thrown.
 */
export interface VerifiedEvidence {
  tee: TeeType;
  /** MRENCLAVE (SGX, simulation), MRTD (TDX) or the launch MEASUREMENT (SEV-SNP), hex. */
  measurement: string;
  /** MRSIGNER (SGX, simulation), or null where the TEE has no signer identity. */
  signer: string | null;
  /** The 64-byte report data, hex. */
  reportData: string;
  debug: boolean;
  /** Intel TCB status, or null when no collateral was evaluated (always null for SEV-SNP and simulation without collateral). */
  tcbStatus: TcbStatus | null;
  advisoryIds: string[];
  tcb: TcbResult | null;
  /** ISVPRODID (SGX) or null. */
  prodId: number | null;
  /** ISVSVN (SGX), TDX module SVN (TEE_TCB_SVN[0]) or SNP GUEST_SVN. */
  svn: number | null;
  /** SHA-256 of the trust anchor the evidence chains to (Intel SGX Root CA, AMD ARK, simulation root). */
  rootSha256: string;
  /** Earliest `nextUpdate` among the collateral used, or null without collateral. */
  collateralExpiresAt: string | null;
  sgx: SgxClaims | null;
  tdx: TdxClaims | null;
  snp: SnpClaims | null;
  pck: PckClaims | null;
}
