// Field validation for management requests: each field is checked once, here, as it enters.
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { invalidArgument, PlatformError } from "../../errors.js";
import { isCryptoError, validateFileCrypto } from "@mesatee/crypto";
import type { FileCrypto, FileSchema } from "../../domain/files.js";
import { isValidUserId } from "../../domain/users.js";
import { truncate } from "../../ids.js";
import type { ManagementLimits } from "./limits.js";

export function validateCrypto(schema: string, key: Uint8Array, iv: Uint8Array): FileCrypto {
  try {
    const c = validateFileCrypto({ schema, key, iv });
    return { schema: c.schema, key: Buffer.from(key).toString("hex"), iv: Buffer.from(iv).toString("hex") };
  } catch (error) {
    if (isCryptoError(error)) throw invalidArgument(error.message);
    throw error;
  }
}

/**
 * A URL users may register. `fusion:` URLs are minted by the platform only (a user registering one could
 * read another party's fusion data); `file:` URLs only inside operator-configured roots.
 */
export function validateUrl(url: string, limits: ManagementLimits, forOutput: boolean): string {
  if (url.length === 0 || url.length > limits.maxUrlLength)
    throw invalidArgument(`url must be 1 to ${limits.maxUrlLength} characters`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidArgument(`invalid url ${JSON.stringify(truncate(url))}`);
  }
  switch (parsed.protocol) {
    case "http:":
    case "https:":
      if (parsed.username || parsed.password) throw invalidArgument("urls must not carry credentials");
      return url;
    case "data:":
      if (forOutput) throw invalidArgument("data: urls can only be inputs");
      return url;
    case "file:": {
      const path = resolve(fileURLToPath(parsed));
      const inside = limits.fileUrlRoots.some((root) => {
        const r = resolve(root);
        return path === r || path.startsWith(r.endsWith(sep) ? r : r + sep);
      });
      if (!inside) throw new PlatformError("PERMISSION_DENIED", "file: urls are not allowed for this path");
      return url;
    }
    case "fusion:":
      throw invalidArgument("fusion urls are assigned by the platform (use RegisterFusionOutput)");
    default:
      throw invalidArgument(`unsupported url scheme ${JSON.stringify(parsed.protocol)}`);
  }
}

export function validateTag(cmac: Uint8Array, schema: FileSchema): string {
  if (schema === "raw" && cmac.length === 0) return "";
  if (cmac.length !== 16) throw invalidArgument("cmac must be 16 bytes");
  return Buffer.from(cmac).toString("hex");
}

export function validateOwners(owners: readonly string[], limits: ManagementLimits, what: string): string[] {
  const distinct = [...new Set(owners)].sort();
  if (distinct.length === 0) throw invalidArgument(`${what} needs at least one owner`);
  if (distinct.length > limits.maxOwners)
    throw invalidArgument(`${what} has more than ${limits.maxOwners} owners`);
  for (const id of distinct)
    if (!isValidUserId(id)) throw invalidArgument(`invalid user id ${JSON.stringify(truncate(id))}`);
  return distinct;
}

export function validateText(value: string, max: number, what: string, required: boolean): string {
  if (required && value.length === 0) throw invalidArgument(`${what} must not be empty`);
  if (value.length > max) throw invalidArgument(`${what} is longer than ${max} characters`);
  return value;
}

const NAME = /^[A-Za-z0-9_.:+=@-]{1,128}$/;

/** Names of arguments, inputs and outputs. */
export function validateName(name: string, what: string): string {
  // "__proto__" would rewrite an object's prototype instead of naming an entry.
  if (!NAME.test(name) || name === "__proto__")
    throw invalidArgument(`invalid ${what} ${JSON.stringify(truncate(name))}`);
  return name;
}

export function unique<T>(items: readonly T[], key: (t: T) => string, what: string): void {
  const seen = new Set<string>();
  for (const item of items) {
    const k = key(item);
    if (seen.has(k)) throw invalidArgument(`duplicate ${what} ${JSON.stringify(k)}`);
    seen.add(k);
  }
}
