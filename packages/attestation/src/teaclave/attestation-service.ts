// The platform's own attestation-service role for Teaclave-era clients (spec teaclave-compat.md
// §1.4, §1.6): an RSA root CA and a report-signing certificate, generated once per deployment, that
// endorse SGX quotes in the IAS v4 report format Teaclave's clients check. Teaclave clients trust
// this role's root (as_root_ca_cert.pem) instead of Intel; MesaTEE's own verifier never accepts this
// format and checks the quote itself.

import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from "node:crypto";
import { join } from "node:path";
import { readOrCreate } from "../backends/files.js";
import { isBackendError } from "../backends/errors.js";
import {
  authorityKeyIdentifier,
  basicConstraints,
  buildCertificate,
  extKeyUsage,
  fromPem,
  keyUsage,
  OID,
  serialFrom,
  subjectKeyIdentifier,
  toPem,
  type DistinguishedName,
} from "../ratls/x509.js";
import { TeaclaveCompatError } from "./errors.js";

export const AS_FILES = {
  /** Private: root CA key (PKCS#8) and certificate. */
  root: "as-root-ca.pem",
  /** Public: what Teaclave clients pin (their `as_root_ca_cert.pem`). */
  rootCert: "as_root_ca_cert.pem",
  /** Private: report-signing key and certificate. */
  signing: "as-signing.pem",
} as const;

const ROOT_NAME: DistinguishedName = [
  ["CN", "MesaTEE Attestation Service Root CA"],
  ["O", "MesaTEE"],
];
const SIGNING_NAME: DistinguishedName = [
  ["CN", "MesaTEE Attestation Report Signing"],
  ["O", "MesaTEE"],
];

/** isvEnclaveQuoteStatus values Teaclave parses (spec §1.4 step 3). */
export type IasQuoteStatus =
  | "OK"
  | "SIGNATURE_INVALID"
  | "GROUP_REVOKED"
  | "SIGNATURE_REVOKED"
  | "KEY_REVOKED"
  | "SIGRL_VERSION_MISMATCH"
  | "GROUP_OUT_OF_DATE"
  | "OUT_OF_DATE"
  | "OUT_OF_DATE_CONFIGURATION_NEEDED"
  | "CONFIGURATION_NEEDED"
  | "SW_HARDENING_NEEDED"
  | "CONFIGURATION_AND_SW_HARDENING_NEEDED"
  | "UNSPECIFIED";

/** Intel TCB status → IAS status, as Teaclave's DCAP attestation server maps QVL results (§1.6). */
export function iasStatusFor(tcbStatus: string | null): IasQuoteStatus {
  switch (tcbStatus) {
    case "UpToDate":
      return "OK";
    case "SWHardeningNeeded":
      return "SW_HARDENING_NEEDED";
    case "ConfigurationNeeded":
      return "CONFIGURATION_NEEDED";
    case "ConfigurationAndSWHardeningNeeded":
      return "CONFIGURATION_AND_SW_HARDENING_NEEDED";
    case "OutOfDate":
      return "OUT_OF_DATE";
    case "OutOfDateConfigurationNeeded":
      return "OUT_OF_DATE_CONFIGURATION_NEEDED";
    case "Revoked":
      return "KEY_REVOKED";
    default:
      // No collateral evaluated (e.g. simulation) or a status IAS has no word for.
      return "UNSPECIFIED";
  }
}

/** The IAS-style report body, quote header + report body = the first 432 bytes of the quote. */
export const QUOTE_BODY_LENGTH = 432;

export interface EndorsedReport {
  /** The report JSON exactly as signed. */
  report: Buffer;
  /** RSA PKCS#1 v1.5 SHA-256 signature over `report` by the signing certificate. */
  signature: Buffer;
  /** DER certificates: the signing certificate only (never the root: clients must pin it). */
  certs: Buffer[];
}

export interface AttestationServiceOptions {
  /** Directory for the role's keys; created once and reused. */
  dir: string;
  /** RSA modulus length for newly generated keys; default 3072 (Teaclave verifiers accept 2048-8192). */
  modulusLength?: number;
  now?: Date;
}

interface Loaded {
  key: KeyObject;
  certDer: Buffer;
}

