// The TLS identity of the public endpoints. Until attestation is wired in, the server uses a self-signed
// ECDSA P-256 certificate generated on first start and kept in the data directory; clients pin it.
// This module is the only place that knows where the server's key and certificate come from.
import "reflect-metadata";
import { webcrypto, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

export interface TlsIdentity {
  readonly key: string;
  readonly cert: string;
}

const VALIDITY_DAYS = 365;

export async function createSelfSignedIdentity(hosts: readonly string[], now = new Date()): Promise<TlsIdentity> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const names = hosts.map((h) => (/^[\d.]+$/.test(h) || h.includes(":") ? { type: "ip", value: h } : { type: "dns", value: h }));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1"),
    name: "CN=MesaTEE platform",
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + VALIDITY_DAYS * 86_400_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names as x509.JsonGeneralNames),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const key = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(pkcs8).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END PRIVATE KEY-----\n`;
  return { key: key.replace(/\n\n/g, "\n"), cert: `${cert.toString("pem")}\n` };
}

/** Loads the identity from `dir`, creating it (key file mode 0600) when absent or expired. */
export async function loadOrCreateIdentity(dir: string, hosts: readonly string[]): Promise<TlsIdentity> {
  const keyPath = join(dir, "server.key");
  const certPath = join(dir, "server.pem");
  if (existsSync(keyPath) && existsSync(certPath)) {
    const identity = { key: readFileSync(keyPath, "utf8"), cert: readFileSync(certPath, "utf8") };
    if (new Date(new X509Certificate(identity.cert).validTo).getTime() > Date.now() + 86_400_000) return identity;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const identity = await createSelfSignedIdentity(hosts);
  writeFileSync(keyPath, identity.key, { mode: 0o600 });
  writeFileSync(certPath, identity.cert);
  return identity;
}
