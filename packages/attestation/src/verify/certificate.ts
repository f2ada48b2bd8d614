// X.509 certificates as the verifier needs them: Node's X509Certificate for signatures and keys, plus
// a DER walk for what Node does not expose (raw names, serial, validity, every extension with its
// critical flag, basicConstraints path length, keyUsage, the raw SubjectPublicKeyInfo).

import { X509Certificate, createHash } from "node:crypto";
import { AttestationError } from "../errors.js";
import {
  TAG,
  children,
  decodeBitString,
  decodeBoolean,
  decodeOctets,
  decodeOid,
  decodeSmallUint,
  decodeString,
  decodeTime,
  expectTag,
  integerHex,
  parseDer,
  raw,
  type Tlv,
} from "../der.js";

export const OID = {
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  commonName: "2.5.4.3",
  sgxExtension: "1.2.840.113741.1.13.1",
  ratlsEvidence: "2.23.133.5.4.9",
} as const;

export interface CertExtension {
  critical: boolean;
  value: Uint8Array;
}

export interface Certificate {
  readonly der: Buffer;
  readonly x509: X509Certificate;
  /** SHA-256 of the DER, lowercase hex: how trust anchors are pinned. */
  readonly sha256: string;
  readonly serialHex: string;
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly subjectCn: string | null;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Buffer;
  readonly extensions: ReadonlyMap<string, CertExtension>;
  readonly ca: boolean;
  readonly pathLen: number | null;
  /** keyUsage bits as a 16-bit number (bit 15 = digitalSignature ... bit 10 = keyCertSign), or null if absent. */
  readonly keyUsage: number | null;
}

export const KEY_USAGE_KEY_CERT_SIGN = 0x0400;
export const KEY_USAGE_CRL_SIGN = 0x0200;

function commonName(name: Tlv, what: string): string | null {
  for (const rdn of children(expectTag(name, TAG.SEQUENCE, what), what)) {
    for (const atv of children(expectTag(rdn, TAG.SET, what), what)) {
      const [type, value] = children(expectTag(atv, TAG.SEQUENCE, what), what);
      if (type && value && decodeOid(type, what) === OID.commonName) return decodeString(value, what);
    }
  }
  return null;
}

function parseExtensions(wrapper: Tlv, what: string): Map<string, CertExtension> {
  const out = new Map<string, CertExtension>();
  const [list] = children(wrapper, what);
  for (const ext of children(expectTag(list, TAG.SEQUENCE, what), what)) {
    const parts = children(expectTag(ext, TAG.SEQUENCE, what), what);
    const oid = decodeOid(parts[0]!, what);
    let critical = false;
    let valueTlv = parts[1];
    if (parts.length === 3) {
      critical = decodeBoolean(parts[1]!, what);
      valueTlv = parts[2];
    } else if (parts.length !== 2) {
      throw new AttestationError("MALFORMED_EVIDENCE", `malformed extension in ${what}`);
    }
    if (out.has(oid))
      throw new AttestationError("MALFORMED_EVIDENCE", `duplicate extension ${oid} in ${what}`);
    out.set(oid, { critical, value: decodeOctets(valueTlv!, what) });
  }
  return out;
}

function parseBasicConstraints(
  ext: CertExtension | undefined,
  what: string,
): { ca: boolean; pathLen: number | null } {
  if (!ext) return { ca: false, pathLen: null };
  const items = children(parseDer(ext.value, what), what);
  let ca = false;
  let pathLen: number | null = null;
  for (const item of items) {
    if (item.tag === TAG.BOOLEAN) ca = decodeBoolean(item, what);
    else if (item.tag === TAG.INTEGER) pathLen = decodeSmallUint(item, what);
  }
  return { ca, pathLen };
}

function parseKeyUsage(ext: CertExtension | undefined, what: string): number | null {
  if (!ext) return null;
  const { bits } = decodeBitString(parseDer(ext.value, what), what);
  return ((bits[0] ?? 0) << 8) | (bits[1] ?? 0);
}

const cache = new Map<string, Certificate>();
const CACHE_LIMIT = 256;

/** Forgets parsed certificates (benchmarks measure cold verification with it). */
export function clearCertificateCache(): void {
  cache.clear();
}

