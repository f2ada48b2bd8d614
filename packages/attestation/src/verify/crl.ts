// Certificate revocation lists (RFC 5280 CertificateList): a DER reader for the serials and dates,
// and a check that the list is signed by the expected issuer and current at `now`.
// Intel's PCK and root CRLs are ECDSA P-256; AMD's KDS CRLs are RSASSA-PSS with SHA-384.

import { constants, createHash, verify as cryptoVerify } from "node:crypto";
import { AttestationError } from "../errors.js";
import type { Certificate } from "./certificate.js";
import {
  TAG,
  children,
  decodeBitString,
  decodeOid,
  decodeSmallUint,
  decodeTime,
  expectTag,
  integerHex,
  parseDer,
  raw,
  type Tlv,
} from "../der.js";

export interface Crl {
  readonly der: Buffer;
  readonly sha256: string;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: Tlv;
  readonly signature: Uint8Array;
  readonly issuer: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | null;
  /** Revoked serials, lowercase hex without leading zero bytes. */
  readonly revoked: ReadonlySet<string>;
}

const MAX_CRL_ENTRIES = 1_000_000;

/** Parses a DER CRL. Malformed input is COLLATERAL_INVALID: CRLs always arrive as collateral. */
export function parseCrl(der: Uint8Array, what: string): Crl {
  try {
    const bytes = Buffer.from(der);
    const top = children(expectTag(parseDer(bytes, what), TAG.SEQUENCE, what), what);
    if (top.length !== 3) throw new AttestationError("MALFORMED_EVIDENCE", `${what} is not a CRL`);
    const tbsTlv = expectTag(top[0], TAG.SEQUENCE, what);
    const tbs = children(tbsTlv, what);
    let i = 0;
    if (tbs[0]?.tag === TAG.INTEGER) i++; // version v2
    i++; // inner signature algorithm
    const issuer = expectTag(tbs[i++], TAG.SEQUENCE, what);
    const thisUpdate = decodeTime(tbs[i++]!, what);
    let nextUpdate: Date | null = null;
    if (tbs[i] && (tbs[i]!.tag === TAG.UTC_TIME || tbs[i]!.tag === TAG.GENERALIZED_TIME))
      nextUpdate = decodeTime(tbs[i++]!, what);
    const revoked = new Set<string>();
    if (tbs[i]?.tag === TAG.SEQUENCE) {
      for (const entry of children(tbs[i]!, what, MAX_CRL_ENTRIES)) {
        const [serial] = children(expectTag(entry, TAG.SEQUENCE, what), what);
        revoked.add(integerHex(serial!, what));
      }
    }
    const { bits, unused } = decodeBitString(top[2]!, what);
    if (unused !== 0) throw new AttestationError("MALFORMED_EVIDENCE", `${what} signature has unused bits`);
    return {
      der: bytes,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      tbs: raw(tbsTlv),
      signatureAlgorithm: expectTag(top[1], TAG.SEQUENCE, what),
      signature: bits,
      issuer: Buffer.from(raw(issuer)),
      thisUpdate,
      nextUpdate,
      revoked,
    };
  } catch (error) {
    if (error instanceof AttestationError && error.code === "MALFORMED_EVIDENCE") {
      throw new AttestationError("COLLATERAL_INVALID", error.message, { cause: error });
    }
    throw error;
  }
}

const HASH_OIDS: Record<string, string> = {
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** Verifies `signature` over `data` with the algorithm named by an AlgorithmIdentifier. */
export function verifyWithAlgorithm(
  algorithm: Tlv,
  data: Uint8Array,
  signature: Uint8Array,
  issuer: Certificate,
  what: string,
): boolean {
  const [oidTlv, params] = children(algorithm, what);
  const oid = decodeOid(oidTlv!, what);
  const key = issuer.x509.publicKey;
  switch (oid) {
    case "1.2.840.10045.4.3.2":
      return cryptoVerify("sha256", data, { key, dsaEncoding: "der" }, signature);
    case "1.2.840.10045.4.3.3":
      return cryptoVerify("sha384", data, { key, dsaEncoding: "der" }, signature);
    case "1.2.840.113549.1.1.11":
      return cryptoVerify("sha256", data, key, signature);
    case "1.2.840.113549.1.1.12":
      return cryptoVerify("sha384", data, key, signature);
    case "1.2.840.113549.1.1.10": {
      // RSASSA-PSS-params: [0] hashAlgorithm, [1] maskGenAlgorithm, [2] saltLength (defaults: SHA-1, 20).
      let hash = "sha1";
      let saltLength = 20;
      for (const field of params ? children(expectTag(params, TAG.SEQUENCE, what), what) : []) {
        const [inner] = children(field, what);
        if (field.tag === 0xa0) hash = HASH_OIDS[decodeOid(children(inner!, what)[0]!, what)] ?? "unknown";
        if (field.tag === 0xa2) saltLength = decodeSmallUint(inner!, what);
      }
      if (hash === "unknown" || hash === "sha1") return false;
      return cryptoVerify(
        hash,
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
        signature,
      );
    }
    default:
      throw new AttestationError(
        "COLLATERAL_INVALID",
        `${what} uses an unsupported signature algorithm ${oid}`,
      );
  }
}

// Signatures already checked, keyed by the CRL's and the issuer's content hashes.
const verifiedCrls = new Set<string>();

export function clearCrlCache(): void {
  verifiedCrls.clear();
}

/**
 * Checks that `crl` was issued and signed by `issuer` and is current at `now`. Does not look at the
 * serials: see `isRevoked`.
 */
export function checkCrl(crl: Crl, issuer: Certificate, now: Date, what: string): void {
  if (!crl.issuer.equals(issuer.subject)) {
    throw new AttestationError(
      "COLLATERAL_INVALID",
      `${what} was not issued by ${issuer.subjectCn ?? "the expected CA"}`,
    );
  }
  const key = `${crl.sha256}:${issuer.sha256}`;
  if (!verifiedCrls.has(key)) {
    let ok: boolean;
    try {
      ok = verifyWithAlgorithm(crl.signatureAlgorithm, crl.tbs, crl.signature, issuer, what);
    } catch (error) {
      if (error instanceof AttestationError) throw error;
      ok = false;
    }
    if (!ok) {
      throw new AttestationError(
        "BAD_SIGNATURE",
        `${what} signature does not verify under ${issuer.subjectCn ?? "its issuer"}`,
      );
    }
    if (verifiedCrls.size > 1024) verifiedCrls.clear();
    verifiedCrls.add(key);
  }
  if (now < crl.thisUpdate) {
    throw new AttestationError(
      "COLLATERAL_EXPIRED",
      `${what} is not yet valid (thisUpdate ${crl.thisUpdate.toISOString()})`,
    );
  }
  if (crl.nextUpdate && now > crl.nextUpdate) {
    throw new AttestationError("COLLATERAL_EXPIRED", `${what} expired at ${crl.nextUpdate.toISOString()}`);
  }
}

export function isRevoked(crl: Crl, cert: Certificate): boolean {
  return crl.revoked.has(cert.serialHex);
}
