// Platform TCB status, evaluated the way Intel's QVL does (spec attestation.md §1.8 step 12;
// QVL TcbLevelCheck.cpp, TdxModuleCheck.cpp, TDRelaunchCheck.cpp). Known third-party shortcuts are
// deliberately not taken: TDX components 0-1 are skipped when a TDX module identity is in use, and the
// QE / TDX module statuses are merged with Intel's convergence table, not by "worst severity".

import { AttestationError } from "../errors.js";
import type { TcbResult, TcbStatus } from "../types.js";
import type { IsvTcbLevel, QeIdentity, TcbInfo, TcbLevel, TdxModuleIdentity } from "./collateral.js";

export interface TdTcbInput {
  quoteVersion: number;
  teeTcbSvn: Uint8Array;
  /** TD 1.5 only. */
  teeTcbSvn2: Uint8Array | null;
  mrSignerSeam: string;
  seamAttributes: string;
}

export interface TcbInput {
  tcbInfo: TcbInfo;
  pck: { tcbComponents: readonly number[]; pceSvn: number };
  qeIdentity: QeIdentity;
  qeIsvSvn: number;
  td: TdTcbInput | null;
}

type QeStatus = TcbStatus | "NotSupported";

function firstIsvLevel(levels: readonly IsvTcbLevel[], isvSvn: number): IsvTcbLevel | undefined {
  // Levels are sorted by descending ISVSVN when parsed.
  return levels.find((l) => l.isvSvn <= isvSvn);
}

function sgxMatches(level: TcbLevel, pck: TcbInput["pck"]): boolean {
  for (let i = 0; i < 16; i++) if (pck.tcbComponents[i]! < level.sgxComponents[i]!) return false;
  return pck.pceSvn >= level.pceSvn;
}

function tdxMatches(level: TcbLevel, teeTcbSvn: Uint8Array): boolean {
  if (!level.tdxComponents) return false;
  // With a TDX module identity in use (TEE_TCB_SVN[1] > 0) components 0-1 are judged by the module check.
  for (let i = teeTcbSvn[1]! > 0 ? 2 : 0; i < 16; i++)
    if (teeTcbSvn[i]! < level.tdxComponents[i]!) return false;
  return true;
}

/** QVL `convergeTcbStatusWithQeTcbStatus` / `convergeTcbStatusWithTdxModuleStatus`. */
function converge(status: TcbStatus, other: QeStatus): TcbStatus {
  if (other === "OutOfDate") {
    if (status === "UpToDate" || status === "SWHardeningNeeded") return "OutOfDate";
    if (status === "ConfigurationNeeded" || status === "ConfigurationAndSWHardeningNeeded")
      return "OutOfDateConfigurationNeeded";
  }
  if (other === "Revoked") return "Revoked";
  return status;
}

const CONFIGURATION_NEEDED = new Set<TcbStatus>([
  "ConfigurationNeeded",
  "OutOfDateConfigurationNeeded",
  "ConfigurationAndSWHardeningNeeded",
  "TDRelaunchAdvisedConfigurationNeeded",
]);

function moduleIdentity(tcbInfo: TcbInfo, version: number): TdxModuleIdentity {
  const id = `TDX_${version.toString(16).toUpperCase().padStart(2, "0")}`;
  const identity = tcbInfo.tdxModuleIdentities.find((m) => m.id === id);
  if (!identity)
    throw new AttestationError("TDX_MODULE_MISMATCH", `TCB info has no TDX module identity ${id}`);
  return identity;
}

function maskedEqual(actualHex: string, expectedHex: string, maskHex: string): boolean {
  const a = Buffer.from(actualHex, "hex");
  const e = Buffer.from(expectedHex, "hex");
  const m = Buffer.from(maskHex, "hex");
  if (a.length !== m.length || e.length !== m.length) return false;
  for (let i = 0; i < m.length; i++) if ((a[i]! & m[i]!) !== (e[i]! & m[i]!)) return false;
  return true;
}

function addAll(into: string[], ids: readonly string[]): void {
  for (const id of ids) if (!into.includes(id)) into.push(id);
}

function notSupported(what: string): never {
  throw new AttestationError("TCB_NOT_SUPPORTED", what);
}

/**
 * Evaluates the platform's TCB status. Returns the status (possibly "Revoked": callers refuse it) and
 * the advisories of every TCB level that decided it, in the order platform, TDX module, QE.
 * Throws TCB_NOT_SUPPORTED when no level matches and TDX_MODULE_MISMATCH for an unknown TDX module.
 */
