// Applies a service's policy entry to verified evidence (spec attestation.md §1.8 step 13, §7.4).
// Runs only after every cryptographic check passed; each rule refuses with its own error code.

import { AttestationError } from "../errors.js";
import type { TcbResult, VerifiedEvidence } from "../types.js";
import type {
  MaskedValue,
  Policy,
  ServicePolicy,
  SgxServicePolicy,
  SnpServicePolicy,
  TdxServicePolicy,
} from "./schema.js";

const DAY_MS = 24 * 3600 * 1000;

function refuse(code: AttestationError["code"], message: string): never {
  throw new AttestationError(code, message);
}

function maskedMatch(actualHex: string, rule: MaskedValue): boolean {
  const a = Buffer.from(actualHex, "hex");
  const m = Buffer.from(rule.mask, "hex");
  const v = Buffer.from(rule.value, "hex");
  return a.length === m.length && a.every((b, i) => (b & m[i]!) === v[i]);
}

export function serviceEntry(policy: Policy, service: string): ServicePolicy {
  const entry = Object.hasOwn(policy.services, service) ? policy.services[service] : undefined;
  if (!entry) refuse("UNKNOWN_SERVICE", `service "${service.slice(0, 64)}" is not in the policy`);
  return entry;
}

/** Intel TCB status and advisories against `policy.tcb`. */
export function checkTcb(tcb: TcbResult, policy: Policy, now: Date): void {
  const rejected = tcb.advisoryIds.filter((id) => policy.tcb.rejectAdvisories.includes(id));
  if (rejected.length > 0)
    refuse("TCB_REJECTED", `advisories ${rejected.join(", ")} are refused by the policy`);
  if (policy.tcb.accept.includes(tcb.status)) return;
  const allowed = policy.tcb.acceptWithAdvisories[tcb.status];
  if (allowed && tcb.advisoryIds.every((id) => allowed.includes(id))) return;
  const grace = policy.tcb.gracePeriodDaysAfterTcbRecovery;
  if (grace > 0 && (tcb.status === "OutOfDate" || tcb.status === "OutOfDateConfigurationNeeded")) {
    // The platform fell behind when the newest TCB level appeared; it gets `grace` days to catch up.
    if (now.getTime() <= Date.parse(tcb.latestTcbDate) + grace * DAY_MS) return;
  }
  const advisories = tcb.advisoryIds.length > 0 ? ` (advisories ${tcb.advisoryIds.join(", ")})` : "";
  refuse("TCB_REJECTED", `TCB status ${tcb.status}${advisories} is not accepted by the policy`);
}

function checkSgx(e: VerifiedEvidence, rule: SgxServicePolicy, service: string): void {
  const sgx = e.sgx;
  if (!sgx) refuse("POLICY_REJECTED", `service "${service}" expects SGX evidence`);
  if (rule.mrenclave && !rule.mrenclave.includes(sgx.mrenclave))
    refuse("MEASUREMENT_NOT_ALLOWED", `MRENCLAVE ${sgx.mrenclave} is not allowed for "${service}"`);
  if (rule.mrsigner && !rule.mrsigner.includes(sgx.mrsigner))
    refuse("MEASUREMENT_NOT_ALLOWED", `MRSIGNER ${sgx.mrsigner} is not allowed for "${service}"`);
  if (rule.isvProdId !== null && sgx.isvProdId !== rule.isvProdId)
    refuse("MEASUREMENT_NOT_ALLOWED", `ISVPRODID ${sgx.isvProdId} is not ${rule.isvProdId}`);
  if (sgx.isvSvn < rule.minIsvSvn)
    refuse("SVN_TOO_LOW", `ISVSVN ${sgx.isvSvn} is below the minimum ${rule.minIsvSvn}`);
  if (rule.attributes && !maskedMatch(sgx.attributes, rule.attributes))
    refuse("POLICY_REJECTED", `enclave ATTRIBUTES ${sgx.attributes} do not match the policy`);
}

function checkTdx(e: VerifiedEvidence, rule: TdxServicePolicy, service: string): void {
  const td = e.tdx;
  if (!td) refuse("POLICY_REJECTED", `service "${service}" expects TDX evidence`);
  if (!rule.mrtd.includes(td.mrtd))
    refuse("MEASUREMENT_NOT_ALLOWED", `MRTD ${td.mrtd} is not allowed for "${service}"`);
  for (const [index, allowed] of Object.entries(rule.rtmr)) {
    const value = td.rtmr[Number(index)]!;
    if (!allowed.includes(value))
      refuse("MEASUREMENT_NOT_ALLOWED", `RTMR${index} ${value} is not allowed for "${service}"`);
  }
  const exact: [string, string | null, string][] = [
    ["MRCONFIGID", rule.mrConfigId, td.mrConfigId],
    ["MROWNER", rule.mrOwner, td.mrOwner],
    ["MROWNERCONFIG", rule.mrOwnerConfig, td.mrOwnerConfig],
  ];
  for (const [name, want, got] of exact)
    if (want !== null && want !== got)
      refuse("MEASUREMENT_NOT_ALLOWED", `${name} ${got} is not the policy's`);
  if (rule.tdAttributes && !maskedMatch(td.tdAttributes, rule.tdAttributes))
    refuse("POLICY_REJECTED", `TDATTRIBUTES ${td.tdAttributes} do not match the policy`);
  if (rule.xfam && !maskedMatch(td.xfam, rule.xfam))
    refuse("POLICY_REJECTED", `XFAM ${td.xfam} does not match the policy`);
  // SEPT_VE_DISABLE (TDATTRIBUTES bit 28) stops the host from injecting #VE through EPT violations.
  if (rule.requireSeptVeDisable && (Buffer.from(td.tdAttributes, "hex")[3]! & 0x10) === 0)
    refuse("POLICY_REJECTED", "the TD does not set SEPT_VE_DISABLE");
  if (rule.minTeeTcbSvn) {
    const got = Buffer.from(td.teeTcbSvn, "hex");
    const min = Buffer.from(rule.minTeeTcbSvn, "hex");
    const i = min.findIndex((m, k) => got[k]! < m);
    if (i >= 0) refuse("SVN_TOO_LOW", `TEE_TCB_SVN[${i}] = ${got[i]} is below the minimum ${min[i]}`);
  }
}

