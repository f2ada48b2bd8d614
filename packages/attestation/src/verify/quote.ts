// Parser for Intel DCAP ECDSA quotes: SGX quote v3, TDX quote v4, and the v5 wrapper (SGX, TD 1.0,
// TD 1.5 bodies); layouts in spec attestation.md §1.1-§1.5. Every length field is attacker-controlled:
// it must fit in what remains, and the nested lengths of the signature data must add up exactly.
// Bytes after the signature data are padding (real quotes carry some) and are ignored.

import { AttestationError } from "../errors.js";
import type { SgxClaims, TdxClaims } from "../types.js";
import { ByteReader, readU16, readU32, toHex } from "./bytes.js";

export const QUOTE_HEADER_SIZE = 48;
export const SGX_REPORT_BODY_SIZE = 384;
export const TD10_REPORT_BODY_SIZE = 584;
export const TD15_REPORT_BODY_SIZE = 648;
export const TEE_TYPE_SGX = 0x00000000;
export const TEE_TYPE_TDX = 0x00000081;
export const ATTESTATION_KEY_TYPE_ECDSA_P256 = 2;
export const CERT_TYPE_PCK_CHAIN = 5;
export const CERT_TYPE_QE_REPORT = 6;

/** Default upper bound on a quote's size; real quotes are 4-8 KiB. */
export const DEFAULT_MAX_QUOTE_BYTES = 64 * 1024;

export type BodyType = "sgx" | "td10" | "td15";

export interface Region {
  start: number;
  end: number;
}

export type QuoteRegionName =
  | "header"
  | "body"
  | "signature"
  | "attestationKey"
  | "qeReport"
  | "qeReportSignature"
  | "qeAuthData"
  | "certificationData";

export interface SgxReportBody extends SgxClaims {
  reportData: Uint8Array;
  debug: boolean;
}

export interface TdReportBody extends TdxClaims {
  teeTcbSvnBytes: Uint8Array;
  teeTcbSvn2Bytes: Uint8Array | null;
  reportData: Uint8Array;
  debug: boolean;
  septVeDisable: boolean;
}

export interface ParsedQuote {
  version: 3 | 4 | 5;
  attestationKeyType: number;
  teeType: number;
  qeSvn: number;
  pceSvn: number;
  qeVendorId: string;
  userData: string;
  bodyType: BodyType;
  sgx: SgxReportBody | null;
  td: TdReportBody | null;
  reportData: Uint8Array;
  /** Bytes covered by the attestation key's signature: header ‖ (v5 body descriptor) ‖ body. */
  signedRegion: Uint8Array;
  signature: Uint8Array;
  attestationKey: Uint8Array;
  qeReport: Uint8Array;
  qeReportBody: SgxReportBody;
  qeReportSignature: Uint8Array;
  qeAuthData: Uint8Array;
  certificationType: number;
  certificationData: Uint8Array;
  /** Where each part sits in the input, for diagnostics and tamper tests. */
  regions: Record<QuoteRegionName, Region>;
  /** Bytes used by the quote; anything after is padding. */
  length: number;
}

function hex(bytes: Uint8Array, start: number, end: number): string {
  return toHex(bytes.subarray(start, end));
}

export function decodeSgxReportBody(b: Uint8Array): SgxReportBody {
  if (b.length !== SGX_REPORT_BODY_SIZE)
    throw new AttestationError("MALFORMED_EVIDENCE", "SGX report body must be 384 bytes");
  return {
    cpuSvn: hex(b, 0, 16),
    miscselect: readU32(b, 16),
    isvExtProdId: hex(b, 32, 48),
    attributes: hex(b, 48, 64),
    mrenclave: hex(b, 64, 96),
    mrsigner: hex(b, 128, 160),
    configId: hex(b, 192, 256),
    isvProdId: readU16(b, 256),
    isvSvn: readU16(b, 258),
    configSvn: readU16(b, 260),
    isvFamilyId: hex(b, 304, 320),
    reportData: b.subarray(320, 384),
    debug: (b[48]! & 0x02) !== 0,
  };
}

