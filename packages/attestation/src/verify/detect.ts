// Tells what a file of evidence is: an Intel DCAP quote (SGX v3, TDX v4/v5), an SEV-SNP report, or
// an RA-TLS certificate; binary, hex text, or PEM. Detection only picks the parser; the parser
// and the verifier still check everything.

import { AttestationError } from "../errors.js";
import { asBuffer, readU16, readU32 } from "./bytes.js";
import { splitPem } from "./certificate.js";
import { SNP_REPORT_SIZE } from "./snp-report.js";

export type DetectedEvidence =
  | { kind: "sgx-quote" | "tdx-quote" | "snp-report"; bytes: Uint8Array }
  | { kind: "ratls-certificate"; der: Buffer };

const MAX_INPUT = 1024 * 1024;

function isText(bytes: Uint8Array): boolean {
  for (const b of bytes) if (b !== 0x09 && b !== 0x0a && b !== 0x0d && (b < 0x20 || b > 0x7e)) return false;
  return true;
}

function detectBinary(b: Uint8Array): DetectedEvidence | null {
  if (b.length >= 48) {
    const version = readU16(b, 0);
    const keyType = readU16(b, 2);
    if (keyType === 2 && (version === 3 || version === 4 || version === 5)) {
      const tee = readU32(b, 4);
      if (version === 3) return { kind: "sgx-quote", bytes: b };
      return { kind: tee === 0x81 ? "tdx-quote" : "sgx-quote", bytes: b };
    }
  }
  if (b.length === SNP_REPORT_SIZE) {
    const version = readU32(b, 0);
    if (version >= 2 && version <= 5 && readU32(b, 0x34) === 1) return { kind: "snp-report", bytes: b };
  }
  // DER SEQUENCE with a long-form length: a certificate candidate (parsed properly later).
  if (b.length > 4 && b[0] === 0x30 && (b[1] === 0x82 || b[1] === 0x83))
    return { kind: "ratls-certificate", der: asBuffer(b) };
  return null;
}

export function detectEvidence(input: Uint8Array): DetectedEvidence {
  if (input.length === 0) throw new AttestationError("MALFORMED_EVIDENCE", "the evidence is empty");
  if (input.length > MAX_INPUT)
    throw new AttestationError("MALFORMED_EVIDENCE", `the evidence is larger than ${MAX_INPUT} bytes`);
  if (isText(input)) {
    const text = asBuffer(input).toString("latin1");
    if (text.includes("-----BEGIN CERTIFICATE-----")) {
      const [der] = splitPem(text, "certificate");
      if (!der) throw new AttestationError("MALFORMED_EVIDENCE", "the PEM certificate is not valid base64");
      return { kind: "ratls-certificate", der };
    }
    const hex = text.replace(/\s+/g, "");
    if (hex.length > 0 && /^(?:[0-9a-fA-F]{2})+$/.test(hex)) {
      const decoded = detectBinary(Buffer.from(hex, "hex"));
      if (decoded) return decoded;
    }
  }
  const binary = detectBinary(input);
  if (binary) return binary;
  throw new AttestationError(
    "MALFORMED_EVIDENCE",
    "unrecognised evidence: not a DCAP quote, an SEV-SNP report or a certificate",
  );
}