/**
 * Parses one DER certificate. Results are cached by content hash: parsing is a pure function of the
 * bytes, and the same PCK chains and collateral signers recur in every verification.
 */
export function parseCertificate(der: Uint8Array, what = "certificate"): Certificate {
  const bytes = Buffer.from(der);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const hit = cache.get(sha256);
  if (hit) return hit;
  const cert = parseUncached(bytes, sha256, what);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(sha256, cert);
  return cert;
}

function parseUncached(der: Buffer, sha256: string, what: string): Certificate {
  const top = children(expectTag(parseDer(der, what), TAG.SEQUENCE, what), what);
  if (top.length !== 3)
    throw new AttestationError("MALFORMED_EVIDENCE", `${what} is not an X.509 certificate`);
  const tbs = children(expectTag(top[0], TAG.SEQUENCE, what), what);
  let i = 0;
  if (tbs[0]?.tag === 0xa0) i++; // [0] EXPLICIT version
  const serialHex = integerHex(tbs[i++]!, what);
  i++; // signature algorithm (the outer one is what Node checks)
  const issuer = expectTag(tbs[i++], TAG.SEQUENCE, what);
  const validity = children(expectTag(tbs[i++], TAG.SEQUENCE, what), what);
  const subject = expectTag(tbs[i++], TAG.SEQUENCE, what);
  const spki = expectTag(tbs[i++], TAG.SEQUENCE, what);
  let extensions = new Map<string, CertExtension>();
  for (; i < tbs.length; i++) {
    if (tbs[i]!.tag === 0xa3) extensions = parseExtensions(tbs[i]!, what);
  }
  if (validity.length !== 2) throw new AttestationError("MALFORMED_EVIDENCE", `bad validity in ${what}`);
  const bc = parseBasicConstraints(extensions.get(OID.basicConstraints), what);
  let x509: X509Certificate;
  try {
    // Trap: given a Buffer, Node tries PEM first and takes the first PEM block found *anywhere* in
    // the bytes. An RA-TLS certificate embeds a quote whose PCK chain is PEM text, so raw DER would
    // silently parse as the embedded PCK certificate. Wrap the DER as PEM ourselves and check.
    x509 = new X509Certificate(
      `-----BEGIN CERTIFICATE-----\n${der.toString("base64")}\n-----END CERTIFICATE-----\n`,
    );
  } catch (cause) {
    throw new AttestationError("MALFORMED_EVIDENCE", `${what} could not be parsed`, { cause });
  }
  if (!x509.raw.equals(der))
    throw new AttestationError("MALFORMED_EVIDENCE", `${what} did not parse as itself`);
  return {
    der,
    x509,
    sha256,
    serialHex,
    issuer: Buffer.from(raw(issuer)),
    subject: Buffer.from(raw(subject)),
    subjectCn: commonName(subject, what),
    notBefore: decodeTime(validity[0]!, what),
    notAfter: decodeTime(validity[1]!, what),
    spki: Buffer.from(raw(spki)),
    extensions,
    ca: bc.ca,
    pathLen: bc.pathLen,
    keyUsage: parseKeyUsage(extensions.get(OID.keyUsage), what),
  };
}

const PEM_RE = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*?)-----END CERTIFICATE-----/g;

/** Splits a PEM bundle into DER certificates (NUL terminators and text between blocks are ignored). */
export function splitPem(text: string, what: string, maxCerts = 8): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(PEM_RE)) {
    if (out.length >= maxCerts)
      throw new AttestationError("MALFORMED_EVIDENCE", `${what} holds more than ${maxCerts} certificates`);
    out.push(Buffer.from(m[1]!.replace(/\s+/g, ""), "base64"));
  }
  return out;
}

export function parsePemChain(text: string, what: string, maxCerts = 8): Certificate[] {
  return splitPem(text, what, maxCerts).map((der, index) =>
    parseCertificate(der, `${what} certificate ${index}`),
  );
}

/** Raw content of the extension value, if present. */
export function extensionValue(cert: Certificate, oid: string): Uint8Array | undefined {
  return cert.extensions.get(oid)?.value;
}
