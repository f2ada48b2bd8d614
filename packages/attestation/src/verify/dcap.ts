// DCAP quote verification (SGX v3, TDX v4/v5, and the simulation backend's SGX-layout quotes),
// following spec attestation.md §1.8: pinned root → PCK chain (+ CRLs) → QE report signature →
// QE binding of the attestation key → quote signature → QE identity → collateral and TCB status.
// This is the policy-free layer: it says what the quote proves, not whether a service accepts it.

import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { AttestationError } from "../errors.js";
import type { PckClaims, TcbResult } from "../types.js";
import { asBuffer, constantTimeEqual, isAllZero } from "./bytes.js";
import { parseCertificate, splitPem, type Certificate } from "./certificate.js";
import { verifyChain, type TrustAnchor } from "./chain.js";
import {
  parseCollateral,
  verifyCollateral,
  type Collateral,
  type CollateralBundle,
  type QeIdentity,
} from "./collateral.js";
import { parsePckExtension, pckCaType } from "./pck-extension.js";
import {
  CERT_TYPE_PCK_CHAIN,
  parseQuote,
  TEE_TYPE_TDX,
  type ParsedQuote,
  type SgxReportBody,
} from "./quote.js";
import {
  INTEL_QE_IDENTITY,
  INTEL_QE_VENDOR_ID,
  INTEL_SGX_ROOT_PEM,
  INTEL_SGX_ROOT_SHA256,
  SIMULATION_QE_VENDOR_ID,
} from "./roots.js";
import { evaluateTcb } from "./tcb.js";

export interface QuoteTrust {
  /** SHA-256 pins of Intel's SGX Root CA (default: the production root). */
  intelRootSha256?: readonly string[];
  /** The pinned simulation root. Unset/null: simulation evidence is refused (SIMULATION_REFUSED). */
  simulationRootSha256?: string | null;
}

export interface VerifyQuoteOptions {
  /** The verification time; required, never read from the clock. */
  now: Date;
  /** Collateral for this quote's platform; without it `tcb` is null. */
  collateral?: Collateral | CollateralBundle | string | Uint8Array | null;
  trust?: QuoteTrust;
  /** Refuse with COLLATERAL_MISSING when no collateral is given (default false). */
  requireCollateral?: boolean;
  /** With collateral, require both the PCK CRL and the root CA CRL (default true). */
  requireCrls?: boolean;
  /** Refuse TCB info / QE identity issued longer ago than this (default: no limit beyond nextUpdate). */
  maxCollateralAgeSeconds?: number | null;
  minTcbEvaluationDataNumber?: number | null;
  maxQuoteBytes?: number;
}

export interface VerifiedQuote {
  quote: ParsedQuote;
  tee: "sgx" | "tdx" | "simulation";
  anchor: TrustAnchor;
  pck: PckClaims & { ppid: string };
  tcb: TcbResult | null;
  collateralExpiresAt: Date | null;
  pckChain: Certificate[];
}

let intelRoot: Certificate | undefined;
function intelRootCert(): Certificate {
  intelRoot ??= parseCertificate(splitPem(INTEL_SGX_ROOT_PEM, "Intel SGX Root CA")[0]!, "Intel SGX Root CA");
  return intelRoot;
}

export function checkNow(now: unknown): Date {
  if (!(now instanceof Date) || !Number.isFinite(now.getTime())) {
    throw new AttestationError(
      "INVALID_ARGUMENT",
      "`now` must be a valid Date: verification never reads the clock itself",
    );
  }
  return now;
}

function anchorsFor(trust: QuoteTrust | undefined): Map<string, TrustAnchor> {
  const anchors = new Map<string, TrustAnchor>();
  for (const sha of trust?.intelRootSha256 ?? [INTEL_SGX_ROOT_SHA256]) {
    anchors.set(sha.toLowerCase(), { sha256: sha.toLowerCase(), kind: "intel", label: "Intel SGX Root CA" });
  }
  const sim = trust?.simulationRootSha256;
  if (sim)
    anchors.set(sim.toLowerCase(), {
      sha256: sim.toLowerCase(),
      kind: "simulation",
      label: "simulation root CA",
    });
  return anchors;
}

/** The PEM chain carried in certification data type 5 (NUL-terminated in practice). */
export function quotePckChain(quote: ParsedQuote): Certificate[] {
  if (quote.certificationType !== CERT_TYPE_PCK_CHAIN) {
    throw new AttestationError(
      "UNSUPPORTED_EVIDENCE",
      `certification data type ${quote.certificationType} is not supported (only 5, a PCK certificate chain)`,
    );
  }
  const text = asBuffer(quote.certificationData).toString("latin1").replace(/\0+$/, "");
  const ders = splitPem(text, "PCK certificate chain");
  if (ders.length === 0)
    throw new AttestationError("MALFORMED_EVIDENCE", "the certification data holds no PEM certificate");
  return ders.map((der, i) => parseCertificate(der, `PCK chain certificate ${i}`));
}

