// Parser for AMD SEV-SNP ATTESTATION_REPORT (0x4A0 bytes; spec attestation.md §4.1, AMD SEV-SNP ABI).
// The signature is ECDSA P-384 over bytes [0, 0x2A0), stored as little-endian 72-byte R and S.

import { AttestationError } from "../errors.js";
import type { SnpProduct, SnpTcb } from "../types.js";
import { isAllZero, readU32, toHex, u64Hex } from "./bytes.js";

export const SNP_REPORT_SIZE = 0x4a0;
export const SNP_SIGNED_SIZE = 0x2a0;

export type SnpRegionName =
  "signedBody" | "reportData" | "measurement" | "reportedTcb" | "chipId" | "signature";

export interface ParsedSnpReport {
  version: number;
  guestSvn: number;
  policy: bigint;
  policyHex: string;
  familyId: string;
  imageId: string;
  vmpl: number;
  signatureAlgorithm: number;
  currentTcb: Uint8Array;
  platformInfo: string;
  authorKeyEnabled: boolean;
  maskChipKey: boolean;
  signingKey: "vcek" | "vlek" | "none";
  reportData: Uint8Array;
  measurement: string;
  hostData: string;
  idKeyDigest: string;
  authorKeyDigest: string;
  reportId: string;
  reportIdMa: string;
  reportedTcb: Uint8Array;
  /** CPUID family/model/stepping (report version 3 and later), else null. */
  cpuid: { family: number; model: number; stepping: number } | null;
  chipId: Uint8Array;
  committedTcb: Uint8Array;
  launchTcb: Uint8Array;
  signedRegion: Uint8Array;
  /** r ‖ s, 48 bytes each, big-endian (IEEE P1363). */
  signature: Uint8Array;
  regions: Record<SnpRegionName, { start: number; end: number }>;
}

export const SNP_POLICY = {
  SMT: 1n << 16n,
  MIGRATE_MA: 1n << 18n,
  DEBUG: 1n << 19n,
  SINGLE_SOCKET: 1n << 20n,
} as const;

function leToBe48(le: Uint8Array, what: string): Uint8Array {
  // 72-byte little-endian integer, zero-extended: only the low 48 bytes may be non-zero.
  if (!isAllZero(le.subarray(48, 72)))
    throw new AttestationError("MALFORMED_EVIDENCE", `SNP report signature ${what} is out of range`);
  return Uint8Array.from(le.subarray(0, 48)).reverse();
}

export function parseSnpReport(report: Uint8Array): ParsedSnpReport {
  if (report.length !== SNP_REPORT_SIZE) {
    throw new AttestationError(
      "MALFORMED_EVIDENCE",
      `an SEV-SNP report is ${SNP_REPORT_SIZE} bytes, got ${report.length}`,
    );
  }
  const version = readU32(report, 0x00);
  if (version < 2 || version > 5)
    throw new AttestationError("UNSUPPORTED_EVIDENCE", `SEV-SNP report version ${version} is not supported`);
  const signatureAlgorithm = readU32(report, 0x34);
  if (signatureAlgorithm !== 1)
    throw new AttestationError(
      "UNSUPPORTED_EVIDENCE",
      `SEV-SNP signature algorithm ${signatureAlgorithm} is not ECDSA P-384`,
    );
  const vmpl = readU32(report, 0x30);
  if (vmpl > 3) throw new AttestationError("MALFORMED_EVIDENCE", `SEV-SNP VMPL ${vmpl} is out of range`);
  const flags = readU32(report, 0x48);
  const keySel = (flags >> 2) & 0x7;
  const signingKey = keySel === 0 ? "vcek" : keySel === 1 ? "vlek" : keySel === 7 ? "none" : null;
  if (!signingKey)
    throw new AttestationError("MALFORMED_EVIDENCE", `SEV-SNP SIGNING_KEY ${keySel} is reserved`);
  if (!isAllZero(report.subarray(0x2a0 + 144, SNP_REPORT_SIZE))) {
    throw new AttestationError("MALFORMED_EVIDENCE", "SEV-SNP signature padding is not zero");
  }
  const r = leToBe48(report.subarray(0x2a0, 0x2e8), "R");
  const s = leToBe48(report.subarray(0x2e8, 0x330), "S");
  const policyHex = u64Hex(report, 0x08);
  const hex = (a: number, b: number): string => toHex(report.subarray(a, b));
  return {
    version,
    guestSvn: readU32(report, 0x04),
    policy: BigInt(`0x${policyHex}`),
    policyHex,
    familyId: hex(0x10, 0x20),
    imageId: hex(0x20, 0x30),
    vmpl,
    signatureAlgorithm,
    currentTcb: report.subarray(0x38, 0x40),
    platformInfo: u64Hex(report, 0x40),
    authorKeyEnabled: (flags & 1) !== 0,
    maskChipKey: (flags & 2) !== 0,
    signingKey,
    reportData: report.subarray(0x50, 0x90),
    measurement: hex(0x90, 0xc0),
    hostData: hex(0xc0, 0xe0),
    idKeyDigest: hex(0xe0, 0x110),
    authorKeyDigest: hex(0x110, 0x140),
    reportId: hex(0x140, 0x160),
    reportIdMa: hex(0x160, 0x180),
    reportedTcb: report.subarray(0x180, 0x188),
    cpuid: version >= 3 ? { family: report[0x188]!, model: report[0x189]!, stepping: report[0x18a]! } : null,
    chipId: report.subarray(0x1a0, 0x1e0),
    committedTcb: report.subarray(0x1e0, 0x1e8),
    launchTcb: report.subarray(0x1f0, 0x1f8),
    signedRegion: report.subarray(0, SNP_SIGNED_SIZE),
    signature: Buffer.concat([r, s]),
    regions: {
      signedBody: { start: 0, end: SNP_SIGNED_SIZE },
      reportData: { start: 0x50, end: 0x90 },
      measurement: { start: 0x90, end: 0xc0 },
      reportedTcb: { start: 0x180, end: 0x188 },
      chipId: { start: 0x1a0, end: 0x1e0 },
      signature: { start: 0x2a0, end: 0x330 },
    },
  };
}

/** Decodes a TCB_VERSION for a product: Milan/Genoa and Turin lay the SPLs out differently. */
export function decodeSnpTcb(raw: Uint8Array, product: SnpProduct): SnpTcb {
  if (product === "Turin")
    return { fmc: raw[0]!, bootloader: raw[1]!, tee: raw[2]!, snp: raw[3]!, microcode: raw[7]! };
  return { bootloader: raw[0]!, tee: raw[1]!, snp: raw[6]!, microcode: raw[7]!, fmc: null };
}

/** The product a report's CPUID fields name (report version 3+), or null when unknown. */
export function productFromCpuid(cpuid: ParsedSnpReport["cpuid"]): SnpProduct | null {
  if (!cpuid) return null;
  if (cpuid.family === 0x19) {
    if (cpuid.model <= 0x0f) return "Milan";
    if ((cpuid.model >= 0x10 && cpuid.model <= 0x1f) || (cpuid.model >= 0xa0 && cpuid.model <= 0xaf))
      return "Genoa";
  }
  if (cpuid.family === 0x1a && cpuid.model <= 0x1f) return "Turin";
  return null;
}
