// Hand-built X.509 v3 certificates and a strict reader for the fields RA-TLS needs.
// Building by hand (rather than through a certificate library) keeps extension order and bytes
// exactly as the Teaclave-era and interoperable conventions require, and keeps issuance synchronous.

import { createHash, sign, type KeyObject } from "node:crypto";
import * as der from "../der.js";
import { isAttestationError } from "../errors.js";
import { RaTlsError } from "./errors.js";

export const OID = {
  ecPublicKey: "1.2.840.10045.2.1",
  prime256v1: "1.2.840.10045.3.1.7",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  subjectKeyIdentifier: "2.5.29.14",
  authorityKeyIdentifier: "2.5.29.35",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
} as const;

const NAME_ATTRIBUTES = {
  CN: "2.5.4.3",
  C: "2.5.4.6",
  L: "2.5.4.7",
  ST: "2.5.4.8",
  O: "2.5.4.10",
  OU: "2.5.4.11",
} as const;

export type NameAttribute = keyof typeof NAME_ATTRIBUTES;
/** A distinguished name as ordered (attribute, value) pairs, one RDN each. */
export type DistinguishedName = ReadonlyArray<readonly [NameAttribute, string]>;

export interface CertExtension {
  oid: string;
  critical?: boolean;
  /** The extnValue contents (the bytes inside the OCTET STRING). */
  value: Uint8Array;
}

export interface CertificateTemplate {
  serial: Uint8Array;
  subject: DistinguishedName;
  issuer: DistinguishedName;
  notBefore: Date;
  notAfter: Date;
  publicKey: KeyObject;
  signingKey: KeyObject;
  extensions: readonly CertExtension[];
}

export function encodeName(name: DistinguishedName): Buffer {
  return der.seq(
    ...name.map(([attr, value]) =>
      der.set(
        der.seq(
          der.oid(NAME_ATTRIBUTES[attr]),
          attr === "C" ? der.tlv(der.TAG.PRINTABLE_STRING, Buffer.from(value, "ascii")) : der.utf8(value),
        ),
      ),
    ),
  );
}

function signatureAlgorithm(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === "ec") return der.seq(der.oid(OID.ecdsaWithSha256));
  if (key.asymmetricKeyType === "rsa") return der.seq(der.oid(OID.sha256WithRsa), der.derNull());
  throw new RaTlsError("INVALID_ARGUMENT", `unsupported signing key type ${key.asymmetricKeyType}`);
}

/** Builds and signs a certificate; returns its DER. */
export function buildCertificate(t: CertificateTemplate): Buffer {
  const algorithm = signatureAlgorithm(t.signingKey);
  const spki = t.publicKey.export({ type: "spki", format: "der" });
  const extensions = t.extensions.map((e) =>
    der.seq(der.oid(e.oid), ...(e.critical ? [der.bool(true)] : []), der.octets(e.value)),
  );
  const tbs = der.seq(
    der.explicit(0, der.integer(2)),
    der.integer(t.serial),
    algorithm,
    encodeName(t.issuer),
    der.seq(der.time(t.notBefore), der.time(t.notAfter)),
    encodeName(t.subject),
    spki,
    ...(extensions.length > 0 ? [der.explicit(3, der.seq(...extensions))] : []),
  );
  // ECDSA signatures are DER ECDSA-Sig-Value (node's default), RSA is PKCS#1 v1.5: both as X.509 wants.
  const signature = sign("sha256", tbs, t.signingKey);
  return der.seq(tbs, algorithm, der.bitString(signature));
}

/** A positive, random-looking 16-byte serial number. */
export function serialFrom(bytes: Uint8Array): Uint8Array {
  const serial = Uint8Array.from(bytes.subarray(0, 16));
  serial[0] = ((serial[0] as number) & 0x7f) | 0x01;
  return serial;
}

// ------------------------------------------------------------------------------ standard extensions

export function basicConstraints(ca: boolean, pathLen?: number): CertExtension {
  const items = ca ? [der.bool(true), ...(pathLen === undefined ? [] : [der.integer(pathLen)])] : [];
  return { oid: OID.basicConstraints, critical: true, value: der.seq(...items) };
}

export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

export function keyUsage(...usages: (keyof typeof KEY_USAGE)[]): CertExtension {
  return { oid: OID.keyUsage, critical: true, value: der.namedBits(usages.map((u) => KEY_USAGE[u])) };
}

export function extKeyUsage(...oids: string[]): CertExtension {
  return { oid: OID.extKeyUsage, value: der.seq(...oids.map((o) => der.oid(o))) };
}

export function subjectAltNames(dnsNames: readonly string[]): CertExtension {
  return {
    oid: OID.subjectAltName,
    value: der.seq(...dnsNames.map((n) => der.tlv(0x82, Buffer.from(n, "ascii")))),
  };
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
export function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = publicKey.export({ type: "spki", format: "der" });
  return createHash("sha1").update(spkiPublicKeyBits(spki)).digest();
}

export function subjectKeyIdentifier(publicKey: KeyObject): CertExtension {
  return { oid: OID.subjectKeyIdentifier, value: der.octets(keyIdentifier(publicKey)) };
}

export function authorityKeyIdentifier(issuerKey: KeyObject): CertExtension {
  return { oid: OID.authorityKeyIdentifier, value: der.seq(der.tlv(0x80, keyIdentifier(issuerKey))) };
}

// -------------------------------------------------------------------------------------------- read

