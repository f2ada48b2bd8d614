// The one place that decides who may do what: role × API (spec §3.3, with MesaTEE's fixes) and the
// per-object ownership rules (spec §3.4). Services call these checks; they never decide on their own.
import { permissionDenied } from "../errors.js";
import type { InputFile, OutputFile } from "../domain/files.js";
import type { FunctionRecord } from "../domain/functions.js";
import { type Role, type RoleKind, sameRole } from "../domain/roles.js";
import type { Task } from "../domain/tasks.js";
import type { Caller, User } from "../domain/users.js";

export const FRONTEND_APIS = [
  "register_input_file",
  "register_output_file",
  "update_input_file",
  "update_output_file",
  "register_fusion_output",
  "register_input_from_output",
  "get_output_file",
  "get_input_file",
  "register_function",
  "get_function",
  "get_function_usage_stats",
  "update_function",
  "list_functions",
  "delete_function",
  "disable_function",
  "create_task",
  "get_task",
  "assign_data",
  "approve_task",
  "invoke_task",
  "cancel_task",
  "query_audit_logs",
] as const;

/** MesaTEE's own additions to the public API (package mesatee.v1). */
export const MESATEE_APIS = ["set_function_limits", "get_function_limits", "verify_audit_log"] as const;

export const AUTHENTICATION_APIS = [
  "user_register",
  "user_update",
  "user_login",
  "user_change_password",
  "reset_user_password",
  "delete_user",
  "list_users",
] as const;

export type FrontendApi = (typeof FRONTEND_APIS)[number];
export type AuthenticationApi = (typeof AUTHENTICATION_APIS)[number];
export type MesateeApi = (typeof MESATEE_APIS)[number];
export type Api = FrontendApi | AuthenticationApi | MesateeApi;

const FUNCTION_OWNER_APIS: readonly Api[] = [
  "register_function",
  "update_function",
  "delete_function",
  "disable_function",
  "get_function",
  "list_functions",
  "get_function_usage_stats",
  "set_function_limits",
  "get_function_limits",
  // The owner of a private function is a participant of every task using it, so it must be able to
  // read and approve those tasks (Teaclave listed it as a participant but refused it these APIs).
  "get_task",
  "approve_task",
];

const DATA_OWNER_APIS: readonly Api[] = [
  "register_input_file",
  "register_output_file",
  "update_input_file",
  "update_output_file",
  "register_fusion_output",
  "register_input_from_output",
  "get_output_file",
  "get_input_file",
  "create_task",
  "get_task",
  "assign_data",
  "approve_task",
  "invoke_task",
  "cancel_task",
  "get_function",
  "list_functions",
  "get_function_usage_stats",
  "get_function_limits",
];

/** Authentication APIs every authenticated role may call; finer rules apply per target below. */
const ACCOUNT_APIS: readonly Api[] = ["user_change_password"];
const USER_MANAGEMENT_APIS: readonly Api[] = [
  "user_register",
  "user_update",
  "reset_user_password",
  "delete_user",
  "list_users",
];

const ROLE_APIS: Readonly<Record<RoleKind, ReadonlySet<Api>>> = {
  PlatformAdmin: new Set<Api>([...FRONTEND_APIS, ...AUTHENTICATION_APIS, ...MESATEE_APIS]),
  FunctionOwner: new Set<Api>([...FUNCTION_OWNER_APIS, ...ACCOUNT_APIS, "user_register"]),
  DataOwnerManager: new Set<Api>([...DATA_OWNER_APIS, ...ACCOUNT_APIS, ...USER_MANAGEMENT_APIS]),
  DataOwner: new Set<Api>([...DATA_OWNER_APIS, ...ACCOUNT_APIS]),
};

/** Role × API: may a caller with this role call this API at all? */
export function isApiAllowed(role: Role, api: Api): boolean {
  return ROLE_APIS[role.kind].has(api);
}

export function authorizeApi(caller: Caller, api: Api): void {
  if (!isApiAllowed(caller.role, api)) throw permissionDenied();
}

const isAdmin = (caller: Caller) => caller.role.kind === "PlatformAdmin";

