// External ids are "<prefix>-<uuid v4, lowercase, hyphenated>" (spec §3.1). A wrong prefix is an
// invalid argument, never a lookup.
import { randomUUID } from "node:crypto";
import { invalidArgument } from "./errors.js";

export type IdPrefix = "input" | "output" | "function" | "task";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newId(prefix: IdPrefix): string {
  return `${prefix}-${randomUUID()}`;
}

/** The uuid part of a valid id of the given kind; throws INVALID_ARGUMENT otherwise. */
export function parseId(prefix: IdPrefix, id: string, what = `${prefix} id`): string {
  const uuid = id.startsWith(`${prefix}-`) ? id.slice(prefix.length + 1) : "";
  if (!UUID.test(uuid)) throw invalidArgument(`invalid ${what}: ${JSON.stringify(truncate(id))}`);
  return uuid;
}

export function isId(prefix: IdPrefix, id: string): boolean {
  return id.startsWith(`${prefix}-`) && UUID.test(id.slice(prefix.length + 1));
}

/** Keeps error messages bounded when echoing client input. */
export function truncate(text: string, max = 80): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