export function decodeTdReportBody(b: Uint8Array): TdReportBody {
  const td15 = b.length === TD15_REPORT_BODY_SIZE;
  if (!td15 && b.length !== TD10_REPORT_BODY_SIZE)
    throw new AttestationError("MALFORMED_EVIDENCE", "TD report body must be 584 or 648 bytes");
  return {
    teeTcbSvn: hex(b, 0, 16),
    teeTcbSvnBytes: b.subarray(0, 16),
    mrSeam: hex(b, 16, 64),
    mrSignerSeam: hex(b, 64, 112),
    seamAttributes: hex(b, 112, 120),
    tdAttributes: hex(b, 120, 128),
    xfam: hex(b, 128, 136),
    mrtd: hex(b, 136, 184),
    mrConfigId: hex(b, 184, 232),
    mrOwner: hex(b, 232, 280),
    mrOwnerConfig: hex(b, 280, 328),
    rtmr: [hex(b, 328, 376), hex(b, 376, 424), hex(b, 424, 472), hex(b, 472, 520)],
    reportData: b.subarray(520, 584),
    teeTcbSvn2: td15 ? hex(b, 584, 600) : null,
    teeTcbSvn2Bytes: td15 ? b.subarray(584, 600) : null,
    mrServiceTd: td15 ? hex(b, 600, 648) : null,
    debug: (b[120]! & 0x01) !== 0,
    // TDATTRIBUTES bit 28 (SEPT_VE_DISABLE) lives in byte 3, bit 4 of the little-endian u64.
    septVeDisable: (b[123]! & 0x10) !== 0,
  };
}

interface Layout {
  version: 3 | 4 | 5;
  teeType: number;
  bodyType: BodyType;
  bodyStart: number;
  bodySize: number;
}

function layout(q: Uint8Array): Layout {
  const version = readU16(q, 0);
  const teeType = readU32(q, 4);
  if (version === 1 || version === 2)
    throw new AttestationError("UNSUPPORTED_EVIDENCE", `EPID quotes (version ${version}) are not supported`);
  if (version === 3) {
    // In v3 bytes 4..8 are reserved; every v3 quote is SGX.
    return {
      version,
      teeType: TEE_TYPE_SGX,
      bodyType: "sgx",
      bodyStart: QUOTE_HEADER_SIZE,
      bodySize: SGX_REPORT_BODY_SIZE,
    };
  }
  if (version === 4) {
    if (teeType === TEE_TYPE_TDX)
      return {
        version,
        teeType,
        bodyType: "td10",
        bodyStart: QUOTE_HEADER_SIZE,
        bodySize: TD10_REPORT_BODY_SIZE,
      };
    if (teeType === TEE_TYPE_SGX)
      throw new AttestationError("UNSUPPORTED_EVIDENCE", "SGX quotes in the v4 layout are not supported");
    throw new AttestationError(
      "MALFORMED_EVIDENCE",
      `unknown TEE type 0x${teeType.toString(16)} in quote v4`,
    );
  }
  if (version === 5) {
    if (q.length < QUOTE_HEADER_SIZE + 6)
      throw new AttestationError("MALFORMED_EVIDENCE", "truncated evidence: quote v5 body descriptor");
    const type = readU16(q, 48);
    const size = readU32(q, 50);
    const expected: Record<number, [BodyType, number, number]> = {
      1: ["sgx", SGX_REPORT_BODY_SIZE, TEE_TYPE_SGX],
      2: ["td10", TD10_REPORT_BODY_SIZE, TEE_TYPE_TDX],
      3: ["td15", TD15_REPORT_BODY_SIZE, TEE_TYPE_TDX],
    };
    const e = expected[type];
    if (!e) throw new AttestationError("MALFORMED_EVIDENCE", `unknown quote v5 body type ${type}`);
    if (size !== e[1])
      throw new AttestationError(
        "MALFORMED_EVIDENCE",
        `quote v5 body type ${type} must be ${e[1]} bytes, header says ${size}`,
      );
    if (teeType !== e[2])
      throw new AttestationError(
        "MALFORMED_EVIDENCE",
        `quote v5 TEE type 0x${teeType.toString(16)} does not match body type ${type}`,
      );
    return { version, teeType, bodyType: e[0], bodyStart: QUOTE_HEADER_SIZE + 6, bodySize: size };
  }
  throw new AttestationError("MALFORMED_EVIDENCE", `unknown quote version ${version}`);
}