// ---- users (spec §3.2, with the DataOwnerManager escalation fixed) ----

/** May `caller` create an account with `role`? */
export function authorizeRegisterUser(caller: Caller, role: Role): void {
  if (isAdmin(caller)) return;
  if (
    caller.role.kind === "DataOwnerManager" &&
    role.kind === "DataOwner" &&
    role.group === caller.role.group
  )
    return;
  if (caller.role.kind === "FunctionOwner" && role.kind === "DataOwnerManager") return;
  throw permissionDenied();
}

/**
 * May `caller` update, reset or delete `target` (and, for updates, give it `newRole`)? A DataOwnerManager
 * may touch only DataOwner accounts of its own group, and may not move them anywhere else.
 */
export function authorizeManageUser(caller: Caller, target: User, newRole?: Role): void {
  if (isAdmin(caller)) return;
  if (caller.role.kind === "DataOwnerManager") {
    const ownGroupDataOwner: Role = { kind: "DataOwner", group: caller.role.group };
    if (sameRole(target.role, ownGroupDataOwner) && (!newRole || sameRole(newRole, ownGroupDataOwner)))
      return;
  }
  throw permissionDenied();
}

/** ListUsers(id): admins list everyone; a DataOwnerManager lists the DataOwners of its own group. */
export function authorizeListUsers(caller: Caller, group: string): "all" | Role {
  if (isAdmin(caller)) return "all";
  if (caller.role.kind === "DataOwnerManager" && group === caller.role.group)
    return { kind: "DataOwner", group };
  throw permissionDenied();
}

// ---- files ----

export function authorizeReadFile(caller: Caller, file: InputFile | OutputFile): void {
  if (!file.owners.includes(caller.id)) throw permissionDenied();
}

/** Updating a file's location is for files owned by the caller alone. */
export function authorizeUpdateFile(caller: Caller, file: InputFile | OutputFile): void {
  if (file.owners.length !== 1 || file.owners[0] !== caller.id) throw permissionDenied();
}

// ---- functions ----

export type FunctionView = "full" | "restricted";

/**
 * Reading a function: the owner, admins and everyone for public functions see it all; allow-listed users
 * see it without payload and allowlist; a disabled function is visible only to its owner and admins.
 */
export function authorizeReadFunction(caller: Caller, fn: FunctionRecord): FunctionView {
  if (isAdmin(caller) || fn.owner === caller.id) return "full";
  if (fn.disabled) throw permissionDenied();
  if (fn.public) return "full";
  if (fn.userAllowlist.includes(caller.id)) return "restricted";
  throw permissionDenied();
}

export function authorizeUsageStats(caller: Caller, fn: FunctionRecord): void {
  authorizeReadFunction(caller, fn);
}

/** Using a function in a task: it must be enabled, and public or the caller allowed (by user id). */
export function authorizeUseFunction(caller: Caller, fn: FunctionRecord): void {
  if (fn.disabled) throw permissionDenied(`function ${fn.id} is disabled`);
  if (fn.public || isAdmin(caller) || fn.owner === caller.id || fn.userAllowlist.includes(caller.id)) return;
  throw permissionDenied();
}

export function authorizeUpdateFunction(caller: Caller, fn: FunctionRecord): void {
  if (fn.owner !== caller.id) throw permissionDenied();
}

export function authorizeDeleteFunction(caller: Caller, fn: FunctionRecord): void {
  if (fn.owner !== caller.id && !isAdmin(caller)) throw permissionDenied();
}

export function authorizeListFunctions(caller: Caller, userId: string): void {
  if (!isAdmin(caller) && userId !== caller.id) throw permissionDenied();
}

// ---- tasks ----

export function authorizeParticipant(caller: Caller, task: Task): void {
  if (!task.participants.includes(caller.id)) throw permissionDenied();
}

export function authorizeInvoke(caller: Caller, task: Task): void {
  if (task.creator !== caller.id) throw permissionDenied();
}

export function authorizeCancel(caller: Caller, task: Task): void {
  if (task.creator !== caller.id && !isAdmin(caller)) throw permissionDenied();
}