function checkSnp(e: VerifiedEvidence, rule: SnpServicePolicy, service: string): void {
  const snp = e.snp;
  if (!snp) refuse("POLICY_REJECTED", `service "${service}" expects SEV-SNP evidence`);
  if (!rule.measurement.includes(snp.measurement))
    refuse("MEASUREMENT_NOT_ALLOWED", `MEASUREMENT ${snp.measurement} is not allowed for "${service}"`);
  if (rule.hostData !== null && rule.hostData !== snp.hostData)
    refuse("MEASUREMENT_NOT_ALLOWED", `HOST_DATA ${snp.hostData} is not the policy's`);
  if (rule.idKeyDigest && !rule.idKeyDigest.includes(snp.idKeyDigest))
    refuse("MEASUREMENT_NOT_ALLOWED", `ID_KEY_DIGEST ${snp.idKeyDigest} is not allowed`);
  if (snp.vmpl !== rule.vmpl)
    refuse("POLICY_REJECTED", `the report is from VMPL ${snp.vmpl}, the policy requires VMPL ${rule.vmpl}`);
  const p = snp.policyFlags;
  if (p.migrateMA && !rule.guestPolicy.migrateMA)
    refuse("POLICY_REJECTED", "the guest allows a migration agent");
  if (rule.guestPolicy.smt === "required" && !p.smt)
    refuse("POLICY_REJECTED", "the guest policy does not allow SMT");
  if (rule.guestPolicy.smt === "forbidden" && p.smt) refuse("POLICY_REJECTED", "the guest policy allows SMT");
  if (rule.guestPolicy.singleSocket === "required" && !p.singleSocket)
    refuse("POLICY_REJECTED", "the guest policy does not require a single socket");
  if (snp.guestSvn < rule.minGuestSvn)
    refuse("SVN_TOO_LOW", `GUEST_SVN ${snp.guestSvn} is below the minimum ${rule.minGuestSvn}`);
  if (rule.minTcb) {
    const t = snp.reportedTcb;
    const parts: [string, number, number | null][] = [
      ["bootloader", t.bootloader, rule.minTcb.bootloader],
      ["TEE", t.tee, rule.minTcb.tee],
      ["SNP", t.snp, rule.minTcb.snp],
      ["microcode", t.microcode, rule.minTcb.microcode],
      ["FMC", t.fmc ?? 0, t.fmc === null ? null : rule.minTcb.fmc],
    ];
    for (const [name, got, min] of parts)
      if (min !== null && got < min)
        refuse("SVN_TOO_LOW", `reported ${name} SPL ${got} is below the minimum ${min}`);
  }
}

/**
 * Applies `policy` for `service` to evidence that already passed cryptographic verification
 * (and, for simulation, the allowSimulation + pinned-root gate).
 */
export function evaluatePolicy(evidence: VerifiedEvidence, policy: Policy, service: string, now: Date): void {
  const rule = serviceEntry(policy, service);
  const tee = evidence.tee === "simulation" ? (evidence.tdx ? "tdx" : "sgx") : evidence.tee;
  if (rule.tee !== tee)
    refuse("POLICY_REJECTED", `service "${service}" expects ${rule.tee} evidence, got ${evidence.tee}`);
  if (evidence.tee === "simulation") {
    if (!policy.allowSimulation)
      refuse("SIMULATION_REFUSED", "simulation evidence is refused by this policy");
  } else if (evidence.debug && !rule.allowDebug) {
    refuse(
      "DEBUG_REFUSED",
      `the ${evidence.tee} evidence comes from a debug ${evidence.tee === "sgx" ? "enclave" : evidence.tee === "tdx" ? "TD" : "guest"}`,
    );
  }
  if (evidence.tee === "sgx" || evidence.tee === "tdx") {
    if (evidence.tcb) checkTcb(evidence.tcb, policy, now);
    else if (policy.collateral.required)
      refuse("COLLATERAL_MISSING", "the policy requires collateral and a TCB status");
  }
  if (rule.tee === "sgx") checkSgx(evidence, rule, service);
  else if (rule.tee === "tdx") checkTdx(evidence, rule, service);
  else checkSnp(evidence, rule, service);
}
