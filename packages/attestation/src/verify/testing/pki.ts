// Test support: a provisioning PKI shaped like Intel's (root CA → PCK CA → PCK leaf with the SGX
// extension, plus a TCB signing certificate and CRLs), built with @peculiar/x509 on Node's WebCrypto.
// Used to produce simulation-style evidence and collateral, and chains that must be refused.

import { KeyObject, webcrypto } from "node:crypto";
import type * as X509 from "@peculiar/x509";

let loaded: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 is loaded on first use: it needs the reflect-metadata polyfill (a global) and
 * takes ~100 ms to import, which production users of the package front door must not pay.
 */
export function loadX509(): Promise<typeof X509> {
  loaded ??= (async () => {
    await import("reflect-metadata");
    const x509 = await import("@peculiar/x509");
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  })();
  return loaded;
}

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ECDSA = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const YEAR_MS = 365 * 24 * 3600 * 1000;

export interface TestCert {
  name: string;
  der: Buffer;
  pem: string;
  serialHex: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  cryptoKey: CryptoKeyPair;
  cert: X509.X509Certificate;
}

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

let serialCounter = 0x1000;
function nextSerial(): string {
  serialCounter += 1;
  return `7e${serialCounter.toString(16).padStart(8, "0")}`;
}

async function keys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ECDSA, true, ["sign", "verify"])) as CryptoKeyPair;
}

function wrap(name: string, cert: X509.X509Certificate, pair: CryptoKeyPair): TestCert {
  const der = Buffer.from(cert.rawData);
  return {
    name,
    der,
    pem: cert.toString("pem"),
    serialHex: cert.serialNumber.replace(/^(00)+/, "").toLowerCase(),
    privateKey: KeyObject.from(pair.privateKey),
    publicKey: KeyObject.from(pair.publicKey),
    cryptoKey: pair,
    cert,
  };
}

/** A self-signed CA (ECDSA P-256, CA:TRUE, pathlen 1, keyCertSign|cRLSign), like Intel's root. */
export async function createTestRoot(name: string, validity: Validity): Promise<TestCert> {
  const x509 = await loadX509();
  const pair = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name,
    notBefore: validity.notBefore,
    notAfter: validity.notAfter,
    keys: pair,
    signingAlgorithm: ECDSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, 1, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return wrap(name, cert, pair);
}

export interface IssueOptions extends Validity {
  ca?: { pathLength?: number };
  extensions?: X509.Extension[];
  serialHex?: string;
}

export async function issueTestCert(
  issuer: TestCert,
  name: string,
  options: IssueOptions,
): Promise<TestCert> {
  const x509 = await loadX509();
  const pair = await keys();
  const extensions: X509.Extension[] = [...(options.extensions ?? [])];
  if (options.ca) {
    extensions.push(new x509.BasicConstraintsExtension(true, options.ca.pathLength, true));
    extensions.push(
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    );
  } else {
    extensions.push(new x509.BasicConstraintsExtension(false, undefined, true));
    extensions.push(
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
        true,
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: options.serialHex ?? nextSerial(),
    subject: name,
    issuer: issuer.cert.subject,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    publicKey: pair.publicKey,
    signingKey: issuer.cryptoKey.privateKey,
    signingAlgorithm: ECDSA,
    extensions,
  });
  return wrap(name, cert, pair);
}

/** A CRL signed by `issuer` listing `serials` (hex). */
export async function createTestCrl(
  issuer: TestCert,
  serials: readonly string[],
  thisUpdate: Date,
  nextUpdate: Date,
): Promise<Buffer> {
  const x509 = await loadX509();
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.cert.subject,
    thisUpdate,
    nextUpdate,
    signingKey: issuer.cryptoKey.privateKey,
    signingAlgorithm: ECDSA,
    entries: serials.map((serialNumber) => ({ serialNumber, revocationDate: thisUpdate })),
  });
  return Buffer.from(crl.rawData);
}

/** A validity window of `years` starting an hour before `now`. */
export function validFor(now: Date, years: number): Validity {
  return {
    notBefore: new Date(now.getTime() - 3600_000),
    notAfter: new Date(now.getTime() + years * YEAR_MS),
  };
}
