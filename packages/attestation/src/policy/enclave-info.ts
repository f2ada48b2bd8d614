// Teaclave-compatible enclave info (spec teaclave-compat.md §1.5): a TOML file with one table per
// enclave (`mr_enclave`, `mr_signer`), signed by auditors with RSA PKCS#1 v1.5 / SHA-256 over the raw
// file bytes (`openssl dgst -sha256 -sign`). Teaclave accepted zero signatures and let one auditor's
// signature count several times; here:
//   - at least one signature is required, and at least `threshold` (default 1);
//   - every given signature must verify, each under a different auditor key;
//   - the threshold cannot exceed the number of distinct keys.

import { createHash, createPublicKey, verify, type KeyObject } from "node:crypto";
import { AttestationError } from "../errors.js";

export interface EnclaveInfoEntry {
  mrEnclave: string;
  mrSigner: string;
}

export type EnclaveInfo = Readonly<Record<string, EnclaveInfoEntry>>;

export const MAX_ENCLAVE_INFO_BYTES = 1024 * 1024;

function refuse(message: string): never {
  throw new AttestationError("POLICY_SIGNATURES", message);
}

function invalid(line: number, message: string): never {
  throw new AttestationError("POLICY_INVALID", `enclave info line ${line}: ${message}`);
}

/** Parses the TOML subset enclave_info.toml uses: `[name]` tables of `key = "string"` pairs. */
export function parseEnclaveInfo(bytes: Uint8Array): EnclaveInfo {
  if (bytes.length > MAX_ENCLAVE_INFO_BYTES)
    throw new AttestationError("POLICY_INVALID", "enclave info is too large");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new AttestationError("POLICY_INVALID", "enclave info is not UTF-8");
  }
  const tables: Record<string, Partial<EnclaveInfoEntry>> = {};
  let current: Partial<EnclaveInfoEntry> | null = null;
  text.split(/\r?\n/).forEach((rawLine, i) => {
    const line = rawLine.replace(/^\s+|\s+$/g, "");
    const n = i + 1;
    if (line === "" || line.startsWith("#")) return;
    const table = /^\[\s*([A-Za-z0-9_.-]{1,128})\s*\](\s*#.*)?$/.exec(line);
    if (table) {
      const name = table[1]!;
      if (Object.hasOwn(tables, name)) invalid(n, `table [${name}] is defined twice`);
      current = tables[name] = {};
      return;
    }
    const pair = /^([A-Za-z0-9_]+)\s*=\s*"([^"\\]*)"(\s*#.*)?$/.exec(line);
    if (!pair) invalid(n, 'expected [table] or key = "value"');
    if (!current) invalid(n, "key outside a table");
    const [, key, value] = pair;
    if (!/^[0-9a-fA-F]{64}$/.test(value!)) invalid(n, `${key} must be 32 bytes of hex`);
    const entry: Partial<EnclaveInfoEntry> = current;
    const field =
      key === "mr_enclave"
        ? "mrEnclave"
        : key === "mr_signer"
          ? "mrSigner"
          : invalid(n, `unknown key ${key}`);
    if (entry[field] !== undefined) invalid(n, `${key} is given twice`);
    entry[field] = value!.toLowerCase();
  });
  const out: Record<string, EnclaveInfoEntry> = {};
  for (const [name, entry] of Object.entries(tables)) {
    if (!entry.mrEnclave || !entry.mrSigner)
      throw new AttestationError("POLICY_INVALID", `enclave info [${name}] needs mr_enclave and mr_signer`);
    out[name] = Object.freeze({ mrEnclave: entry.mrEnclave, mrSigner: entry.mrSigner });
  }
  if (Object.keys(out).length === 0)
    throw new AttestationError("POLICY_INVALID", "enclave info lists no enclave");
  return Object.freeze(out);
}

function rsaKey(pem: string | KeyObject, index: number): KeyObject {
  let key: KeyObject;
  try {
    key =
      typeof pem === "string" ? createPublicKey(pem) : pem.type === "private" ? createPublicKey(pem) : pem;
  } catch (cause) {
    throw new AttestationError("POLICY_SIGNATURES", `auditor key ${index} is not a readable public key`, {
      cause,
    });
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  // Teaclave used ring's RSA_PKCS1_2048_8192_SHA256.
  if (key.asymmetricKeyType !== "rsa" || bits < 2048 || bits > 8192)
    refuse(`auditor key ${index} is not an RSA key of 2048-8192 bits`);
  return key;
}

/**
 * Verifies Teaclave-style auditor signatures over the exact enclave_info.toml bytes and returns the
 * parsed enclave table. Keys: PEM ("RSA PUBLIC KEY" PKCS#1 or SPKI). Signatures: raw RSA signatures.
 */
export function verifyEnclaveInfo(
  tomlBytes: Uint8Array,
  rsaPublicKeysPem: readonly (string | KeyObject)[],
  signatures: readonly Uint8Array[],
  threshold = 1,
): EnclaveInfo {
  if (!Number.isInteger(threshold) || threshold < 1)
    refuse(`the signature threshold must be an integer of at least 1, got ${String(threshold)}`);
  const keys = new Map<string, KeyObject>();
  rsaPublicKeysPem.forEach((pem, i) => {
    const key = rsaKey(pem, i);
    keys.set(
      createHash("sha256")
        .update(key.export({ type: "spki", format: "der" }))
        .digest("hex"),
      key,
    );
  });
  if (threshold > keys.size)
    refuse(`threshold ${threshold} exceeds the ${keys.size} distinct auditor key(s)`);
  if (signatures.length === 0) refuse("the enclave info carries no signature");
  if (signatures.length > 64) refuse("more than 64 signatures");
  const used = new Set<string>();
  signatures.forEach((signature, i) => {
    const match = [...keys].find(([, key]) => {
      try {
        return verify("sha256", tomlBytes, key, signature);
      } catch {
        return false;
      }
    });
    if (!match) refuse(`signature ${i} does not verify under any auditor key`);
    if (used.has(match[0])) refuse(`signature ${i} comes from an auditor who already signed`);
    used.add(match[0]);
  });
  if (used.size < threshold) refuse(`${used.size} distinct auditor signature(s), ${threshold} required`);
  return parseEnclaveInfo(tomlBytes);
}
