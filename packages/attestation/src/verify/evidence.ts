// The verifier's single entry point (spec attestation.md §7.3): parse → signatures and chain →
// collateral → report_data binding (constant time) → service policy. Returns normalised claims or
// throws AttestationError; there is no partially verified result.

import { AttestationError } from "../errors.js";
import { evaluatePolicy, serviceEntry } from "../policy/evaluate.js";
import { asPolicy, type Policy } from "../policy/schema.js";
import type { Evidence, EvidenceFormat, VerifiedEvidence } from "../types.js";
import { constantTimeEqual, isAllZero, toHex } from "./bytes.js";
import type { Collateral } from "./collateral.js";
import type { CollateralStore, DcapCollateralInput } from "./collateral-store.js";
import { checkNow, quotePckChain, verifyQuote, type VerifiedQuote } from "./dcap.js";
import { detectEvidence } from "./detect.js";
import { parsePckExtension, pckCaType } from "./pck-extension.js";
import { parseQuote } from "./quote.js";
import { parseSnpReport, productFromCpuid, decodeSnpTcb } from "./snp-report.js";
import { verifySnpReport, type SnpCollateral, type VerifiedSnpReport } from "./snp.js";

export const REPORT_DATA_SIZE = 64;

/** Collateral given directly (`{dcap, snp}`) or a store consulted per platform. */
export type EvidenceCollateral =
  CollateralStore | { dcap?: DcapCollateralInput | Collateral | null; snp?: SnpCollateral | null };

export interface VerifyEvidenceOptions {
  /** The 64 bytes the evidence must carry (for RA-TLS: SHA-256(claims) ‖ 0³²). */
  expectedReportData: Uint8Array;
  now: Date;
  policy: Policy | string | Uint8Array | Record<string, unknown>;
  service: string;
  collateral?: EvidenceCollateral | null;
}

function isStore(c: EvidenceCollateral): c is CollateralStore {
  return (
    typeof (c as CollateralStore).dcap === "function" || typeof (c as CollateralStore).snp === "function"
  );
}

/** Normalises a verified DCAP quote. */
export function fromVerifiedQuote(v: VerifiedQuote): VerifiedEvidence {
  const sgx = v.quote.sgx;
  const td = v.quote.td;
  const strip = <T extends object>(o: T, keys: string[]): T =>
    Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k))) as T;
  return {
    tee: v.tee,
    measurement: sgx ? sgx.mrenclave : td!.mrtd,
    signer: sgx ? sgx.mrsigner : null,
    reportData: toHex(v.quote.reportData),
    debug: (sgx ?? td)!.debug,
    tcbStatus: v.tcb?.status ?? null,
    advisoryIds: v.tcb ? [...v.tcb.advisoryIds] : [],
    tcb: v.tcb,
    prodId: sgx ? sgx.isvProdId : null,
    svn: sgx ? sgx.isvSvn : td!.teeTcbSvnBytes[0]!,
    rootSha256: v.anchor.sha256,
    collateralExpiresAt: v.collateralExpiresAt?.toISOString() ?? null,
    sgx: sgx ? strip(sgx, ["reportData", "debug"]) : null,
    tdx: td ? strip(td, ["reportData", "debug", "septVeDisable", "teeTcbSvnBytes", "teeTcbSvn2Bytes"]) : null,
    snp: null,
    pck: {
      fmspc: v.pck.fmspc,
      pceId: v.pck.pceId,
      pceSvn: v.pck.pceSvn,
      cpuSvn: v.pck.cpuSvn,
      tcbComponents: [...v.pck.tcbComponents],
      ca: v.pck.ca,
    },
  };
}

/** Normalises a verified SEV-SNP report. */
export function fromVerifiedSnp(v: VerifiedSnpReport): VerifiedEvidence {
  return {
    tee: "sev-snp",
    measurement: v.claims.measurement,
    signer: null,
    reportData: toHex(v.report.reportData),
    debug: v.claims.policyFlags.debug,
    tcbStatus: null,
    advisoryIds: [],
    tcb: null,
    prodId: null,
    svn: v.claims.guestSvn,
    rootSha256: v.anchor.sha256,
    collateralExpiresAt: null,
    sgx: null,
    tdx: null,
    snp: v.claims,
    pck: null,
  };
}

async function dcapCollateral(
  raw: Uint8Array,
  collateral: EvidenceCollateral | null | undefined,
): Promise<DcapCollateralInput | Collateral | null> {
  if (!collateral) return null;
  if (!isStore(collateral)) return collateral.dcap ?? null;
  if (!collateral.dcap) return null;
  // The store is keyed by the platform (FMSPC, CA) read from the PCK certificate.
  const quote = parseQuote(raw);
  const chain = quotePckChain(quote);
  const pck = parsePckExtension(chain[0]!);
  const tee = quote.td ? "tdx" : "sgx";
  const ca = pckCaType(chain[1]?.subjectCn ?? null);
  return (await collateral.dcap({ tee, fmspc: pck.fmspc, ca })) ?? null;
}

