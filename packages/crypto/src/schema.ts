// File crypto descriptors: which format a file uses and the key material for it. This is where a
// descriptor is validated, once, before any format code sees it.
import { randomBytes } from "node:crypto";
import { CryptoError } from "./errors.js";

export const FILE_SCHEMAS = [
  "aes-gcm-128",
  "aes-gcm-256",
  "teaclave-file-128",
  "raw",
  "mesatee-stream-v1",
] as const;

export type FileSchema = (typeof FILE_SCHEMAS)[number];

export interface FileCrypto {
  readonly schema: FileSchema;
  readonly key: Uint8Array;
  readonly iv: Uint8Array;
}

/** Supplies `length` cryptographically random bytes; injectable so tests can be reproducible. */
export type RandomSource = (length: number) => Uint8Array;

export const defaultRandom: RandomSource = (length) => new Uint8Array(randomBytes(length));

interface SchemaRule {
  readonly keyLengths: readonly number[];
  readonly ivLengths: readonly number[];
  /** Whether files of this schema carry a 16-byte tag. */
  readonly tagged: boolean;
}

// Teaclave: types/src/crypto.rs (spec §4.1). mesatee-stream-v1 takes an optional IV that is mixed
// into its per-file key derivation.
const RULES: Record<FileSchema, SchemaRule> = {
  "aes-gcm-128": { keyLengths: [16], ivLengths: [12], tagged: true },
  "aes-gcm-256": { keyLengths: [32], ivLengths: [12], tagged: true },
  "teaclave-file-128": { keyLengths: [16], ivLengths: [0], tagged: true },
  raw: { keyLengths: [0], ivLengths: [0], tagged: false },
  "mesatee-stream-v1": { keyLengths: [16, 32], ivLengths: [0, 12], tagged: true },
};

export function isFileSchema(value: unknown): value is FileSchema {
  return typeof value === "string" && (FILE_SCHEMAS as readonly string[]).includes(value);
}

export function parseFileSchema(value: unknown): FileSchema {
  if (!isFileSchema(value)) {
    const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : typeof value;
    throw new CryptoError(
      "UNSUPPORTED_SCHEMA",
      `unsupported file schema ${shown} (expected one of ${FILE_SCHEMAS.join(", ")})`,
    );
  }
  return value;
}

/** Whether files of `schema` have a tag ("cmac"); `raw` files do not. */
export function schemaHasTag(schema: FileSchema): boolean {
  return RULES[schema].tagged;
}

/** The key lengths `schema` accepts, in bytes. */
export function keyLengthsFor(schema: FileSchema): readonly number[] {
  return RULES[schema].keyLengths;
}

/** The IV lengths `schema` accepts, in bytes. */
export function ivLengthsFor(schema: FileSchema): readonly number[] {
  return RULES[schema].ivLengths;
}

function lengths(list: readonly number[]): string {
  return list.map((n) => `${n}`).join(" or ");
}

/**
 * Checks an untrusted descriptor and returns a copy that owns its bytes. Throws CryptoError with
 * UNSUPPORTED_SCHEMA, INVALID_KEY or INVALID_IV.
 */
export function validateFileCrypto(value: unknown): FileCrypto {
  if (typeof value !== "object" || value === null) {
    throw new CryptoError("INVALID_ARGUMENT", "file crypto must be an object with schema, key and iv");
  }
  const { schema, key, iv } = value as Record<string, unknown>;
  const checked = parseFileSchema(schema);
  const rule = RULES[checked];
  if (!(key instanceof Uint8Array)) throw new CryptoError("INVALID_KEY", "key must be bytes");
  if (!(iv instanceof Uint8Array)) throw new CryptoError("INVALID_IV", "iv must be bytes");
  if (!rule.keyLengths.includes(key.byteLength)) {
    throw new CryptoError(
      "INVALID_KEY",
      `${checked} needs a ${lengths(rule.keyLengths)}-byte key, got ${key.byteLength} bytes`,
    );
  }
  if (!rule.ivLengths.includes(iv.byteLength)) {
    throw new CryptoError(
      "INVALID_IV",
      rule.ivLengths.length === 1 && rule.ivLengths[0] === 0
        ? `${checked} takes no iv, got ${iv.byteLength} bytes`
        : `${checked} needs a ${lengths(rule.ivLengths)}-byte iv, got ${iv.byteLength} bytes`,
    );
  }
  return { schema: checked, key: new Uint8Array(key), iv: new Uint8Array(iv) };
}

/** A fresh descriptor with random key (and IV where the schema needs one). */
export function generateFileCrypto(schema: FileSchema, random: RandomSource = defaultRandom): FileCrypto {
  const rule = RULES[parseFileSchema(schema)];
  const keyLength = rule.keyLengths[rule.keyLengths.length - 1]!;
  const ivLength = rule.ivLengths[rule.ivLengths.length - 1]!;
  return { schema, key: random(keyLength), iv: random(ivLength) };
}
