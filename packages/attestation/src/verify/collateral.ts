// Intel DCAP collateral: TCB info, QE identity, PCK CRL and root CA CRL with their issuer chains
// (spec attestation.md §1.8 steps 9-11). The bundle format is the one Intel PCS data is usually cached
// in (and dcap-qvl uses): JSON with the signed bodies kept as the exact strings that were signed.
// Everything here is signed by Intel (or by the simulation root for simulation evidence), so it can
// travel with the evidence and be verified offline.

import { verify as cryptoVerify } from "node:crypto";
import { AttestationError } from "../errors.js";
import { TCB_STATUSES, type TcbStatus } from "../types.js";
import { asBuffer } from "./bytes.js";
import { OID, parsePemChain, type Certificate } from "./certificate.js";
import { verifyChain, type TrustAnchor } from "./chain.js";
import { parseCrl, type Crl } from "./crl.js";
import {
  asArray,
  asDate,
  asHex,
  asInteger,
  asObject,
  asString,
  child,
  fail,
  field,
  oneOf,
  parseJsonText,
  type Field,
} from "./json-fields.js";

/** The collateral bundle as JSON (the fixtures' `_collateral.json`): byte fields are hex or arrays of bytes. */
export interface CollateralBundle {
  tcb_info: string;
  tcb_info_signature: string | number[];
  tcb_info_issuer_chain: string;
  qe_identity: string;
  qe_identity_signature: string | number[];
  qe_identity_issuer_chain: string;
  pck_crl?: string | number[];
  root_ca_crl?: string | number[];
  pck_crl_issuer_chain?: string;
}

/** A bundle whose fields have been decoded (not yet verified). */
export interface Collateral {
  tcbInfoJson: string;
  tcbInfoSignature: Buffer;
  tcbInfoChain: Certificate[];
  qeIdentityJson: string;
  qeIdentitySignature: Buffer;
  qeIdentityChain: Certificate[];
  pckCrl: Crl | null;
  rootCaCrl: Crl | null;
}

export interface TcbLevel {
  sgxComponents: number[];
  pceSvn: number;
  tdxComponents: number[] | null;
  tcbDate: string;
  status: TcbStatus;
  advisoryIds: string[];
}

export interface IsvTcbLevel {
  isvSvn: number;
  tcbDate: string;
  status: TcbStatus;
  advisoryIds: string[];
}

export interface TdxModuleIdentity {
  id: string;
  mrsigner: string;
  attributes: string;
  attributesMask: string;
  tcbLevels: IsvTcbLevel[];
}

export interface TcbInfo {
  id: "SGX" | "TDX";
  version: number;
  issueDate: Date;
  nextUpdate: Date;
  fmspc: string;
  pceId: string;
  tcbType: number;
  tcbEvaluationDataNumber: number;
  tcbLevels: TcbLevel[];
  tdxModule: { mrsigner: string; attributes: string; attributesMask: string } | null;
  tdxModuleIdentities: TdxModuleIdentity[];
}

export interface QeIdentity {
  id: string;
  version: number;
  issueDate: Date;
  nextUpdate: Date;
  tcbEvaluationDataNumber: number;
  miscselect: string;
  miscselectMask: string;
  attributes: string;
  attributesMask: string;
  mrsigner: string;
  isvProdId: number;
  tcbLevels: IsvTcbLevel[];
}

const MAX_FIELD = 2 * 1024 * 1024;

function bytesField(value: unknown, f: Field): Buffer {
  if (typeof value === "string") return Buffer.from(asHex(value, f), "hex");
  const items = asArray(value, f, MAX_FIELD);
  const out = Buffer.alloc(items.length);
  items.forEach((b, i) => {
    out[i] = asInteger(b, child(f, i), 0, 255);
  });
  return out;
}