/** Compares a QE report against a QE identity (collateral or Intel's pinned values). */
function checkQeIdentity(
  qe: SgxReportBody,
  expected: Pick<
    QeIdentity,
    "mrsigner" | "isvProdId" | "miscselect" | "miscselectMask" | "attributes" | "attributesMask"
  >,
): void {
  if (qe.mrsigner !== expected.mrsigner)
    throw new AttestationError("QE_IDENTITY_MISMATCH", "QE MRSIGNER is not the expected quoting enclave's");
  if (qe.isvProdId !== expected.isvProdId)
    throw new AttestationError(
      "QE_IDENTITY_MISMATCH",
      `QE ISVPRODID ${qe.isvProdId} is not ${expected.isvProdId}`,
    );
  const misc = Buffer.alloc(4);
  misc.writeUInt32LE(qe.miscselect);
  const masks: [Buffer, string, string, string][] = [
    [misc, expected.miscselect, expected.miscselectMask, "MISCSELECT"],
    [Buffer.from(qe.attributes, "hex"), expected.attributes, expected.attributesMask, "ATTRIBUTES"],
  ];
  for (const [actual, value, mask, name] of masks) {
    const v = Buffer.from(value, "hex");
    const m = Buffer.from(mask, "hex");
    for (let i = 0; i < m.length; i++) {
      if (((actual[i] ?? 0) & m[i]!) !== ((v[i] ?? 0) & m[i]!))
        throw new AttestationError("QE_IDENTITY_MISMATCH", `QE ${name} do not match the QE identity`);
    }
  }
  if (qe.debug) throw new AttestationError("QE_IDENTITY_MISMATCH", "the quoting enclave is a debug enclave");
}

export function attestationPublicKey(raw: Uint8Array): KeyObject {
  const b = asBuffer(raw);
  try {
    return createPublicKey({
      format: "jwk",
      key: {
        kty: "EC",
        crv: "P-256",
        x: b.subarray(0, 32).toString("base64url"),
        y: b.subarray(32, 64).toString("base64url"),
      },
    });
  } catch (cause) {
    throw new AttestationError("BAD_SIGNATURE", "the attestation key is not a valid P-256 point", { cause });
  }
}

function toCollateral(input: VerifyQuoteOptions["collateral"]): Collateral | null {
  if (input === undefined || input === null) return null;
  if (typeof input === "object" && !(input instanceof Uint8Array) && "tcbInfoJson" in input) return input;
  return parseCollateral(input);
}

