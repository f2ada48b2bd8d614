// Certificate chain verification to a pinned root. Roots are pinned by SHA-256 of their DER, never by
// name: Intel's own QVL sample data ships "Intel SGX Root CA" certificates with other keys
// (spec attestation.md §1.7). The order of checks fixes which error a broken chain reports:
// untrusted root, then linkage and signatures, then validity at `now`, then revocation.

import { AttestationError } from "../errors.js";
import { clearCertificateCache, KEY_USAGE_KEY_CERT_SIGN, OID, type Certificate } from "./certificate.js";
import { checkCrl, clearCrlCache, isRevoked, type Crl } from "./crl.js";

export type AnchorKind = "intel" | "simulation" | "amd";

export interface TrustAnchor {
  sha256: string;
  kind: AnchorKind;
  label: string;
}

export interface ChainOptions {
  now: Date;
  /** Pinned roots by SHA-256 (lowercase hex). */
  anchors: ReadonlyMap<string, TrustAnchor>;
  /** Roots that may complete a chain which stops below its root (they must still be pinned). */
  fallbackRoots?: readonly Certificate[];
  /** CRLs to consult; each applies to the certificates issued by the CA whose subject it names. */
  crls?: readonly Crl[];
  what: string;
  maxLength?: number;
}

export interface VerifiedChain {
  certs: Certificate[];
  root: Certificate;
  anchor: TrustAnchor;
}

// Extensions this verifier either enforces or may safely ignore when a CA marks them critical.
const UNDERSTOOD_CRITICAL = new Set([
  OID.basicConstraints,
  OID.keyUsage,
  "2.5.29.37", // extKeyUsage
  "2.5.29.17", // subjectAltName
  "2.5.29.14", // subjectKeyIdentifier
  "2.5.29.35", // authorityKeyIdentifier
]);

const verifiedSignatures = new Set<string>();

/**
 * Forgets remembered certificate and CRL signatures and parsed certificates. Verification results never
 * depend on these caches (both are keyed by content); this exists to measure cold verification.
 */
export function resetVerifierCaches(): void {
  verifiedSignatures.clear();
  clearCertificateCache();
  clearCrlCache();
}

/** Signature of `child` by `issuer`; successful checks are remembered (both are content-addressed). */
function signedBy(child: Certificate, issuer: Certificate): boolean {
  const key = `${child.sha256}:${issuer.sha256}`;
  if (verifiedSignatures.has(key)) return true;
  let ok = false;
  try {
    ok = child.x509.verify(issuer.x509.publicKey);
  } catch {
    ok = false;
  }
  if (ok) {
    if (verifiedSignatures.size > 4096) verifiedSignatures.clear();
    verifiedSignatures.add(key);
  }
  return ok;
}

export function verifyChain(input: readonly Certificate[], options: ChainOptions): VerifiedChain {
  const { what, now } = options;
  const certs = [...input];
  if (certs.length === 0) throw new AttestationError("CHAIN_INVALID", `${what} has no certificates`);
  const last = certs[certs.length - 1]!;
  if (!last.issuer.equals(last.subject)) {
    const root = options.fallbackRoots?.find((r) => r.subject.equals(last.issuer));
    if (root) certs.push(root);
  }
  if (certs.length > (options.maxLength ?? 5))
    throw new AttestationError("CHAIN_INVALID", `${what} is too long`);
  const root = certs[certs.length - 1]!;
  const anchor = options.anchors.get(root.sha256);
  if (!anchor) {
    throw new AttestationError(
      "UNTRUSTED_ROOT",
      `${what} ends in "${root.subjectCn ?? "unnamed"}" (SHA-256 ${root.sha256}), which is not a pinned trust anchor`,
    );
  }
  if (!root.issuer.equals(root.subject) || !signedBy(root, root)) {
    throw new AttestationError("CHAIN_INVALID", `${what}: root "${root.subjectCn}" is not self-signed`);
  }

  for (let i = 0; i < certs.length - 1; i++) {
    const child = certs[i]!;
    const issuer = certs[i + 1]!;
    const name = `"${child.subjectCn ?? `certificate ${i}`}"`;
    if (!child.issuer.equals(issuer.subject)) {
      throw new AttestationError("CHAIN_INVALID", `${what}: ${name} was not issued by "${issuer.subjectCn}"`);
    }
    if (!issuer.ca)
      throw new AttestationError("CHAIN_INVALID", `${what}: issuer "${issuer.subjectCn}" is not a CA`);
    if (issuer.keyUsage !== null && (issuer.keyUsage & KEY_USAGE_KEY_CERT_SIGN) === 0) {
      throw new AttestationError(
        "CHAIN_INVALID",
        `${what}: issuer "${issuer.subjectCn}" may not sign certificates`,
      );
    }
    // Intermediate CAs below `issuer` (i.e. between it and the leaf).
    const below = i;
    if (issuer.pathLen !== null && below > issuer.pathLen) {
      throw new AttestationError(
        "CHAIN_INVALID",
        `${what}: path length constraint of "${issuer.subjectCn}" exceeded`,
      );
    }
    if (i > 0 && !child.ca)
      throw new AttestationError("CHAIN_INVALID", `${what}: intermediate ${name} is not a CA`);
    if (!signedBy(child, issuer)) {
      throw new AttestationError(
        "CHAIN_INVALID",
        `${what}: signature of ${name} does not verify under "${issuer.subjectCn}"`,
      );
    }
  }

  for (const cert of certs) {
    for (const [oid, ext] of cert.extensions) {
      if (ext.critical && !UNDERSTOOD_CRITICAL.has(oid)) {
        throw new AttestationError(
          "CHAIN_INVALID",
          `${what}: "${cert.subjectCn}" has unknown critical extension ${oid}`,
        );
      }
    }
    if (now < cert.notBefore) {
      throw new AttestationError(
        "CERTIFICATE_EXPIRED",
        `${what}: "${cert.subjectCn}" is not valid before ${cert.notBefore.toISOString()}`,
      );
    }
    if (now > cert.notAfter) {
      throw new AttestationError(
        "CERTIFICATE_EXPIRED",
        `${what}: "${cert.subjectCn}" expired at ${cert.notAfter.toISOString()}`,
      );
    }
  }

  for (const crl of options.crls ?? []) {
    const issuerIndex = certs.findIndex((c) => c.subject.equals(crl.issuer));
    if (issuerIndex <= 0) continue;
    const issuer = certs[issuerIndex]!;
    checkCrl(crl, issuer, now, `CRL of "${issuer.subjectCn}"`);
    for (let i = 0; i < issuerIndex; i++) {
      const cert = certs[i]!;
      if (cert.issuer.equals(issuer.subject) && isRevoked(crl, cert)) {
        throw new AttestationError(
          "REVOKED",
          `${what}: "${cert.subjectCn}" (serial ${cert.serialHex}) is revoked by its issuer's CRL`,
        );
      }
    }
  }

  return { certs, root, anchor };
}