function chainField(value: unknown, f: Field): Certificate[] {
  const pem = asString(value, f, MAX_FIELD);
  try {
    const chain = parsePemChain(pem, f.path);
    if (chain.length === 0) fail(f, "holds no PEM certificate");
    return chain;
  } catch (error) {
    if (error instanceof AttestationError && error.code === "MALFORMED_EVIDENCE") fail(f, error.message);
    throw error;
  }
}

/** Decodes a collateral bundle (JSON text, bytes or object). Malformed input is COLLATERAL_INVALID. */
export function parseCollateral(
  input: string | Uint8Array | CollateralBundle | Record<string, unknown>,
): Collateral {
  const f = field("COLLATERAL_INVALID", "collateral");
  const value: unknown =
    typeof input === "string"
      ? parseJsonText(input, f, 8 * MAX_FIELD)
      : input instanceof Uint8Array
        ? parseJsonText(asBuffer(input).toString("utf8"), f, 8 * MAX_FIELD)
        : input;
  // Unknown keys are tolerated: the bundle's trust comes from Intel's signatures, and caches add fields.
  const o = asObject(value, f);
  const sig = (key: string): Buffer => {
    const b = bytesField(o[key], child(f, key));
    if (b.length !== 64) fail(child(f, key), "must be a 64-byte ECDSA P-256 signature (r ‖ s)");
    return b;
  };
  const crl = (key: string): Crl | null =>
    o[key] === undefined ? null : parseCrl(bytesField(o[key], child(f, key)), `collateral.${key}`);
  return {
    tcbInfoJson: asString(o.tcb_info, child(f, "tcb_info"), MAX_FIELD),
    tcbInfoSignature: sig("tcb_info_signature"),
    tcbInfoChain: chainField(o.tcb_info_issuer_chain, child(f, "tcb_info_issuer_chain")),
    qeIdentityJson: asString(o.qe_identity, child(f, "qe_identity"), MAX_FIELD),
    qeIdentitySignature: sig("qe_identity_signature"),
    qeIdentityChain: chainField(o.qe_identity_issuer_chain, child(f, "qe_identity_issuer_chain")),
    pckCrl: crl("pck_crl"),
    rootCaCrl: crl("root_ca_crl"),
  };
}

const LEVEL_STATUSES = TCB_STATUSES;

function advisories(value: unknown, f: Field): string[] {
  if (value === undefined) return [];
  return asArray(value, f, 256).map((v, i) => asString(v, child(f, i), 64));
}

function components(value: unknown, f: Field): number[] {
  return asArray(value, f, 16, 16).map((c, i) =>
    asInteger(asObject(c, child(f, i)).svn, child(child(f, i), "svn"), 0, 255),
  );
}

function isvLevels(value: unknown, f: Field): IsvTcbLevel[] {
  const levels = asArray(value, f, 1024, 1).map((v, i) => {
    const lf = child(f, i);
    const o = asObject(v, lf);
    const tcb = asObject(o.tcb, child(lf, "tcb"));
    return {
      isvSvn: asInteger(tcb.isvsvn, child(child(lf, "tcb"), "isvsvn"), 0, 0xffff),
      tcbDate: asDate(o.tcbDate, child(lf, "tcbDate")).toISOString(),
      status: oneOf(o.tcbStatus, child(lf, "tcbStatus"), LEVEL_STATUSES),
      advisoryIds: advisories(o.advisoryIDs, child(lf, "advisoryIDs")),
    };
  });
  return levels.sort((a, b) => b.isvSvn - a.isvSvn);
}

/** Intel's ordering of TCB levels (QVL's comparator): SGX components, then PCESVN, then TDX components. */
function compareLevels(a: TcbLevel, b: TcbLevel): number {
  for (let i = 0; i < 16; i++)
    if (a.sgxComponents[i] !== b.sgxComponents[i]) return a.sgxComponents[i]! - b.sgxComponents[i]!;
  if (a.pceSvn !== b.pceSvn) return a.pceSvn - b.pceSvn;
  for (let i = 0; i < 16; i++) {
    const x = a.tdxComponents?.[i] ?? 0;
    const y = b.tdxComponents?.[i] ?? 0;
    if (x !== y) return x - y;
  }
  return 0;
}