async function snpCollateral(
  raw: Uint8Array,
  collateral: EvidenceCollateral | null | undefined,
): Promise<SnpCollateral | null> {
  if (!collateral) return null;
  if (!isStore(collateral)) return collateral.snp ?? null;
  if (!collateral.snp) return null;
  const report = parseSnpReport(raw);
  const product = productFromCpuid(report.cpuid);
  if (!product) return null;
  return (
    (await collateral.snp({
      product,
      chipId: toHex(report.chipId),
      reportedTcb: decodeSnpTcb(report.reportedTcb, product),
    })) ?? null
  );
}

function family(format: EvidenceFormat): "dcap" | "snp" {
  return format === "snp-report" ? "snp" : "dcap";
}

/**
 * Verifies evidence for `service` under `policy`. `evidence` is an Evidence (format + raw bytes) or raw
 * bytes whose format is detected (DCAP quote or SEV-SNP report, binary or hex).
 */
export async function verifyEvidence(
  evidence: Evidence | Uint8Array,
  options: VerifyEvidenceOptions,
): Promise<VerifiedEvidence> {
  const now = checkNow(options.now);
  const policy = asPolicy(options.policy);
  if (typeof options.service !== "string")
    throw new AttestationError("INVALID_ARGUMENT", "service must be a string");
  serviceEntry(policy, options.service);
  const expected = options.expectedReportData;
  if (!(expected instanceof Uint8Array) || expected.length !== REPORT_DATA_SIZE) {
    throw new AttestationError("INVALID_ARGUMENT", `expectedReportData must be ${REPORT_DATA_SIZE} bytes`);
  }
  // An all-zero expectation binds nothing: whatever the evidence carries, refuse.
  if (isAllZero(expected))
    throw new AttestationError("EMPTY_REPORT_DATA", "the expected report data is empty (all zero)");

  let raw: Uint8Array;
  let kind: "dcap" | "snp";
  let aux: Uint8Array | undefined;
  if (evidence instanceof Uint8Array) {
    const detected = detectEvidence(evidence);
    if (detected.kind === "ratls-certificate") {
      throw new AttestationError(
        "UNSUPPORTED_EVIDENCE",
        "an RA-TLS certificate is not evidence: verify it with verifyRaTlsCertificate",
      );
    }
    raw = detected.bytes;
    kind = detected.kind === "snp-report" ? "snp" : "dcap";
  } else {
    if (!evidence || !(evidence.raw instanceof Uint8Array))
      throw new AttestationError("INVALID_ARGUMENT", "evidence.raw must be bytes");
    raw = evidence.raw;
    kind = family(evidence.format);
    aux = evidence.aux;
  }

  let verified: VerifiedEvidence;
  if (kind === "dcap") {
    const trust = {
      intelRootSha256: [policy.trustAnchors.intelSgxRootSha256],
      simulationRootSha256: policy.allowSimulation ? policy.trustAnchors.simulationRootSha256 : null,
    };
    const collateral = await dcapCollateral(raw, options.collateral);
    const quote = verifyQuote(raw, {
      now,
      trust,
      collateral,
      requireCrls: policy.collateral.requireCrls,
      maxCollateralAgeSeconds: policy.collateral.maxAgeSeconds,
      minTcbEvaluationDataNumber: policy.collateral.minTcbEvaluationDataNumber,
    });
    if (!collateral && quote.tee !== "simulation" && policy.collateral.required) {
      throw new AttestationError(
        "COLLATERAL_MISSING",
        "the policy requires collateral (TCB info, QE identity, CRLs) for SGX/TDX evidence",
      );
    }
    verified = fromVerifiedQuote(quote);
  } else {
    const collateral = await snpCollateral(raw, options.collateral);
    verified = fromVerifiedSnp(
      verifySnpReport(raw, {
        now,
        collateral,
        aux: aux ?? null,
        arkSha256: policy.trustAnchors.amdArkSha256,
        requireCrl: policy.collateral.requireCrls && policy.collateral.required,
      }),
    );
  }

  const carried = Buffer.from(verified.reportData, "hex");
  if (isAllZero(carried))
    throw new AttestationError("EMPTY_REPORT_DATA", "the evidence carries empty (all-zero) report data");
  if (!constantTimeEqual(carried, expected))
    throw new AttestationError(
      "REPORT_DATA_MISMATCH",
      "the evidence's report data differs from the expected value",
    );
  evaluatePolicy(verified, policy, options.service, now);
  return verified;
}
