// Roles (spec §3.2). Group roles carry an attribute (the group name); the wire form is
// "DataOwner-<group>" / "DataOwnerManager-<group>".
import { invalidArgument } from "../errors.js";

export type RoleKind = "PlatformAdmin" | "FunctionOwner" | "DataOwnerManager" | "DataOwner";

export interface Role {
  readonly kind: RoleKind;
  /** Group name for DataOwner / DataOwnerManager; empty otherwise. */
  readonly group: string;
}

const KINDS: readonly RoleKind[] = ["PlatformAdmin", "FunctionOwner", "DataOwnerManager", "DataOwner"];
const GROUP = /^[A-Za-z0-9_.@:+=-]{1,64}$/;

export function isGroupRole(kind: RoleKind): boolean {
  return kind === "DataOwner" || kind === "DataOwnerManager";
}

/** Validates a role as registered through UserRegister/UserUpdate (role + attribute fields). */
export function parseRole(kind: string, attribute: string): Role {
  if (!(KINDS as readonly string[]).includes(kind))
    throw invalidArgument(`invalid role: ${JSON.stringify(kind)}`);
  const k = kind as RoleKind;
  if (isGroupRole(k)) {
    if (!GROUP.test(attribute))
      throw invalidArgument(`role ${k} needs a group attribute of 1-64 letters, digits or _.@:+=-`);
    return { kind: k, group: attribute };
  }
  return { kind: k, group: "" };
}

export function roleToString(role: Role): string {
  return isGroupRole(role.kind) ? `${role.kind}-${role.group}` : role.kind;
}

export function sameRole(a: Role, b: Role): boolean {
  return a.kind === b.kind && a.group === b.group;
}

/** Parses the wire form ("PlatformAdmin", "DataOwner-<group>", ...). */
export function parseRoleString(text: string): Role {
  const dash = text.indexOf("-");
  return dash < 0 ? parseRole(text, "") : parseRole(text.slice(0, dash), text.slice(dash + 1));
}