export interface ParsedExtension {
  oid: string;
  critical: boolean;
  value: Buffer;
}

export interface ParsedCertificate {
  der: Buffer;
  /** The signed part, exactly as it appears in the certificate. */
  tbs: Buffer;
  serial: Buffer;
  issuer: Buffer;
  subject: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** DER SubjectPublicKeyInfo, exactly as it appears in the certificate. */
  spki: Buffer;
  extensions: ParsedExtension[];
  signatureAlgorithm: string;
  signature: Buffer;
}

/** A Buffer view of reader output (no copy), so parsed fields share the input's memory. */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function malformed(message: string): RaTlsError {
  return new RaTlsError("CERT_MALFORMED", message);
}

/** The DER reader refuses with the verifier's code; RA-TLS callers branch on their own. */
function asCertMalformed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (isAttestationError(err, "MALFORMED_EVIDENCE"))
      throw new RaTlsError("CERT_MALFORMED", err.message, { cause: err });
    throw err;
  }
}

/** Parses the X.509 fields RA-TLS relies on; anything outside the expected shape is refused. */
export function parseCertificate(input: Uint8Array): ParsedCertificate {
  return asCertMalformed(() => parseCertificateFields(view(input)));
}

function parseCertificateFields(buf: Buffer): ParsedCertificate {
  const what = "RA-TLS certificate";
  const { TAG } = der;
  const cert = der.expectTag(der.parseDer(buf, what), TAG.SEQUENCE, what);
  const [tbsNode, sigAlgNode, sigNode, ...rest] = der.children(cert, what);
  if (rest.length > 0) throw malformed("unexpected fields in Certificate");
  const tbs = der.expectTag(tbsNode, TAG.SEQUENCE, `${what} TBSCertificate`);
  const sigAlg = der.children(der.expectTag(sigAlgNode, TAG.SEQUENCE, `${what} AlgorithmIdentifier`), what);
  const signature = der.decodeBitString(sigNode!, `${what} signature`);
  if (signature.unused !== 0) throw malformed("signature has unused bits");

  const fields = der.children(tbs, what);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // explicit version; v1 certificates omit it
  const serial = der.expectTag(fields[i++], TAG.INTEGER, `${what} serialNumber`);
  der.expectTag(fields[i++], TAG.SEQUENCE, `${what} signature algorithm`);
  const issuer = der.expectTag(fields[i++], TAG.SEQUENCE, `${what} issuer`);
  const validity = der.children(der.expectTag(fields[i++], TAG.SEQUENCE, `${what} validity`), what);
  const subject = der.expectTag(fields[i++], TAG.SEQUENCE, `${what} subject`);
  const spki = der.expectTag(fields[i++], TAG.SEQUENCE, `${what} subjectPublicKeyInfo`);
  if (validity.length !== 2) throw malformed("validity must have two times");

  const extensions: ParsedExtension[] = [];
  for (; i < fields.length; i++) {
    const field = fields[i]!;
    if (field.tag === 0x81 || field.tag === 0x82) continue; // issuer/subject unique IDs
    if (field.tag !== 0xa3) throw malformed("unexpected field in TBSCertificate");
    const list = der.children(field, what);
    if (list.length !== 1) throw malformed("bad extensions wrapper");
    for (const ext of der.children(der.expectTag(list[0], TAG.SEQUENCE, `${what} Extensions`), what)) {
      const parts = der.children(der.expectTag(ext, TAG.SEQUENCE, `${what} Extension`), what);
      if (parts.length !== 2 && parts.length !== 3) throw malformed("bad Extension");
      const critical = parts.length === 3 && der.decodeBoolean(parts[1]!, `${what} critical`);
      extensions.push({
        oid: der.decodeOid(parts[0]!, `${what} extnID`),
        critical,
        value: view(der.decodeOctets(parts[parts.length - 1]!, `${what} extnValue`)),
      });
    }
  }

  return {
    der: buf,
    tbs: view(der.raw(tbs)),
    serial: view(der.content(serial)),
    issuer: view(der.raw(issuer)),
    subject: view(der.raw(subject)),
    notBefore: der.decodeTime(validity[0]!, `${what} notBefore`),
    notAfter: der.decodeTime(validity[1]!, `${what} notAfter`),
    spki: view(der.raw(spki)),
    extensions,
    signatureAlgorithm: der.decodeOid(sigAlg[0]!, `${what} signature algorithm`),
    signature: view(signature.bits),
  };
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (for EC: the uncompressed point). */
export function spkiPublicKeyBits(spki: Uint8Array): Buffer {
  return asCertMalformed(() => {
    const what = "SubjectPublicKeyInfo";
    const root = der.expectTag(der.parseDer(spki, what), der.TAG.SEQUENCE, what);
    const [, bits] = der.children(root, what);
    const key = der.decodeBitString(bits!, `${what} subjectPublicKey`);
    if (key.unused !== 0) throw malformed("public key has unused bits");
    return view(key.bits);
  });
}

/** PEM armour with 64-character lines. */
export function toPem(derBytes: Uint8Array, label = "CERTIFICATE"): string {
  const b64 = Buffer.from(derBytes).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** All PEM blocks with the given label, as DER. */
export function fromPem(pem: string, label = "CERTIFICATE"): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+?)-----END ${label}-----`, "g");
  return [...pem.matchAll(re)].map((m) => Buffer.from((m[1] as string).replace(/\s+/g, ""), "base64"));
}
