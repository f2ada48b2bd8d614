// Issuing RA-TLS certificates in the interoperable form (spec attestation.md §3, §7.2): a fresh
// ECDSA P-256 key per certificate, claims naming the key (pubkey-hash), the service and the TEE,
// evidence whose report_data = SHA-256(claims) ‖ 0³², all in extension 2.23.133.5.4.9 of a short-lived
// self-signed certificate. The private key never leaves the process.

import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import type { AttestationBackend, TeeKind } from "../backends/types.js";
import type { Evidence, TeeType } from "../types.js";
import { encodeClaims, isValidServiceName, MAX_NONCE_LENGTH, reportDataForClaims } from "./claims.js";
import { RaTlsError } from "./errors.js";
import { encodeEvidenceExtension, RATLS_EVIDENCE_OID } from "./extension.js";
import {
  basicConstraints,
  buildCertificate,
  extKeyUsage,
  keyUsage,
  OID,
  serialFrom,
  spkiPublicKeyBits,
  subjectAltNames,
  toPem,
  type CertExtension,
  type DistinguishedName,
} from "./x509.js";

export const DEFAULT_VALIDITY_MS = 24 * 3600 * 1000;
/** Longest validity issued (and, by default, accepted): a stolen certificate must expire soon. */
export const MAX_VALIDITY_MS = 7 * 24 * 3600 * 1000;
/** Back-dating notBefore tolerates small clock skew between peers. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const TEE_OF_BACKEND: Record<TeeKind, TeeType> = {
  simulation: "simulation",
  "sgx-gramine": "sgx",
  tdx: "tdx",
  "sev-snp": "sev-snp",
};

/** What a leading-extension provider learns about the key being certified. */
export interface CertifiedKeyInfo {
  publicKey: KeyObject;
  /** DER SubjectPublicKeyInfo. */
  spki: Buffer;
  /** The uncompressed EC point without its 0x04 prefix: X ‖ Y (64 bytes for P-256). */
  point: Buffer;
}

export interface IssueRaTlsOptions {
  backend: AttestationBackend;
  service: string;
  /** Lifetime from `now`; default 24 h, at most 7 days. */
  validityMs?: number;
  now?: Date;
  /** Optional freshness nonce carried in the claims (≤ 64 bytes). */
  nonce?: Uint8Array;
  /** DNS names for subjectAltName (RA-TLS peers do not check names; browsers and tools may). */
  dnsNames?: readonly string[];
  /** Extensions placed before the evidence extension (Teaclave's endorsed report must be first). */
  leadingExtensions?: (key: CertifiedKeyInfo) => Promise<CertExtension[]>;
}

export interface RaTlsCertificate {
  service: string;
  tee: TeeType;
  privateKey: KeyObject;
  keyPem: string;
  certDer: Buffer;
  certPem: string;
  notBefore: Date;
  notAfter: Date;
  serialHex: string;
  /** SHA-256 of the certificate's SubjectPublicKeyInfo, hex. */
  spkiSha256: string;
  evidence: Evidence;
  /** The CBOR claims exactly as certified. */
  claims: Buffer;
}

export async function issueRaTlsCertificate(options: IssueRaTlsOptions): Promise<RaTlsCertificate> {
  const { backend, service } = options;
  if (!isValidServiceName(service)) throw new RaTlsError("INVALID_ARGUMENT", "invalid service name");
  const validityMs = options.validityMs ?? DEFAULT_VALIDITY_MS;
  if (!Number.isInteger(validityMs) || validityMs < 60_000 || validityMs > MAX_VALIDITY_MS) {
    throw new RaTlsError(
      "INVALID_ARGUMENT",
      `validityMs must be between one minute and ${MAX_VALIDITY_MS} ms`,
    );
  }
  if (
    options.nonce !== undefined &&
    (!(options.nonce instanceof Uint8Array) || options.nonce.length > MAX_NONCE_LENGTH)
  ) {
    throw new RaTlsError("INVALID_ARGUMENT", `nonce must be at most ${MAX_NONCE_LENGTH} bytes`);
  }
  for (const name of options.dnsNames ?? []) {
    if (!/^[A-Za-z0-9*]([A-Za-z0-9.-]{0,252})$/.test(name))
      throw new RaTlsError("INVALID_ARGUMENT", `invalid DNS name ${name}`);
  }
  const tee = TEE_OF_BACKEND[backend.kind];
  if (tee === undefined)
    throw new RaTlsError("INVALID_ARGUMENT", `unknown backend kind ${String(backend.kind)}`);
  const now = options.now ?? new Date();

  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = publicKey.export({ type: "spki", format: "der" });
  const spkiSha256 = createHash("sha256").update(spki).digest();
  const claims = encodeClaims({
    pubkeyHash: { alg: 1, digest: spkiSha256 },
    service,
    tee,
    ...(options.nonce ? { nonce: options.nonce } : {}),
  });

  let evidence: Evidence;
  let leading: CertExtension[];
  try {
    evidence = await backend.getEvidence(reportDataForClaims(claims));
    leading = options.leadingExtensions
      ? await options.leadingExtensions({ publicKey, spki, point: spkiPublicKeyBits(spki).subarray(1) })
      : [];
  } catch (err) {
    throw new RaTlsError(
      "ISSUE_FAILED",
      `could not obtain evidence for ${service}: ${(err as Error).message}`,
      { cause: err },
    );
  }

  const name: DistinguishedName = [
    ["CN", `mesatee-${service}`],
    ["O", "MesaTEE"],
  ];
  const serial = serialFrom(randomBytes(16));
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const notAfter = new Date(now.getTime() + validityMs);
  const certDer = buildCertificate({
    serial,
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey,
    signingKey: privateKey,
    extensions: [
      ...leading,
      { oid: RATLS_EVIDENCE_OID, value: encodeEvidenceExtension(evidence, claims) },
      basicConstraints(false),
      keyUsage("digitalSignature"),
      extKeyUsage(OID.serverAuth, OID.clientAuth),
      ...(options.dnsNames && options.dnsNames.length > 0 ? [subjectAltNames(options.dnsNames)] : []),
    ],
  });
  // DER times have whole seconds: report what the certificate actually says.
  const seconds = (d: Date): Date => new Date(Math.floor(d.getTime() / 1000) * 1000);
  return {
    service,
    tee,
    privateKey,
    keyPem: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    certDer,
    certPem: toPem(certDer),
    notBefore: seconds(notBefore),
    notAfter: seconds(notAfter),
    serialHex: Buffer.from(serial).toString("hex"),
    spkiSha256: spkiSha256.toString("hex"),
    evidence,
    claims,
  };
}
