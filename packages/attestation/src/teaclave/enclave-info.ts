// What Teaclave-era clients need on disk (spec teaclave-compat.md §1.5, §7.1): enclave_info.toml
// (one table per enclave name with mr_enclave / mr_signer hex), the attestation-service root
// as_root_ca_cert.pem, and auditor signatures over the exact enclave_info.toml bytes
// (RSA PKCS#1 v1.5 SHA-256, `<auditor>.sign.sha256`). Demo auditor keys are generated per deployment.
// Checking signatures (with a threshold of distinct auditors) is the policy layer's verifyEnclaveInfo.

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { readOrCreate } from "../backends/files.js";
import { TeaclaveCompatError } from "./errors.js";
import { AS_FILES, type AttestationServiceRole } from "./attestation-service.js";

export interface EnclaveIdentity {
  /** MRENCLAVE, 32 bytes (Buffer) or 64 hex characters. */
  mrEnclave: Uint8Array | string;
  /** MRSIGNER, 32 bytes (Buffer) or 64 hex characters. */
  mrSigner: Uint8Array | string;
}

/** Names Teaclave's clients look up, e.g. teaclave_frontend_service. */
export const TEACLAVE_ENCLAVE_NAMES = [
  "teaclave_authentication_service",
  "teaclave_frontend_service",
] as const;

/** Teaclave's demo auditor names (its build uses these three). */
export const DEFAULT_AUDITORS = ["godzilla", "optimus_prime", "albus_dumbledore"] as const;

const NAME = /^[a-z][a-z0-9_]{0,63}$/;

function hex32(value: Uint8Array | string, what: string): string {
  const text = typeof value === "string" ? value.toLowerCase() : Buffer.from(value).toString("hex");
  if (!/^[0-9a-f]{64}$/.test(text))
    throw new TeaclaveCompatError("INVALID_ARGUMENT", `${what} must be 32 bytes`);
  return text;
}

/** Renders enclave_info.toml: tables in the given order, lowercase hex like sgx_sign's dump. */
export function renderEnclaveInfo(enclaves: Readonly<Record<string, EnclaveIdentity>>): string {
  const names = Object.keys(enclaves);
  if (names.length === 0)
    throw new TeaclaveCompatError("INVALID_ARGUMENT", "enclave_info needs at least one enclave");
  return names
    .map((name) => {
      if (!NAME.test(name)) throw new TeaclaveCompatError("INVALID_ARGUMENT", `invalid enclave name ${name}`);
      const e = enclaves[name] as EnclaveIdentity;
      return `[${name}]\nmr_enclave = "${hex32(e.mrEnclave, `${name}.mr_enclave`)}"\nmr_signer = "${hex32(e.mrSigner, `${name}.mr_signer`)}"\n`;
    })
    .join("\n");
}

/** An auditor's RSA PKCS#1 v1.5 SHA-256 signature over the exact file bytes (openssl dgst -sha256 -sign). */
export function signEnclaveInfo(enclaveInfo: Uint8Array, auditorKey: KeyObject): Buffer {
  return sign("sha256", enclaveInfo, auditorKey);
}

/** Loads (or creates once, 0600) each auditor's RSA key under `dir/<name>/<name>.private.pem`. */
export async function loadAuditorKeys(
  dir: string,
  names: readonly string[] = DEFAULT_AUDITORS,
  modulusLength = 3072,
): Promise<Map<string, KeyObject>> {
  const keys = new Map<string, KeyObject>();
  for (const name of names) {
    if (!NAME.test(name)) throw new TeaclaveCompatError("INVALID_ARGUMENT", `invalid auditor name ${name}`);
    const pem = await readOrCreate(join(dir, name, `${name}.private.pem`), () =>
      Buffer.from(
        generateKeyPairSync("rsa", { modulusLength }).privateKey.export({
          type: "pkcs8",
          format: "pem",
        }) as string,
      ),
    );
    keys.set(name, createPrivateKey(pem));
  }
  return keys;
}

export interface TeaclaveClientFiles {
  asRootCaCert: string;
  enclaveInfo: string;
  /** Per auditor: its public key (PKCS#1 "RSA PUBLIC KEY", as Teaclave ships them) and signature. */
  auditors: { name: string; publicKey: string; signature: string }[];
}

/**
 * Writes the client bundle into `outDir`: as_root_ca_cert.pem, enclave_info.toml, and
 * auditors/<name>/{<name>.public.pem, <name>.sign.sha256}. Private auditor keys stay where
 * `auditorKeys` came from.
 */
export async function writeTeaclaveClientFiles(
  outDir: string,
  options: {
    attestationService: AttestationServiceRole;
    enclaves: Readonly<Record<string, EnclaveIdentity>>;
    auditorKeys: ReadonlyMap<string, KeyObject>;
  },
): Promise<TeaclaveClientFiles> {
  const enclaveInfo = renderEnclaveInfo(options.enclaves);
  const bytes = Buffer.from(enclaveInfo, "utf8");
  const files: TeaclaveClientFiles = {
    asRootCaCert: join(outDir, AS_FILES.rootCert),
    enclaveInfo: join(outDir, "enclave_info.toml"),
    auditors: [],
  };
  try {
    await mkdir(outDir, { recursive: true });
    await writeFile(files.asRootCaCert, options.attestationService.rootCertPem);
    await writeFile(files.enclaveInfo, bytes);
    for (const [name, key] of options.auditorKeys) {
      const dir = join(outDir, "auditors", name);
      await mkdir(dir, { recursive: true });
      const entry = {
        name,
        publicKey: join(dir, `${name}.public.pem`),
        signature: join(dir, `${name}.sign.sha256`),
      };
      await writeFile(entry.publicKey, createPublicKey(key).export({ type: "pkcs1", format: "pem" }));
      await writeFile(entry.signature, signEnclaveInfo(bytes, key));
      files.auditors.push(entry);
    }
  } catch (err) {
    throw new TeaclaveCompatError(
      "IO_ERROR",
      `cannot write Teaclave client files: ${(err as Error).message}`,
      { cause: err },
    );
  }
  return files;
}
