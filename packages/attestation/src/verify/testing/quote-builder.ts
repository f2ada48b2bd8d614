// Test support: writes DCAP quotes (SGX v3, TDX v4, v5 with any body type) byte for byte, signed
// with real keys, so tests and fuzzers exercise the verifier on evidence whose every field they control.

import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { INTEL_QE_IDENTITY } from "../roots.js";

export interface SgxBodyFields {
  cpuSvn?: Uint8Array;
  miscselect?: number;
  /** 16 bytes: FLAGS (u64 LE) ‖ XFRM (u64 LE). Default INIT|MODE64BIT, or with DEBUG when `debug`. */
  attributes?: Uint8Array;
  debug?: boolean;
  mrenclave?: Uint8Array;
  mrsigner?: Uint8Array;
  isvProdId?: number;
  isvSvn?: number;
  reportData?: Uint8Array;
}

export interface TdBodyFields {
  teeTcbSvn?: Uint8Array;
  mrSeam?: Uint8Array;
  mrSignerSeam?: Uint8Array;
  seamAttributes?: Uint8Array;
  /** 8 bytes (u64 LE). Default: SEPT_VE_DISABLE set; DEBUG added when `debug`. */
  tdAttributes?: Uint8Array;
  debug?: boolean;
  xfam?: Uint8Array;
  mrtd?: Uint8Array;
  mrConfigId?: Uint8Array;
  mrOwner?: Uint8Array;
  mrOwnerConfig?: Uint8Array;
  rtmr?: Uint8Array[];
  reportData?: Uint8Array;
  teeTcbSvn2?: Uint8Array;
  mrServiceTd?: Uint8Array;
}

export interface QeReportFields {
  mrsigner?: Uint8Array;
  isvProdId?: number;
  isvSvn?: number;
  attributes?: Uint8Array;
  miscselect?: number;
}

