// Test support: an evidence verifier with verifyEvidence's contract for simulation evidence, built on
// the verifier's verifyQuote. Policy here is a minimal stand-in: allowSimulation, the pinned
// simulation root, and allowed MRENCLAVEs per service.

import { AttestationError } from "../../errors.js";
import type { Evidence, VerifiedEvidence } from "../../types.js";
import { constantTimeEqual, toHex } from "../../verify/bytes.js";
import { verifyQuote } from "../../verify/dcap.js";
import type { EvidenceCheck } from "../verify.js";

export interface TestPolicy {
  allowSimulation: boolean;
  simulationRootSha256: string | null;
  services: Record<string, { mrenclave: string[] }>;
}

export function simulationVerifier(evidence: Evidence, check: EvidenceCheck<TestPolicy, unknown>): VerifiedEvidence {
  const { policy } = check;
  if (evidence.format === "sim-v1" && !policy.allowSimulation) {
    throw new AttestationError("SIMULATION_REFUSED", "simulation evidence is not allowed by this policy");
  }
  const verified = verifyQuote(evidence.raw, {
    now: check.now,
    trust: { simulationRootSha256: policy.allowSimulation ? policy.simulationRootSha256 : null },
  });
  const body = verified.quote.sgx;
  if (!body) throw new AttestationError("UNSUPPORTED_EVIDENCE", "not an SGX quote");
  if (!constantTimeEqual(verified.quote.reportData, check.expectedReportData)) {
    throw new AttestationError("REPORT_DATA_MISMATCH", "report data differs");
  }
  const entry = policy.services[check.service];
  if (!entry) throw new AttestationError("UNKNOWN_SERVICE", `service ${check.service} is not in the policy`);
  if (!entry.mrenclave.includes(body.mrenclave)) {
    throw new AttestationError("MEASUREMENT_NOT_ALLOWED", `MRENCLAVE ${body.mrenclave} is not allowed for ${check.service}`);
  }
  return {
    tee: verified.tee === "simulation" ? "simulation" : "sgx",
    measurement: body.mrenclave,
    signer: body.mrsigner,
    reportData: toHex(verified.quote.reportData),
    debug: body.debug,
    tcbStatus: null,
    advisoryIds: [],
    tcb: null,
    prodId: body.isvProdId,
    svn: body.isvSvn,
    rootSha256: verified.anchor.sha256,
    collateralExpiresAt: null,
    sgx: body,
    tdx: null,
    snp: null,
    pck: verified.pck,
  };
}
