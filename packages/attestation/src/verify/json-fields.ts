// Field-by-field validation of untrusted JSON (collateral, policy files). Each accessor names the
// JSON path in its error so a bad file says exactly which field is wrong.

import { AttestationError, type AttestationErrorCode } from "../errors.js";

export interface Field {
  readonly code: AttestationErrorCode;
  readonly path: string;
}

export function field(code: AttestationErrorCode, path: string): Field {
  return { code, path };
}

export function child(f: Field, key: string | number): Field {
  return { code: f.code, path: typeof key === "number" ? `${f.path}[${key}]` : `${f.path}.${key}` };
}

export function fail(f: Field, message: string): never {
  throw new AttestationError(f.code, `${f.path}: ${message}`);
}

/** Parses JSON text, refusing input over `maxBytes`. */
export function parseJsonText(text: string, f: Field, maxBytes = 1024 * 1024): unknown {
  if (text.length > maxBytes) fail(f, `larger than ${maxBytes} bytes`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return fail(f, "not valid JSON");
  }
}

/** A plain object; with `allowed`, any other key is an error (typos must not silently disable a rule). */
export function asObject(value: unknown, f: Field, allowed?: readonly string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(f, "must be an object");
  const obj = value as Record<string, unknown>;
  if (allowed) {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) fail(f, `unknown field "${key}" (allowed: ${allowed.join(", ")})`);
    }
  }
  return obj;
}

export function asString(value: unknown, f: Field, maxLength = 4096): string {
  if (typeof value !== "string") fail(f, "must be a string");
  if (value.length > maxLength) fail(f, `longer than ${maxLength} characters`);
  return value;
}

export function asInteger(value: unknown, f: Field, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value)) fail(f, "must be an integer");
  if (value < min || value > max) fail(f, `must be between ${min} and ${max}`);
  return value;
}

export function asBoolean(value: unknown, f: Field): boolean {
  if (typeof value !== "boolean") fail(f, "must be true or false");
  return value;
}

export function asArray(value: unknown, f: Field, maxItems: number, minItems = 0): unknown[] {
  if (!Array.isArray(value)) fail(f, "must be an array");
  if (value.length > maxItems) fail(f, `more than ${maxItems} items`);
  if (value.length < minItems) fail(f, `needs at least ${minItems} item${minItems === 1 ? "" : "s"}`);
  return value;
}

/** Hex string of exactly `bytes` bytes (any case), returned lowercase. */
export function asHex(value: unknown, f: Field, bytes?: number): string {
  const s = asString(value, f, 1 << 20);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(s)) fail(f, "must be a hex string");
  if (bytes !== undefined && s.length !== bytes * 2)
    fail(f, `must be ${bytes} bytes (${bytes * 2} hex digits)`);
  return s.toLowerCase();
}

/** ISO 8601 date-time with an explicit zone. */
export function asDate(value: unknown, f: Field): Date {
  const s = asString(value, f, 64);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s))
    fail(f, "must be an ISO 8601 date-time with a time zone");
  const ms = Date.parse(s);
  if (!Number.isFinite(ms)) fail(f, "is not a valid date");
  return new Date(ms);
}

export function oneOf<T extends string>(value: unknown, f: Field, allowed: readonly T[]): T {
  const s = asString(value, f, 256);
  if (!(allowed as readonly string[]).includes(s)) fail(f, `must be one of ${allowed.join(", ")}`);
  return s as T;
}