export interface BuildQuoteOptions {
  version: 3 | 4 | 5;
  /** v5 only: which body (default sgx for v5 with an SGX body, else td10). */
  bodyType?: "sgx" | "td10" | "td15";
  qeVendorId: Uint8Array;
  qeSvn?: number;
  pceSvn?: number;
  sgx?: SgxBodyFields;
  td?: TdBodyFields;
  qe?: QeReportFields;
  qeAuthData?: Uint8Array;
  /** Signs the QE report: the PCK leaf's private key. */
  pckKey: KeyObject;
  /** Certification data (type 5): PEM chain leaf first. */
  pckChainPem: string;
  attestationKey?: { privateKey: KeyObject; publicKey: KeyObject };
  /** Zero bytes appended after the signature data (real quotes carry some). */
  padding?: number;
  /** Override the certification data type (to test refusal of types other than 5). */
  certificationType?: number;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

function put(target: Buffer, offset: number, value: Uint8Array | undefined, length: number): void {
  if (value) Buffer.from(value).copy(target, offset, 0, length);
}

export function sgxBody(f: SgxBodyFields = {}): Buffer {
  const b = Buffer.alloc(384);
  put(b, 0, f.cpuSvn, 16);
  b.writeUInt32LE(f.miscselect ?? 0, 16);
  const attributes = f.attributes
    ? Buffer.from(f.attributes)
    : Buffer.from("0500000000000000e700000000000000", "hex");
  if (f.debug) attributes[0]! |= 0x02;
  put(b, 48, attributes, 16);
  put(b, 64, f.mrenclave ?? createHash("sha256").update("test enclave").digest(), 32);
  put(b, 128, f.mrsigner ?? createHash("sha256").update("test signer").digest(), 32);
  b.writeUInt16LE(f.isvProdId ?? 1, 256);
  b.writeUInt16LE(f.isvSvn ?? 1, 258);
  put(b, 320, f.reportData, 64);
  return b;
}

export function tdBody(f: TdBodyFields = {}, td15 = false): Buffer {
  const b = Buffer.alloc(td15 ? 648 : 584);
  put(b, 0, f.teeTcbSvn, 16);
  put(b, 16, f.mrSeam, 48);
  put(b, 64, f.mrSignerSeam, 48);
  put(b, 112, f.seamAttributes, 8);
  const attrs = f.tdAttributes ? Buffer.from(f.tdAttributes) : Buffer.from("0000001000000000", "hex");
  if (f.debug) attrs[0]! |= 0x01;
  put(b, 120, attrs, 8);
  put(b, 128, f.xfam ?? Buffer.from("e702060000000000", "hex"), 8);
  put(b, 136, f.mrtd ?? createHash("sha384").update("test TD").digest(), 48);
  put(b, 184, f.mrConfigId, 48);
  put(b, 232, f.mrOwner, 48);
  put(b, 280, f.mrOwnerConfig, 48);
  (f.rtmr ?? []).forEach((r, i) => put(b, 328 + 48 * i, r, 48));
  put(b, 520, f.reportData, 64);
  if (td15) {
    put(b, 584, f.teeTcbSvn2, 16);
    put(b, 600, f.mrServiceTd, 48);
  }
  return b;
}

/** The QE report's defaults are Intel's QE (SGX) or TD_QE (TDX) identity. */
export function qeReportBody(f: QeReportFields, tdx: boolean, reportData: Uint8Array): Buffer {
  const pinned = tdx ? INTEL_QE_IDENTITY.tdx : INTEL_QE_IDENTITY.sgx;
  return sgxBody({
    attributes: f.attributes ?? Buffer.from("11000000000000000000000000000000", "hex"),
    miscselect: f.miscselect ?? 0,
    mrenclave: createHash("sha256").update("test QE").digest(),
    mrsigner: f.mrsigner ?? Buffer.from(pinned.mrsigner, "hex"),
    isvProdId: f.isvProdId ?? pinned.isvProdId,
    isvSvn: f.isvSvn ?? 8,
    reportData,
  });
}

export function rawP256(publicKey: KeyObject): Buffer {
  const jwk = publicKey.export({ format: "jwk" });
  return Buffer.concat([Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
}

/** Builds and signs a complete quote. */
export function buildQuote(o: BuildQuoteOptions): Buffer {
  const bodyType = o.version === 3 ? "sgx" : o.version === 4 ? "td10" : (o.bodyType ?? "td10");
  const tdx = bodyType !== "sgx";
  const header = Buffer.alloc(48);
  header.writeUInt16LE(o.version, 0);
  header.writeUInt16LE(2, 2);
  header.writeUInt32LE(o.version === 3 ? 0 : tdx ? 0x81 : 0, 4);
  header.writeUInt16LE(o.version === 3 ? (o.qeSvn ?? 8) : 0, 8);
  header.writeUInt16LE(o.version === 3 ? (o.pceSvn ?? 13) : 0, 10);
  put(header, 12, o.qeVendorId, 16);
  put(header, 28, createHash("sha256").update("test QE id").digest(), 16);
  const body = tdx ? tdBody(o.td, bodyType === "td15") : sgxBody(o.sgx);
  const descriptor =
    o.version === 5
      ? Buffer.concat([u16(bodyType === "sgx" ? 1 : bodyType === "td10" ? 2 : 3), u32(body.length)])
      : Buffer.alloc(0);
  const signed = Buffer.concat([header, descriptor, body]);

  const ak = o.attestationKey ?? generateKeyPairSync("ec", { namedCurve: "P-256" });
  const akRaw = rawP256(ak.publicKey);
  const auth = Buffer.from(o.qeAuthData ?? createHash("sha256").update("qe auth").digest());
  const qeData = Buffer.alloc(64);
  createHash("sha256").update(akRaw).update(auth).digest().copy(qeData);
  const qeReport = qeReportBody(o.qe ?? {}, tdx, qeData);
  const qeSig = sign("sha256", qeReport, { key: o.pckKey, dsaEncoding: "ieee-p1363" });
  const certData = Buffer.concat([Buffer.from(o.pckChainPem, "latin1"), Buffer.from([0])]);
  const inner = Buffer.concat([
    qeReport,
    qeSig,
    u16(auth.length),
    auth,
    u16(o.certificationType ?? 5),
    u32(certData.length),
    certData,
  ]);
  const quoteSig = sign("sha256", signed, { key: ak.privateKey, dsaEncoding: "ieee-p1363" });
  const sigData =
    o.version === 3
      ? Buffer.concat([quoteSig, akRaw, inner])
      : Buffer.concat([quoteSig, akRaw, u16(6), u32(inner.length), inner]);
  return Buffer.concat([signed, u32(sigData.length), sigData, Buffer.alloc(o.padding ?? 0)]);
}
