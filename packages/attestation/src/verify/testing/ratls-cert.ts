// Test support: an interoperable RA-TLS certificate (spec attestation.md §3) around evidence from a
// test platform, with claims as Gramine writes them ({"pubkey-hash": [1, SHA-256(SPKI)]}).

import { createHash, webcrypto } from "node:crypto";
import { CborMap, encodeCbor } from "../../ratls/cbor.js";
import { encodeEvidenceExtension } from "../../ratls/extension.js";
import type { EvidenceFormat } from "../../types.js";
import type * as X509 from "@peculiar/x509";
import { loadX509 } from "./pki.js";

const ECDSA = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface RaTlsTestCertificate {
  der: Buffer;
  pem: string;
  claims: Buffer;
  reportData: Buffer;
}

/**
 * Issues a self-signed certificate whose extension 2.23.133.5.4.9 carries the evidence `makeEvidence`
 * returns for report_data = SHA-256(claims) ‖ 0³². `claimKey` lets a test put another key's hash in
 * the claims.
 */
export async function buildRaTlsTestCertificate(options: {
  now: Date;
  format: EvidenceFormat;
  makeEvidence: (reportData: Buffer) => Uint8Array;
  nonce?: Uint8Array;
  claimKeySpki?: Uint8Array;
  validityMs?: number;
}): Promise<RaTlsTestCertificate> {
  const x509 = await loadX509();
  const keys = (await webcrypto.subtle.generateKey(ECDSA, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const spki = Buffer.from(await webcrypto.subtle.exportKey("spki", keys.publicKey));
  const entries: [string, Uint8Array][] = [
    [
      "pubkey-hash",
      encodeCbor([
        1,
        createHash("sha256")
          .update(options.claimKeySpki ?? spki)
          .digest(),
      ]),
    ],
  ];
  if (options.nonce) entries.push(["nonce", options.nonce]);
  const claims = encodeCbor(new CborMap(entries));
  const reportData = Buffer.concat([createHash("sha256").update(claims).digest(), Buffer.alloc(32)]);
  const evidence = options.makeEvidence(reportData);
  const ext = encodeEvidenceExtension({ format: options.format, raw: evidence }, claims);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: "CN=RA-TLS test",
    notBefore: new Date(options.now.getTime() - 60_000),
    notAfter: new Date(options.now.getTime() + (options.validityMs ?? 3600_000)),
    keys: keys as unknown as CryptoKeyPairLike,
    signingAlgorithm: ECDSA,
    extensions: [new x509.Extension("2.23.133.5.4.9", false, ext)],
  });
  return { der: Buffer.from(cert.rawData), pem: cert.toString("pem"), claims, reportData };
}

type CryptoKeyPairLike = Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[0]["keys"];