export function parseTcbInfo(json: string): TcbInfo {
  const f = field("COLLATERAL_INVALID", "tcbInfo");
  const o = asObject(parseJsonText(json, f, MAX_FIELD), f);
  const version = asInteger(o.version, child(f, "version"), 2, 3);
  const id =
    version === 2 && o.id === undefined ? "SGX" : oneOf(o.id, child(f, "id"), ["SGX", "TDX"] as const);
  if (id === "TDX" && version < 3) fail(child(f, "version"), "TDX TCB info must be version 3 or later");
  const levels = asArray(o.tcbLevels, child(f, "tcbLevels"), 1024, 1).map((v, i): TcbLevel => {
    const lf = child(child(f, "tcbLevels"), i);
    const level = asObject(v, lf);
    const tf = child(lf, "tcb");
    const tcb = asObject(level.tcb, tf);
    let sgxComponents: number[];
    let tdxComponents: number[] | null = null;
    if (version === 2) {
      sgxComponents = [];
      for (let n = 1; n <= 16; n++) {
        const key = `sgxtcbcomp${String(n).padStart(2, "0")}svn`;
        sgxComponents.push(asInteger(tcb[key], child(tf, key), 0, 255));
      }
    } else {
      sgxComponents = components(tcb.sgxtcbcomponents, child(tf, "sgxtcbcomponents"));
      if (id === "TDX") tdxComponents = components(tcb.tdxtcbcomponents, child(tf, "tdxtcbcomponents"));
    }
    return {
      sgxComponents,
      tdxComponents,
      pceSvn: asInteger(tcb.pcesvn, child(tf, "pcesvn"), 0, 0xffff),
      tcbDate: asDate(level.tcbDate, child(lf, "tcbDate")).toISOString(),
      status: oneOf(level.tcbStatus, child(lf, "tcbStatus"), LEVEL_STATUSES),
      advisoryIds: advisories(level.advisoryIDs, child(lf, "advisoryIDs")),
    };
  });
  let tdxModule: TcbInfo["tdxModule"] = null;
  if (o.tdxModule !== undefined) {
    const mf = child(f, "tdxModule");
    const m = asObject(o.tdxModule, mf);
    tdxModule = {
      mrsigner: asHex(m.mrsigner, child(mf, "mrsigner"), 48),
      attributes: asHex(m.attributes, child(mf, "attributes"), 8),
      attributesMask: asHex(m.attributesMask, child(mf, "attributesMask"), 8),
    };
  }
  const tdxModuleIdentities =
    o.tdxModuleIdentities === undefined
      ? []
      : asArray(o.tdxModuleIdentities, child(f, "tdxModuleIdentities"), 256).map((v, i) => {
          const mf = child(child(f, "tdxModuleIdentities"), i);
          const m = asObject(v, mf);
          return {
            id: asString(m.id, child(mf, "id"), 32).toUpperCase(),
            mrsigner: asHex(m.mrsigner, child(mf, "mrsigner"), 48),
            attributes: asHex(m.attributes, child(mf, "attributes"), 8),
            attributesMask: asHex(m.attributesMask, child(mf, "attributesMask"), 8),
            tcbLevels: isvLevels(m.tcbLevels, child(mf, "tcbLevels")),
          };
        });
  return {
    id,
    version,
    issueDate: asDate(o.issueDate, child(f, "issueDate")),
    nextUpdate: asDate(o.nextUpdate, child(f, "nextUpdate")),
    fmspc: asHex(o.fmspc, child(f, "fmspc"), 6),
    pceId: asHex(o.pceId, child(f, "pceId"), 2),
    tcbType: asInteger(o.tcbType ?? 0, child(f, "tcbType"), 0, 0),
    tcbEvaluationDataNumber: asInteger(
      o.tcbEvaluationDataNumber,
      child(f, "tcbEvaluationDataNumber"),
      0,
      0xffffffff,
    ),
    tcbLevels: levels.sort((a, b) => compareLevels(b, a)),
    tdxModule,
    tdxModuleIdentities,
  };
}