function parse(pem: Buffer, path: string): Loaded {
  const text = pem.toString("ascii");
  const [keyDer] = fromPem(text, "PRIVATE KEY");
  const [certDer] = fromPem(text, "CERTIFICATE");
  if (keyDer === undefined || certDer === undefined) {
    throw new TeaclaveCompatError("KEY_FILE_INVALID", `${path} must hold a PRIVATE KEY and a CERTIFICATE`);
  }
  try {
    return { key: createPrivateKey({ key: keyDer, format: "der", type: "pkcs8" }), certDer };
  } catch (err) {
    throw new TeaclaveCompatError("KEY_FILE_INVALID", `${path} holds an unusable key`, { cause: err });
  }
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

export class AttestationServiceRole {
  private constructor(
    private readonly root: Loaded,
    private readonly signing: Loaded,
  ) {}

  /** Loads the role's keys from `dir`, generating the root CA and signing certificate once. */
  static async open(options: AttestationServiceOptions): Promise<AttestationServiceRole> {
    const modulusLength = options.modulusLength ?? 3072;
    if (!Number.isInteger(modulusLength) || modulusLength < 2048 || modulusLength > 8192) {
      throw new TeaclaveCompatError("INVALID_ARGUMENT", "modulusLength must be 2048..8192");
    }
    const now = options.now ?? new Date();
    const rsa = (): { privateKey: KeyObject; publicKey: KeyObject } =>
      generateKeyPairSync("rsa", { modulusLength });
    const keyPem = (k: KeyObject): string => k.export({ type: "pkcs8", format: "pem" }) as string;
    try {
      const rootPath = join(options.dir, AS_FILES.root);
      const root = parse(
        await readOrCreate(rootPath, () => {
          const keys = rsa();
          const certDer = buildCertificate({
            serial: serialFrom(randomBytes(16)),
            subject: ROOT_NAME,
            issuer: ROOT_NAME,
            notBefore: new Date(now.getTime() - 3600_000),
            notAfter: new Date(now.getTime() + 20 * YEAR_MS),
            publicKey: keys.publicKey,
            signingKey: keys.privateKey,
            // OpenSSL (Teaclave's Python client) refuses a root without CA:TRUE and keyCertSign.
            extensions: [
              subjectKeyIdentifier(keys.publicKey),
              basicConstraints(true),
              keyUsage("keyCertSign", "cRLSign"),
            ],
          });
          return Buffer.from(keyPem(keys.privateKey) + toPem(certDer), "ascii");
        }),
        rootPath,
      );
      await readOrCreate(
        join(options.dir, AS_FILES.rootCert),
        () => Buffer.from(toPem(root.certDer), "ascii"),
        0o644,
      );

      const signingPath = join(options.dir, AS_FILES.signing);
      const signing = parse(
        await readOrCreate(signingPath, () => {
          const keys = rsa();
          const certDer = buildCertificate({
            serial: serialFrom(randomBytes(16)),
            subject: SIGNING_NAME,
            issuer: ROOT_NAME,
            notBefore: new Date(now.getTime() - 3600_000),
            notAfter: new Date(now.getTime() + 10 * YEAR_MS),
            publicKey: keys.publicKey,
            signingKey: root.key,
            extensions: [
              authorityKeyIdentifier(createPublicKey(root.key)),
              subjectKeyIdentifier(keys.publicKey),
              basicConstraints(false),
              keyUsage("digitalSignature"),
              // Teaclave's Rust clients check the signer with webpki as a TLS server certificate.
              extKeyUsage(OID.serverAuth),
            ],
          });
          return Buffer.from(keyPem(keys.privateKey) + toPem(certDer), "ascii");
        }),
        signingPath,
      );
      return new AttestationServiceRole(root, signing);
    } catch (err) {
      if (err instanceof TeaclaveCompatError) throw err;
      const code = isBackendError(err, "KEY_FILE_INVALID") ? "KEY_FILE_INVALID" : "IO_ERROR";
      throw new TeaclaveCompatError(code, `attestation-service keys: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /** The root certificate clients pin, PEM (the contents of as_root_ca_cert.pem). */
  get rootCertPem(): string {
    return toPem(this.root.certDer);
  }

  get rootCertDer(): Buffer {
    return this.root.certDer;
  }

  get signingCertDer(): Buffer {
    return this.signing.certDer;
  }

  /**
   * Signs an IAS v4-style report over an SGX quote: {id, timestamp, version: 4, isvEnclaveQuoteStatus,
   * isvEnclaveQuoteBody: base64(quote[0:432])}. The caller has verified the quote.
   */
  endorse(quote: Uint8Array, status: IasQuoteStatus, now: Date = new Date()): EndorsedReport {
    if (!(quote instanceof Uint8Array) || quote.length < QUOTE_BODY_LENGTH) {
      throw new TeaclaveCompatError("ENDORSEMENT_REFUSED", `a quote has at least ${QUOTE_BODY_LENGTH} bytes`);
    }
    const report = Buffer.from(
      JSON.stringify({
        id: randomBytes(16).toString("hex"),
        // IAS writes UTC without a zone suffix ("%Y-%m-%dT%H:%M:%S%.f").
        timestamp: now.toISOString().replace(/Z$/, "000"),
        version: 4,
        isvEnclaveQuoteStatus: status,
        isvEnclaveQuoteBody: Buffer.from(quote.subarray(0, QUOTE_BODY_LENGTH)).toString("base64"),
      }),
      "utf8",
    );
    return { report, signature: sign("sha256", report, this.signing.key), certs: [this.signing.certDer] };
  }
}
