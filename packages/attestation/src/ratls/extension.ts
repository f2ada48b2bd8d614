// The interoperable RA-TLS evidence extension (spec attestation.md §3, §7.2):
// OID 2.23.133.5.4.9, value = CBOR tag(T)([bstr evidence, bstr claims]). T names the evidence
// format: 60000 for Intel SGX/TDX quotes (Gramine, Intel SGX SDK), 0x1a7504 for SEV-SNP reports
// (rats-tls), and a private tag for MesaTEE simulation evidence.

import type { Evidence, EvidenceFormat } from "../types.js";
import { CborTag, decodeCbor, encodeCbor } from "./cbor.js";
import { RaTlsError } from "./errors.js";

export const RATLS_EVIDENCE_OID = "2.23.133.5.4.9";

/** Evidence under OIDs other conventions use; recognised only to refuse them with a clear code. */
export const FOREIGN_EVIDENCE_OIDS: Readonly<Record<string, string>> = {
  "2.16.840.1.113730.1.13": "Teaclave endorsed report (Netscape comment)",
  "1.2.840.113741.1337.6": "Gramine legacy RA-TLS",
  "0.6.9.42.840.113741.1337.6": "Gramine legacy RA-TLS (mis-encoded OID)",
  "1.2.840.113741.1.13.1": "Intel SGX SDK raw quote",
  "1.3.6.1.4.1.311.105.1": "Open Enclave report",
  "1.2.840.113556.10.1.1": "Open Enclave report (old OID)",
  "1.3.6.1.5.5.7.1.35": "IETF conceptual message wrapper",
};

export const EVIDENCE_TAG = {
  /** TCG DICE tagged evidence for Intel SGX/TDX quotes (what Gramine and the Intel SDK emit). */
  INTEL_QUOTE: 60000,
  /** rats-tls "Intel TEE quote". */
  RATS_INTEL_QUOTE: 0x1a7501,
  /** rats-tls SEV-SNP report. */
  SNP_REPORT: 0x1a7504,
  /** MesaTEE simulation evidence (SGX quote v3 layout, simulation PCK chain). Private-use value. */
  SIMULATION: 0x4d535631, // "MSV1"
} as const;

export const MAX_EVIDENCE_LENGTH = 32 * 1024;

function tagFor(format: EvidenceFormat): number {
  switch (format) {
    case "sgx-dcap-quote":
    case "tdx-dcap-quote":
      return EVIDENCE_TAG.INTEL_QUOTE;
    case "snp-report":
      return EVIDENCE_TAG.SNP_REPORT;
    case "sim-v1":
      return EVIDENCE_TAG.SIMULATION;
  }
}

export function encodeEvidenceExtension(evidence: Evidence, claims: Uint8Array): Buffer {
  if (evidence.raw.length > MAX_EVIDENCE_LENGTH) {
    throw new RaTlsError("INVALID_ARGUMENT", `evidence longer than ${MAX_EVIDENCE_LENGTH} bytes`);
  }
  return encodeCbor(new CborTag(tagFor(evidence.format), [evidence.raw, claims]));
}

/** Intel quotes share one tag; the header's tee_type tells SGX (0) from TDX (0x81). */
function intelFormat(raw: Uint8Array): EvidenceFormat {
  if (raw.length < 48) throw new RaTlsError("EVIDENCE_MALFORMED", "quote shorter than its header");
  const view = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return view.readUInt32LE(4) === 0x81 ? "tdx-dcap-quote" : "sgx-dcap-quote";
}

export interface DecodedEvidenceExtension {
  evidence: Evidence;
  /** The claims exactly as carried: report_data is a hash over these bytes. */
  claims: Uint8Array;
}

export function decodeEvidenceExtension(value: Uint8Array): DecodedEvidenceExtension {
  const item = decodeCbor(value, { maxDepth: 2, maxItems: 4 });
  if (!(item instanceof CborTag))
    throw new RaTlsError("EVIDENCE_MALFORMED", "evidence extension is not a CBOR tag");
  const body = item.value;
  if (!Array.isArray(body) || body.length !== 2) {
    throw new RaTlsError("EVIDENCE_MALFORMED", "evidence extension is not [evidence, claims]");
  }
  const [raw, claims] = body;
  if (!(raw instanceof Uint8Array) || !(claims instanceof Uint8Array)) {
    throw new RaTlsError("EVIDENCE_MALFORMED", "evidence and claims must be byte strings");
  }
  if (raw.length === 0 || raw.length > MAX_EVIDENCE_LENGTH) {
    throw new RaTlsError("EVIDENCE_MALFORMED", `evidence must be 1..${MAX_EVIDENCE_LENGTH} bytes`);
  }
  let format: EvidenceFormat;
  switch (item.tag) {
    case EVIDENCE_TAG.INTEL_QUOTE:
    case EVIDENCE_TAG.RATS_INTEL_QUOTE:
      format = intelFormat(raw);
      break;
    case EVIDENCE_TAG.SNP_REPORT:
      format = "snp-report";
      break;
    case EVIDENCE_TAG.SIMULATION:
      format = "sim-v1";
      break;
    default:
      throw new RaTlsError("EVIDENCE_UNKNOWN_FORMAT", `unknown evidence tag ${item.tag}`);
  }
  return { evidence: { format, raw }, claims };
}