export function evaluateTcb(input: TcbInput): TcbResult {
  const { tcbInfo, pck, td } = input;
  const qeLevel = firstIsvLevel(input.qeIdentity.tcbLevels, input.qeIsvSvn);
  if (!qeLevel) notSupported(`QE ISVSVN ${input.qeIsvSvn} is below every QE identity TCB level`);
  const qeStatus = qeLevel.status;
  const isTdx = td !== null && tcbInfo.id === "TDX";

  let sgxLevel: TcbLevel | undefined;
  let tdxLevel: TcbLevel | undefined;
  for (const level of tcbInfo.tcbLevels) {
    if (!sgxMatches(level, pck)) continue;
    if (!isTdx) {
      sgxLevel = level;
      break;
    }
    sgxLevel ??= level;
    if (tdxMatches(level, td.teeTcbSvn)) {
      tdxLevel = level;
      break;
    }
  }
  if (!sgxLevel) notSupported("no TCB level matches the PCK certificate's SGX TCB components and PCESVN");
  const advisoryIds: string[] = [];

  if (!isTdx) {
    addAll(advisoryIds, sgxLevel.advisoryIds);
    addAll(advisoryIds, qeLevel.advisoryIds);
    return result(converge(sgxLevel.status, qeStatus), advisoryIds, sgxLevel, tcbInfo);
  }

  if (!tdxLevel) notSupported("no TCB level matches the TD's TEE_TCB_SVN");
  addAll(advisoryIds, tdxLevel.advisoryIds);
  const teeTcbSvn = td.teeTcbSvn;

  // TDX module (TdxModuleCheck): identity from TEE_TCB_SVN[1], status from TEE_TCB_SVN[0].
  let moduleStatus: TcbStatus | "OK" = "OK";
  let identity: TdxModuleIdentity | null = null;
  if (!(td.quoteVersion > 3 && teeTcbSvn[1] === 0)) {
    identity = moduleIdentity(tcbInfo, teeTcbSvn[1]!);
    const moduleLevel = firstIsvLevel(identity.tcbLevels, teeTcbSvn[0]!);
    if (!moduleLevel)
      notSupported(`TDX module ISVSVN ${teeTcbSvn[0]} is below every level of ${identity.id}`);
    moduleStatus = moduleLevel.status;
    addAll(advisoryIds, moduleLevel.advisoryIds);
  }
  const expected = identity ?? tcbInfo.tdxModule;
  if (expected) {
    if (td.mrSignerSeam !== expected.mrsigner)
      throw new AttestationError(
        "TDX_MODULE_MISMATCH",
        "MRSIGNERSEAM does not match the TDX module identity",
      );
    if (!maskedEqual(td.seamAttributes, expected.attributes, expected.attributesMask)) {
      throw new AttestationError(
        "TDX_MODULE_MISMATCH",
        "SEAMATTRIBUTES do not match the TDX module identity",
      );
    }
  }

  let status = moduleStatus === "OK" ? tdxLevel.status : converge(tdxLevel.status, moduleStatus);
  if (status !== "Revoked" && td.teeTcbSvn2) {
    status = relaunchCheck(td.teeTcbSvn2, tcbInfo, sgxLevel.status, status, moduleStatus, qeStatus);
  }
  addAll(advisoryIds, qeLevel.advisoryIds);
  return result(converge(status, qeStatus), advisoryIds, tdxLevel, tcbInfo);
}

/** QVL TDRelaunchCheck: an out-of-date TD on an updated platform only needs a relaunch. */
function relaunchCheck(
  svn2: Uint8Array,
  tcbInfo: TcbInfo,
  sgxStatus: TcbStatus,
  tdxStatus: TcbStatus,
  moduleStatus: TcbStatus | "OK",
  qeStatus: QeStatus,
): TcbStatus {
  if (qeStatus === "OutOfDate" || qeStatus === "Revoked") return tdxStatus;
  if (
    !["UpToDate", "SWHardeningNeeded", "ConfigurationNeeded", "ConfigurationAndSWHardeningNeeded"].includes(
      sgxStatus,
    )
  )
    return tdxStatus;
  if (tdxStatus !== "OutOfDate" && tdxStatus !== "OutOfDateConfigurationNeeded") return tdxStatus;
  if (moduleStatus !== "OutOfDate") return tdxStatus;
  const latest = tcbInfo.tcbLevels[0]!;
  const latestTdx = latest.tdxComponents ?? [];
  let moduleCurrent: boolean;
  if (svn2[1] === 0) {
    moduleCurrent = svn2[0]! >= (latestTdx[0] ?? 0);
  } else {
    const latestModule = moduleIdentity(tcbInfo, svn2[1]!).tcbLevels[0];
    if (!latestModule) notSupported("TDX module identity has no TCB levels");
    moduleCurrent = svn2[0]! >= latestModule.isvSvn;
  }
  if (!moduleCurrent || svn2[2]! < (latestTdx[2] ?? 0)) return tdxStatus;
  return CONFIGURATION_NEEDED.has(sgxStatus) || CONFIGURATION_NEEDED.has(tdxStatus)
    ? "TDRelaunchAdvisedConfigurationNeeded"
    : "TDRelaunchAdvised";
}

function result(status: TcbStatus, advisoryIds: string[], level: TcbLevel, tcbInfo: TcbInfo): TcbResult {
  return {
    status,
    advisoryIds,
    tcbDate: level.tcbDate,
    latestTcbDate: tcbInfo.tcbLevels[0]!.tcbDate,
    tcbEvaluationDataNumber: tcbInfo.tcbEvaluationDataNumber,
  };
}
