// Hand-built X.509 v3 certificates and a strict reader for the fields RA-TLS needs.
// Building by hand (rather than through a certificate library) keeps extension order and bytes
// exactly as the Teaclave-era and interoperable conventions require, and keeps issuance synchronous.

import { createHash, sign, type KeyObject } from "node:crypto";
import * as der from "./der.js";
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

/** Parses the X.509 fields RA-TLS relies on; anything outside the expected shape is refused. */
export function parseCertificate(input: Uint8Array): ParsedCertificate {
  const buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  const cert = der.expectTag(der.readNode(buf), der.TAG.SEQUENCE, "Certificate");
  if (cert.end !== buf.length) throw new RaTlsError("CERT_MALFORMED", "trailing bytes after the certificate");
  const [tbsNode, sigAlgNode, sigNode, ...rest] = der.children(buf, cert);
  if (rest.length > 0) throw new RaTlsError("CERT_MALFORMED", "unexpected fields in Certificate");
  der.expectTag(tbsNode, der.TAG.SEQUENCE, "TBSCertificate");
  const sigAlg = der.children(buf, der.expectTag(sigAlgNode, der.TAG.SEQUENCE, "AlgorithmIdentifier"));
  const sigBits = der.expectTag(sigNode, der.TAG.BIT_STRING, "signature");
  if (sigBits.content[0] !== 0) throw new RaTlsError("CERT_MALFORMED", "signature has unused bits");

  const fields = der.children(buf, tbsNode as der.DerNode);
  let i = 0;
  if (fields[0]?.tag === 0xa0) i++; // explicit version; v1 certificates omit it
  const serial = der.expectTag(fields[i++], der.TAG.INTEGER, "serialNumber");
  der.expectTag(fields[i++], der.TAG.SEQUENCE, "signature algorithm");
  const issuer = der.expectTag(fields[i++], der.TAG.SEQUENCE, "issuer");
  const validity = der.children(buf, der.expectTag(fields[i++], der.TAG.SEQUENCE, "validity"));
  const subject = der.expectTag(fields[i++], der.TAG.SEQUENCE, "subject");
  const spki = der.expectTag(fields[i++], der.TAG.SEQUENCE, "subjectPublicKeyInfo");
  if (validity.length !== 2) throw new RaTlsError("CERT_MALFORMED", "validity must have two times");

  const extensions: ParsedExtension[] = [];
  for (; i < fields.length; i++) {
    const field = fields[i] as der.DerNode;
    if (field.tag === 0x81 || field.tag === 0x82) continue; // issuer/subject unique IDs
    if (field.tag !== 0xa3) throw new RaTlsError("CERT_MALFORMED", "unexpected field in TBSCertificate");
    const list = der.children(buf, field);
    if (list.length !== 1) throw new RaTlsError("CERT_MALFORMED", "bad extensions wrapper");
    for (const ext of der.children(buf, der.expectTag(list[0], der.TAG.SEQUENCE, "Extensions"))) {
      const parts = der.children(buf, der.expectTag(ext, der.TAG.SEQUENCE, "Extension"));
      const oidNode = der.expectTag(parts[0], der.TAG.OID, "extnID");
      let critical = false;
      let valueNode = parts[1];
      if (valueNode?.tag === der.TAG.BOOLEAN) {
        critical = valueNode.content.length === 1 && valueNode.content[0] === 0xff;
        valueNode = parts[2];
      }
      const value = der.expectTag(valueNode, der.TAG.OCTET_STRING, "extnValue");
      extensions.push({ oid: der.decodeOid(oidNode.content), critical, value: value.content });
    }
  }

  return {
    der: buf,
    tbs: (tbsNode as der.DerNode).raw,
    serial: serial.content,
    issuer: issuer.raw,
    subject: subject.raw,
    notBefore: der.decodeTime(validity[0] as der.DerNode),
    notAfter: der.decodeTime(validity[1] as der.DerNode),
    spki: spki.raw,
    extensions,
    signatureAlgorithm: der.decodeOid(der.expectTag(sigAlg[0], der.TAG.OID, "algorithm").content),
    signature: sigBits.content.subarray(1),
  };
}

/** The subjectPublicKey bits of a DER SubjectPublicKeyInfo (for EC: the uncompressed point). */
export function spkiPublicKeyBits(spki: Uint8Array): Buffer {
  const buf = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  const root = der.expectTag(der.readNode(buf), der.TAG.SEQUENCE, "SubjectPublicKeyInfo");
  const [, bits] = der.children(buf, root);
  const bitString = der.expectTag(bits, der.TAG.BIT_STRING, "subjectPublicKey");
  if (bitString.content[0] !== 0) throw new RaTlsError("CERT_MALFORMED", "public key has unused bits");
  return bitString.content.subarray(1);
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
