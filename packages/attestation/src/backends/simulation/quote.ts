// Writes SGX DCAP quote v3 bytes (spec attestation.md §1.1, §1.2, §1.5) so that simulation evidence
// runs through exactly the parser and verifier code paths real SGX evidence does.

import { createHash, sign, type KeyObject } from "node:crypto";

export const QUOTE_V3 = {
  HEADER_LENGTH: 48,
  BODY_LENGTH: 384,
  /** header ‖ report body: the region the attestation key signs. */
  SIGNED_LENGTH: 432,
  BODY_OFFSET: 48,
  MRENCLAVE_OFFSET: 112,
  MRSIGNER_OFFSET: 176,
  REPORT_DATA_OFFSET: 368,
  /** Certification data type 5: PEM chain PCK leaf ‖ intermediate ‖ root. */
  CERT_TYPE_PCK_CHAIN: 5,
} as const;

/** SGX ATTRIBUTES.FLAGS bits (spec §1.2). */
export const SGX_FLAGS = { INIT: 0x01n, DEBUG: 0x02n, MODE64BIT: 0x04n, PROVISIONKEY: 0x10n } as const;

export interface ReportBodyFields {
  cpuSvn: Uint8Array; // 16
  miscSelect: number;
  /** ATTRIBUTES.FLAGS (u64) and XFRM (u64). */
  flags: bigint;
  xfrm: bigint;
  mrEnclave: Uint8Array; // 32
  mrSigner: Uint8Array; // 32
  isvProdId: number;
  isvSvn: number;
  reportData: Uint8Array; // 64
}

export function encodeReportBody(f: ReportBodyFields): Buffer {
  const body = Buffer.alloc(QUOTE_V3.BODY_LENGTH);
  Buffer.from(f.cpuSvn).copy(body, 0, 0, 16);
  body.writeUInt32LE(f.miscSelect, 16);
  body.writeBigUInt64LE(f.flags, 48);
  body.writeBigUInt64LE(f.xfrm, 56);
  Buffer.from(f.mrEnclave).copy(body, 64, 0, 32);
  Buffer.from(f.mrSigner).copy(body, 128, 0, 32);
  body.writeUInt16LE(f.isvProdId, 256);
  body.writeUInt16LE(f.isvSvn, 258);
  Buffer.from(f.reportData).copy(body, 320, 0, 64);
  return body;
}

export interface QuoteV3Input {
  qeSvn: number;
  pceSvn: number;
  qeVendorId: Uint8Array; // 16
  /** First 16 bytes of user_data (the QE ID); the last 4 are zero. */
  qeId: Uint8Array; // 16
  body: ReportBodyFields;
  /** The quote's attestation key (P-256); its raw x‖y goes into the signature data. */
  attestationKey: { privateKey: KeyObject; publicKey: KeyObject };
  /** The QE report body fields except report_data, which binds the attestation key. */
  qeReport: Omit<ReportBodyFields, "reportData">;
  /** Signs the QE report: the PCK leaf key. */
  pckKey: KeyObject;
  qeAuthData: Uint8Array;
  /** Certification data type 5 payload: the PEM chain, leaf first. */
  pckChainPem: string;
}

function rawP256(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  return Buffer.concat([
    Buffer.from(jwk.x as string, "base64url"),
    Buffer.from(jwk.y as string, "base64url"),
  ]);
}

/** DCAP signatures are raw r‖s (IEEE P1363), not DER. */
function p1363(data: Uint8Array, key: KeyObject): Buffer {
  return sign("sha256", data, { key, dsaEncoding: "ieee-p1363" });
}

export function buildQuoteV3(q: QuoteV3Input): Buffer {
  const header = Buffer.alloc(QUOTE_V3.HEADER_LENGTH);
  header.writeUInt16LE(3, 0); // version
  header.writeUInt16LE(2, 2); // att_key_type: ECDSA-256-with-P-256
  header.writeUInt32LE(0, 4);
  header.writeUInt16LE(q.qeSvn, 8);
  header.writeUInt16LE(q.pceSvn, 10);
  Buffer.from(q.qeVendorId).copy(header, 12, 0, 16);
  Buffer.from(q.qeId).copy(header, 28, 0, 16);
  const signed = Buffer.concat([header, encodeReportBody(q.body)]);

  const attKey = rawP256(q.attestationKey.publicKey);
  // QE report_data = SHA-256(attestation key ‖ QE auth data) ‖ 0³² (spec §1.8 step 5).
  const qeReportData = Buffer.alloc(64);
  createHash("sha256").update(attKey).update(q.qeAuthData).digest().copy(qeReportData);
  const qeReport = encodeReportBody({ ...q.qeReport, reportData: qeReportData });

  // The chain is NUL-terminated like the one Intel's quote provider emits.
  const certData = Buffer.concat([Buffer.from(q.pckChainPem, "ascii"), Buffer.from([0])]);
  const u16 = (n: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(n);
    return b;
  };
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const signatureData = Buffer.concat([
    p1363(signed, q.attestationKey.privateKey),
    attKey,
    qeReport,
    p1363(qeReport, q.pckKey),
    u16(q.qeAuthData.length),
    q.qeAuthData,
    u16(QUOTE_V3.CERT_TYPE_PCK_CHAIN),
    u32(certData.length),
    certData,
  ]);
  return Buffer.concat([signed, u32(signatureData.length), signatureData]);
}