/** Parses a DCAP quote. Throws MALFORMED_EVIDENCE / UNSUPPORTED_EVIDENCE; never reads out of bounds. */
export function parseQuote(quote: Uint8Array, options: { maxBytes?: number } = {}): ParsedQuote {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_QUOTE_BYTES;
  if (quote.length > maxBytes)
    throw new AttestationError(
      "MALFORMED_EVIDENCE",
      `quote of ${quote.length} bytes exceeds the limit of ${maxBytes}`,
    );
  if (quote.length < QUOTE_HEADER_SIZE)
    throw new AttestationError(
      "MALFORMED_EVIDENCE",
      `truncated evidence: quote header needs 48 bytes, got ${quote.length}`,
    );
  const l = layout(quote);
  const attestationKeyType = readU16(quote, 2);
  if (attestationKeyType !== ATTESTATION_KEY_TYPE_ECDSA_P256) {
    throw new AttestationError(
      "UNSUPPORTED_EVIDENCE",
      `attestation key type ${attestationKeyType} is not ECDSA P-256`,
    );
  }
  const reader = new ByteReader(quote, l.bodyStart);
  const body = reader.take(l.bodySize, "report body");
  const signedEnd = reader.offset;
  const sigDataLen = reader.u32("signature data length");
  const sigStart = reader.offset;
  // The signature data must fit entirely; what follows it is padding.
  if (sigDataLen > reader.remaining) {
    throw new AttestationError(
      "MALFORMED_EVIDENCE",
      `truncated evidence: signature data length ${sigDataLen} exceeds the ${reader.remaining} bytes left`,
    );
  }
  const sig = new ByteReader(quote, sigStart, sigStart + sigDataLen);
  const region = (start: number, end: number): Region => ({ start, end });
  const regions: Partial<Record<QuoteRegionName, Region>> = {
    header: region(0, QUOTE_HEADER_SIZE),
    body: region(l.bodyStart, signedEnd),
  };
  let at = sig.offset;
  const signature = sig.take(64, "quote signature");
  regions.signature = region(at, sig.offset);
  at = sig.offset;
  const attestationKey = sig.take(64, "attestation key");
  regions.attestationKey = region(at, sig.offset);

  let inner = sig;
  if (l.version !== 3) {
    const outerType = sig.u16("certification data type");
    const outerSize = sig.u32("certification data size");
    if (outerType !== CERT_TYPE_QE_REPORT) {
      throw new AttestationError(
        "UNSUPPORTED_EVIDENCE",
        `quote v${l.version} certification data type ${outerType} (expected 6, QE report)`,
      );
    }
    if (outerSize !== sig.remaining) {
      throw new AttestationError(
        "MALFORMED_EVIDENCE",
        `inconsistent lengths: QE report certification data says ${outerSize} bytes, ${sig.remaining} remain`,
      );
    }
    inner = new ByteReader(quote, sig.offset, sig.offset + outerSize);
  }
  at = inner.offset;
  const qeReport = inner.take(SGX_REPORT_BODY_SIZE, "QE report");
  regions.qeReport = region(at, inner.offset);
  at = inner.offset;
  const qeReportSignature = inner.take(64, "QE report signature");
  regions.qeReportSignature = region(at, inner.offset);
  const authSize = inner.u16("QE auth data size");
  at = inner.offset;
  const qeAuthData = inner.take(authSize, "QE auth data");
  regions.qeAuthData = region(at, inner.offset);
  const certificationType = inner.u16("certification data type");
  const certSize = inner.u32("certification data size");
  at = inner.offset;
  const certificationData = inner.take(certSize, "certification data");
  regions.certificationData = region(at, inner.offset);
  if (inner.remaining !== 0) {
    throw new AttestationError(
      "MALFORMED_EVIDENCE",
      `inconsistent lengths: ${inner.remaining} unaccounted bytes in the signature data`,
    );
  }

  const sgx = l.bodyType === "sgx" ? decodeSgxReportBody(body) : null;
  const td = l.bodyType === "sgx" ? null : decodeTdReportBody(body);
  return {
    version: l.version,
    attestationKeyType,
    teeType: l.teeType,
    qeSvn: readU16(quote, 8),
    pceSvn: readU16(quote, 10),
    qeVendorId: hex(quote, 12, 28),
    userData: hex(quote, 28, 48),
    bodyType: l.bodyType,
    sgx,
    td,
    reportData: (sgx ?? td)!.reportData,
    signedRegion: quote.subarray(0, signedEnd),
    signature,
    attestationKey,
    qeReport,
    qeReportBody: decodeSgxReportBody(qeReport),
    qeReportSignature,
    qeAuthData,
    certificationType,
    certificationData,
    regions: regions as Record<QuoteRegionName, Region>,
    length: sigStart + sigDataLen,
  };
}
