// Teaclave's certificate extension for Teaclave-era clients (spec teaclave-compat.md §1.4, §1.4.1):
// OID 2.16.840.1.113730.1.13 carrying serde-style JSON {"report":[…],"signature":[…],"certs":[[…]]},
// whose report endorses a quote with report_data = the certificate key's X ‖ Y. It must be the FIRST
// extension: Teaclave's clients read extension 0. The interoperable evidence extension follows it
// with its own quote, because the two conventions bind different report_data.

import { timingSafeEqual } from "node:crypto";
import type { AttestationBackend } from "../backends/types.js";
import { verifyQuote, type VerifyQuoteOptions } from "../verify/dcap.js";
import type { CertifiedKeyInfo } from "../ratls/certificate.js";
import type { CertExtension } from "../ratls/x509.js";
import { iasStatusFor, type AttestationServiceRole, type EndorsedReport } from "./attestation-service.js";
import { TeaclaveCompatError } from "./errors.js";

export const TEACLAVE_REPORT_OID = "2.16.840.1.113730.1.13";

/** JSON with byte arrays as arrays of numbers, in serde's field order. */
export function encodeEndorsedReport(endorsed: EndorsedReport): Buffer {
  return Buffer.from(
    JSON.stringify({
      report: Array.from(endorsed.report),
      signature: Array.from(endorsed.signature),
      certs: endorsed.certs.map((c) => Array.from(c)),
    }),
    "utf8",
  );
}

const MAX_EXTENSION_BYTES = 256 * 1024;

function byteArray(value: unknown, what: string): Buffer {
  if (
    !Array.isArray(value) ||
    value.length > MAX_EXTENSION_BYTES ||
    !value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
  ) {
    throw new TeaclaveCompatError("INVALID_ARGUMENT", `${what} is not an array of bytes`);
  }
  return Buffer.from(value as number[]);
}

export function decodeEndorsedReport(bytes: Uint8Array): EndorsedReport {
  if (bytes.length > MAX_EXTENSION_BYTES)
    throw new TeaclaveCompatError("INVALID_ARGUMENT", "endorsed report too large");
  let json: { report?: unknown; signature?: unknown; certs?: unknown };
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8")) as typeof json;
  } catch (err) {
    throw new TeaclaveCompatError("INVALID_ARGUMENT", "endorsed report is not JSON", { cause: err });
  }
  if (!Array.isArray(json.certs) || json.certs.length === 0 || json.certs.length > 8) {
    throw new TeaclaveCompatError("INVALID_ARGUMENT", "endorsed report needs 1..8 certificates");
  }
  return {
    report: byteArray(json.report, "report"),
    signature: byteArray(json.signature, "signature"),
    certs: json.certs.map((c, i) => byteArray(c, `certs[${i}]`)),
  };
}

export interface TeaclaveEndorsementOptions {
  backend: AttestationBackend;
  attestationService: AttestationServiceRole;
  /** What the role's quote check trusts (Intel roots; the simulation root in simulation deployments). */
  trust?: VerifyQuoteOptions["trust"];
  collateral?: VerifyQuoteOptions["collateral"];
  clock?: () => Date;
}

/**
 * A leadingExtensions provider for issueRaTlsCertificate / CertificateManager: obtains a second quote
 * over the certificate key's X ‖ Y, checks it like Teaclave's DCAP attestation server would (chain,
 * signatures, TCB with collateral), has the attestation-service role endorse it, and returns the
 * Teaclave extension to place first.
 */
export function teaclaveEndorsementExtensions(
  options: TeaclaveEndorsementOptions,
): (key: CertifiedKeyInfo) => Promise<CertExtension[]> {
  const clock = options.clock ?? (() => new Date());
  return async (key) => {
    if (key.point.length !== 64)
      throw new TeaclaveCompatError("INVALID_ARGUMENT", "Teaclave binding needs a P-256 key");
    const evidence = await options.backend.getEvidence(key.point);
    if (evidence.format !== "sgx-dcap-quote" && evidence.format !== "sim-v1") {
      throw new TeaclaveCompatError(
        "ENDORSEMENT_REFUSED",
        `Teaclave clients read SGX quotes only, not ${evidence.format}`,
      );
    }
    const now = clock();
    let verified;
    try {
      verified = verifyQuote(evidence.raw, {
        now,
        ...(options.trust !== undefined ? { trust: options.trust } : {}),
        ...(options.collateral !== undefined ? { collateral: options.collateral } : {}),
      });
    } catch (err) {
      throw new TeaclaveCompatError("ENDORSEMENT_REFUSED", `quote refused: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const reportData = Buffer.from(verified.quote.reportData);
    if (reportData.length !== 64 || !timingSafeEqual(reportData, key.point)) {
      throw new TeaclaveCompatError("ENDORSEMENT_REFUSED", "the quote does not bind the certificate key");
    }
    const endorsed = options.attestationService.endorse(
      evidence.raw,
      iasStatusFor(verified.tcb?.status ?? null),
      now,
    );
    return [{ oid: TEACLAVE_REPORT_OID, value: encodeEndorsedReport(endorsed) }];
  };
}