/** Verifies a DCAP quote's signatures, chain, QE and (with collateral) TCB status. Throws AttestationError. */
export function verifyQuote(raw: Uint8Array, options: VerifyQuoteOptions): VerifiedQuote {
  const now = checkNow(options.now);
  const quote = parseQuote(raw, { maxBytes: options.maxQuoteBytes });
  const collateral = toCollateral(options.collateral);
  if (!collateral && options.requireCollateral) {
    throw new AttestationError(
      "COLLATERAL_MISSING",
      "collateral (TCB info, QE identity, CRLs) is required to verify this quote",
    );
  }
  if (collateral && (options.requireCrls ?? true) && (!collateral.pckCrl || !collateral.rootCaCrl)) {
    throw new AttestationError("COLLATERAL_MISSING", "the collateral lacks the PCK CRL or the root CA CRL");
  }

  const certs = quotePckChain(quote);
  const leaf = certs[0]!;
  if (collateral?.pckCrl && !collateral.pckCrl.issuer.equals(leaf.issuer)) {
    throw new AttestationError(
      "COLLATERAL_INVALID",
      "the PCK CRL was not issued by the PCK certificate's issuer",
    );
  }
  const anchors = anchorsFor(options.trust);
  const crls = [collateral?.pckCrl, collateral?.rootCaCrl].filter((c) => c !== null && c !== undefined);
  let chain;
  try {
    chain = verifyChain(certs, {
      now,
      anchors,
      fallbackRoots: [intelRootCert()],
      crls,
      what: "PCK certificate chain",
    });
  } catch (error) {
    if (
      error instanceof AttestationError &&
      error.code === "UNTRUSTED_ROOT" &&
      quote.qeVendorId === SIMULATION_QE_VENDOR_ID
    ) {
      throw new AttestationError(
        "SIMULATION_REFUSED",
        "simulation evidence is refused: simulation is not allowed, or its root is not the pinned simulation root",
        { cause: error },
      );
    }
    throw error;
  }
  const { anchor, root } = chain;
  if (collateral?.rootCaCrl && !collateral.rootCaCrl.issuer.equals(root.subject)) {
    throw new AttestationError("COLLATERAL_INVALID", "the root CA CRL was not issued by the root");
  }
  if (leaf.ca || chain.certs.length < 3)
    throw new AttestationError("CHAIN_INVALID", "the PCK chain must be leaf → PCK CA → root");

  const simulation = anchor.kind === "simulation";
  const expectedVendor = simulation ? SIMULATION_QE_VENDOR_ID : INTEL_QE_VENDOR_ID;
  if (quote.qeVendorId !== expectedVendor) {
    throw new AttestationError(
      "QE_IDENTITY_MISMATCH",
      `QE vendor id ${quote.qeVendorId} does not belong to the ${anchor.label}`,
    );
  }
  const pckExt = parsePckExtension(leaf);

  // QE report, signed by the PCK leaf key.
  if (
    !cryptoVerify(
      "sha256",
      quote.qeReport,
      { key: leaf.x509.publicKey, dsaEncoding: "ieee-p1363" },
      quote.qeReportSignature,
    )
  ) {
    throw new AttestationError(
      "BAD_SIGNATURE",
      "the QE report signature does not verify under the PCK certificate",
    );
  }
  // QE binding: report_data = SHA-256(attestation key ‖ QE auth data) ‖ 0³².
  const qeData = quote.qeReportBody.reportData;
  const binding = createHash("sha256").update(quote.attestationKey).update(quote.qeAuthData).digest();
  if (!constantTimeEqual(qeData.subarray(0, 32), binding) || !isAllZero(qeData.subarray(32, 64))) {
    throw new AttestationError(
      "QE_BINDING_MISMATCH",
      "the QE report does not bind the attestation key and QE auth data",
    );
  }
  const key = attestationPublicKey(quote.attestationKey);
  if (!cryptoVerify("sha256", quote.signedRegion, { key, dsaEncoding: "ieee-p1363" }, quote.signature)) {
    throw new AttestationError(
      "BAD_SIGNATURE",
      "the quote signature does not verify under the attestation key",
    );
  }

  const tee = quote.teeType === TEE_TYPE_TDX ? "tdx" : "sgx";
  let tcb: TcbResult | null = null;
  let collateralExpiresAt: Date | null = null;
  if (collateral) {
    const verified = verifyCollateral(collateral, {
      now,
      anchors,
      fallbackRoots: [intelRootCert()],
      root,
      anchor,
      tee,
      fmspc: pckExt.fmspc,
      pceId: pckExt.pceId,
      maxAgeSeconds: options.maxCollateralAgeSeconds ?? null,
      minTcbEvaluationDataNumber: options.minTcbEvaluationDataNumber ?? null,
    });
    checkQeIdentity(quote.qeReportBody, verified.qeIdentity);
    const td = quote.td;
    tcb = evaluateTcb({
      tcbInfo: verified.tcbInfo,
      pck: pckExt,
      qeIdentity: verified.qeIdentity,
      qeIsvSvn: quote.qeReportBody.isvSvn,
      td: td
        ? {
            quoteVersion: quote.version,
            teeTcbSvn: td.teeTcbSvnBytes,
            teeTcbSvn2: td.teeTcbSvn2Bytes,
            mrSignerSeam: td.mrSignerSeam,
            seamAttributes: td.seamAttributes,
          }
        : null,
    });
    if (tcb.status === "Revoked")
      throw new AttestationError("REVOKED", "the platform's TCB level is revoked");
    collateralExpiresAt = verified.expiresAt;
  } else if (!simulation) {
    const pinned = tee === "tdx" ? INTEL_QE_IDENTITY.tdx : INTEL_QE_IDENTITY.sgx;
    checkQeIdentity(quote.qeReportBody, {
      ...INTEL_QE_IDENTITY,
      mrsigner: pinned.mrsigner,
      isvProdId: pinned.isvProdId,
    });
  }
  if (simulation && !(quote.sgx ?? quote.td)!.debug) {
    throw new AttestationError("MALFORMED_EVIDENCE", "simulation evidence must have the DEBUG attribute set");
  }

  return {
    quote,
    tee: simulation ? "simulation" : tee,
    anchor,
    pck: { ...pckExt, ca: pckCaType(chain.certs[1]!.subjectCn) },
    tcb,
    collateralExpiresAt,
    pckChain: chain.certs,
  };
}