export function parseQeIdentity(json: string): QeIdentity {
  const f = field("COLLATERAL_INVALID", "enclaveIdentity");
  const o = asObject(parseJsonText(json, f, MAX_FIELD), f);
  return {
    id: asString(o.id, child(f, "id"), 16),
    version: asInteger(o.version, child(f, "version"), 2, 3),
    issueDate: asDate(o.issueDate, child(f, "issueDate")),
    nextUpdate: asDate(o.nextUpdate, child(f, "nextUpdate")),
    tcbEvaluationDataNumber: asInteger(
      o.tcbEvaluationDataNumber,
      child(f, "tcbEvaluationDataNumber"),
      0,
      0xffffffff,
    ),
    miscselect: asHex(o.miscselect, child(f, "miscselect"), 4),
    miscselectMask: asHex(o.miscselectMask, child(f, "miscselectMask"), 4),
    attributes: asHex(o.attributes, child(f, "attributes"), 16),
    attributesMask: asHex(o.attributesMask, child(f, "attributesMask"), 16),
    mrsigner: asHex(o.mrsigner, child(f, "mrsigner"), 32),
    isvProdId: asInteger(o.isvprodid, child(f, "isvprodid"), 0, 0xffff),
    tcbLevels: isvLevels(o.tcbLevels, child(f, "tcbLevels")),
  };
}

export interface CollateralContext {
  now: Date;
  anchors: ReadonlyMap<string, TrustAnchor>;
  fallbackRoots: readonly Certificate[];
  /** The root the evidence chains to: collateral must chain to the same one. */
  root: Certificate;
  anchor: TrustAnchor;
  tee: "sgx" | "tdx";
  fmspc: string;
  pceId: string;
  /** Maximum age of TCB info / QE identity (from issueDate), in seconds. */
  maxAgeSeconds: number | null;
  minTcbEvaluationDataNumber: number | null;
}

export interface VerifiedCollateral {
  tcbInfo: TcbInfo;
  qeIdentity: QeIdentity;
  expiresAt: Date;
}

function checkSigner(
  chain: Certificate[],
  ctx: CollateralContext,
  rootCrl: Crl | null,
  what: string,
): Certificate {
  const verified = verifyChain(chain, {
    now: ctx.now,
    anchors: ctx.anchors,
    fallbackRoots: ctx.fallbackRoots,
    // The root CA CRL also covers the TCB signing certificate.
    crls: rootCrl ? [rootCrl] : [],
    what: `${what} issuer chain`,
  });
  if (verified.root.sha256 !== ctx.root.sha256) {
    throw new AttestationError(
      "UNTRUSTED_ROOT",
      `${what} is signed under a different root than the evidence`,
    );
  }
  const leaf = verified.certs[0]!;
  // A PCK key belongs to one platform; it must never be able to sign collateral for all of them.
  if (leaf.ca || leaf.extensions.has(OID.sgxExtension)) {
    throw new AttestationError(
      "CHAIN_INVALID",
      `${what} is signed by a certificate that is not a TCB signing certificate`,
    );
  }
  if (ctx.anchor.kind === "intel" && leaf.subjectCn !== "Intel SGX TCB Signing") {
    throw new AttestationError(
      "CHAIN_INVALID",
      `${what} is signed by "${leaf.subjectCn}", not "Intel SGX TCB Signing"`,
    );
  }
  return leaf;
}

function checkSignature(json: string, signature: Buffer, signer: Certificate, what: string): void {
  const ok = cryptoVerify(
    "sha256",
    Buffer.from(json, "utf8"),
    { key: signer.x509.publicKey, dsaEncoding: "ieee-p1363" },
    signature,
  );
  if (!ok) throw new AttestationError("BAD_SIGNATURE", `${what} signature does not verify`);
}

