// The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1, spec attestation.md §1.6):
// a SEQUENCE of SEQUENCE { OID, value } carrying the platform's FMSPC, PCE id, CPUSVN, TCB component
// SVNs and PCESVN. These select the TCB info and decide the TCB level.

import { AttestationError } from "../errors.js";
import type { PckClaims } from "../types.js";
import { OID, type Certificate } from "./certificate.js";
import {
  TAG,
  children,
  decodeOctets,
  decodeOid,
  decodeSmallUint,
  expectTag,
  parseDer,
  type Tlv,
} from "../der.js";

const SGX = OID.sgxExtension;

export interface PckExtension extends Omit<PckClaims, "ca"> {
  ppid: string;
  sgxType: number | null;
}

function octetsOfLength(tlv: Tlv, length: number, what: string): Buffer {
  const bytes = decodeOctets(tlv, what);
  if (bytes.length !== length) throw new AttestationError("CHAIN_INVALID", `${what} must be ${length} bytes`);
  return Buffer.from(bytes);
}

/** Parses the SGX extension of a PCK leaf; a leaf without a complete extension is not a PCK certificate. */
export function parsePckExtension(cert: Certificate): PckExtension {
  const ext = cert.extensions.get(SGX);
  if (!ext) throw new AttestationError("CHAIN_INVALID", "the PCK certificate has no SGX extension");
  const what = "SGX extension of the PCK certificate";
  try {
    const entries = new Map<string, Tlv>();
    for (const item of children(expectTag(parseDer(ext.value, what), TAG.SEQUENCE, what), what, 32)) {
      const [oid, value] = children(expectTag(item, TAG.SEQUENCE, what), what);
      if (!oid || !value) throw new AttestationError("CHAIN_INVALID", `${what} has an empty entry`);
      entries.set(decodeOid(oid, what), value);
    }
    const need = (suffix: string): Tlv => {
      const v = entries.get(`${SGX}.${suffix}`);
      if (!v) throw new AttestationError("CHAIN_INVALID", `${what} lacks ${SGX}.${suffix}`);
      return v;
    };
    const tcb = new Map<string, Tlv>();
    for (const item of children(expectTag(need("2"), TAG.SEQUENCE, what), what, 32)) {
      const [oid, value] = children(expectTag(item, TAG.SEQUENCE, what), what);
      if (!oid || !value) throw new AttestationError("CHAIN_INVALID", `${what} has an empty TCB entry`);
      tcb.set(decodeOid(oid, what), value);
    }
    const tcbNeed = (n: number): Tlv => {
      const v = tcb.get(`${SGX}.2.${n}`);
      if (!v) throw new AttestationError("CHAIN_INVALID", `${what} lacks TCB component ${SGX}.2.${n}`);
      return v;
    };
    const tcbComponents: number[] = [];
    for (let n = 1; n <= 16; n++) {
      const svn = decodeSmallUint(tcbNeed(n), what);
      if (svn > 255) throw new AttestationError("CHAIN_INVALID", `${what}: TCB component ${n} out of range`);
      tcbComponents.push(svn);
    }
    const pceSvn = decodeSmallUint(tcbNeed(17), what);
    if (pceSvn > 0xffff) throw new AttestationError("CHAIN_INVALID", `${what}: PCESVN out of range`);
    const sgxTypeTlv = entries.get(`${SGX}.5`);
    return {
      ppid: octetsOfLength(need("1"), 16, `${what} PPID`).toString("hex"),
      tcbComponents,
      pceSvn,
      cpuSvn: octetsOfLength(tcbNeed(18), 16, `${what} CPUSVN`).toString("hex"),
      pceId: octetsOfLength(need("3"), 2, `${what} PCE-ID`).toString("hex"),
      fmspc: octetsOfLength(need("4"), 6, `${what} FMSPC`).toString("hex"),
      sgxType: sgxTypeTlv ? decodeSmallUint(sgxTypeTlv, what, TAG.ENUMERATED) : null,
    };
  } catch (error) {
    if (error instanceof AttestationError && error.code === "MALFORMED_EVIDENCE") {
      throw new AttestationError("CHAIN_INVALID", error.message, { cause: error });
    }
    throw error;
  }
}

/** Which PCK CA issued the leaf: decides which PCK CRL applies (spec §1.6). */
export function pckCaType(issuerCn: string | null): "processor" | "platform" {
  return issuerCn !== null && /platform/i.test(issuerCn) ? "platform" : "processor";
}