function checkWindow(issueDate: Date, nextUpdate: Date, ctx: CollateralContext, what: string): void {
  if (ctx.now < issueDate)
    throw new AttestationError(
      "COLLATERAL_EXPIRED",
      `${what} is not valid before ${issueDate.toISOString()}`,
    );
  if (ctx.now > nextUpdate)
    throw new AttestationError("COLLATERAL_EXPIRED", `${what} expired at ${nextUpdate.toISOString()}`);
  if (ctx.maxAgeSeconds !== null && ctx.now.getTime() - issueDate.getTime() > ctx.maxAgeSeconds * 1000) {
    throw new AttestationError(
      "COLLATERAL_EXPIRED",
      `${what} issued ${issueDate.toISOString()} is older than the allowed ${ctx.maxAgeSeconds} s`,
    );
  }
}

function checkEvaluationNumber(n: number, ctx: CollateralContext, what: string): void {
  if (ctx.minTcbEvaluationDataNumber !== null && n < ctx.minTcbEvaluationDataNumber) {
    throw new AttestationError(
      "COLLATERAL_EXPIRED",
      `${what} has tcbEvaluationDataNumber ${n}, below the required ${ctx.minTcbEvaluationDataNumber}`,
    );
  }
}

/** Verifies TCB info and QE identity: signer chains, signatures over the exact bytes, freshness, binding. */
export function verifyCollateral(c: Collateral, ctx: CollateralContext): VerifiedCollateral {
  const tcbSigner = checkSigner(c.tcbInfoChain, ctx, c.rootCaCrl, "TCB info");
  checkSignature(c.tcbInfoJson, c.tcbInfoSignature, tcbSigner, "TCB info");
  const tcbInfo = parseTcbInfo(c.tcbInfoJson);
  checkWindow(tcbInfo.issueDate, tcbInfo.nextUpdate, ctx, "TCB info");
  checkEvaluationNumber(tcbInfo.tcbEvaluationDataNumber, ctx, "TCB info");
  const wantId = ctx.tee === "tdx" ? "TDX" : "SGX";
  if (tcbInfo.id !== wantId)
    throw new AttestationError(
      "COLLATERAL_INVALID",
      `TCB info is for ${tcbInfo.id}, the evidence is ${wantId}`,
    );
  if (tcbInfo.fmspc !== ctx.fmspc)
    throw new AttestationError(
      "COLLATERAL_INVALID",
      `TCB info is for FMSPC ${tcbInfo.fmspc}, the PCK certificate says ${ctx.fmspc}`,
    );
  if (tcbInfo.pceId !== ctx.pceId)
    throw new AttestationError(
      "COLLATERAL_INVALID",
      `TCB info is for PCE id ${tcbInfo.pceId}, the PCK certificate says ${ctx.pceId}`,
    );

  const qeSigner = checkSigner(c.qeIdentityChain, ctx, c.rootCaCrl, "QE identity");
  checkSignature(c.qeIdentityJson, c.qeIdentitySignature, qeSigner, "QE identity");
  const qeIdentity = parseQeIdentity(c.qeIdentityJson);
  checkWindow(qeIdentity.issueDate, qeIdentity.nextUpdate, ctx, "QE identity");
  checkEvaluationNumber(qeIdentity.tcbEvaluationDataNumber, ctx, "QE identity");
  const wantQe = ctx.tee === "tdx" ? "TD_QE" : "QE";
  if (qeIdentity.id !== wantQe)
    throw new AttestationError(
      "COLLATERAL_INVALID",
      `QE identity is for ${qeIdentity.id}, the evidence needs ${wantQe}`,
    );

  const expiries = [tcbInfo.nextUpdate, qeIdentity.nextUpdate];
  for (const crl of [c.pckCrl, c.rootCaCrl]) if (crl?.nextUpdate) expiries.push(crl.nextUpdate);
  return { tcbInfo, qeIdentity, expiresAt: new Date(Math.min(...expiries.map((d) => d.getTime()))) };
}
