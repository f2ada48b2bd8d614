// Function registration and lifecycle (spec §3.4, §3.6), keeping each user's function lists in step
// with the function records (Teaclave left them stale on update, disable and delete).
import {
  authorizeDeleteFunction,
  authorizeListFunctions,
  authorizeReadFunction,
  authorizeUpdateFunction,
  authorizeUsageStats,
  type FunctionView,
} from "../../access-control/index.js";
import type { Clock } from "../../clock.js";
import { invalidArgument, notFound } from "../../errors.js";
import {
  EXECUTOR_TYPES,
  type ExecutorType,
  type FunctionArgument,
  type FunctionFile,
  type FunctionLists,
  type FunctionRecord,
} from "../../domain/functions.js";
import { isValidUserId, type Caller } from "../../domain/users.js";
import { newId, parseId, truncate } from "../../ids.js";
import type { Store, Transaction } from "../../storage/index.js";
import type { FunctionLimits } from "../../domain/tasks.js";
import { MAX_TASK_LIMITS } from "../../execution/limits.js";
import { requireUsers } from "./files.js";
import type { ManagementLimits } from "./limits.js";
import { unique, validateName, validateText } from "./validate.js";

export interface FunctionFields {
  readonly name: string;
  readonly description: string;
  readonly executorType: string;
  readonly public: boolean;
  readonly payload: Uint8Array;
  readonly arguments: readonly FunctionArgument[];
  readonly inputs: readonly FunctionFile[];
  readonly outputs: readonly FunctionFile[];
  readonly userAllowlist: readonly string[];
  readonly usageQuota: number;
}

export interface FunctionUsage {
  readonly quota: number;
  readonly usage: number;
}

type Validated = Omit<FunctionRecord, "id" | "owner" | "usageCount" | "disabled" | "createdAt" | "updatedAt">;

async function editLists(
  tx: Transaction,
  userId: string,
  edit: (lists: FunctionLists) => FunctionLists,
): Promise<void> {
  const current = await tx.get("function_lists", userId);
  const next = edit(current ?? { userId, registered: [], allowed: [] });
  if (current) await tx.update("function_lists", userId, next);
  else await tx.insert("function_lists", userId, next);
}

/** Per-function limits: 0 or absent means the platform's default; the operator's maximum caps them at run time. */
function validateLimits(limits: FunctionLimits): FunctionLimits {
  const out: { timeoutMs?: number; memoryMb?: number } = {};
  const { timeoutMs = 0, memoryMb = 0 } = limits;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TASK_LIMITS.timeoutMs)
    throw invalidArgument(`timeout_ms must be 0 to ${MAX_TASK_LIMITS.timeoutMs}`);
  if (!Number.isInteger(memoryMb) || memoryMb < 0 || memoryMb > MAX_TASK_LIMITS.memoryMb)
    throw invalidArgument(`memory_mb must be 0 to ${MAX_TASK_LIMITS.memoryMb}`);
  if (memoryMb > 0 && memoryMb < 64) throw invalidArgument("memory_mb must be at least 64");
  if (timeoutMs > 0) out.timeoutMs = timeoutMs;
  if (memoryMb > 0) out.memoryMb = memoryMb;
  return out;
}

const withId = (list: readonly string[], id: string) => (list.includes(id) ? [...list] : [...list, id]);
const withoutId = (list: readonly string[], id: string) => list.filter((x) => x !== id);

export class FunctionRegistry {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: ManagementLimits,
  ) {}

  async register(caller: Caller, fields: FunctionFields): Promise<string> {
    const v = this.validate(fields);
    const now = this.clock.now();
    const fn: FunctionRecord = {
      ...v,
      id: newId("function"),
      owner: caller.id,
      usageCount: 0,
      disabled: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.transaction(async (tx) => {
      await requireUsers(tx, fn.userAllowlist);
      await tx.insert("function", fn.id, fn);
      await editLists(tx, caller.id, (l) => ({ ...l, registered: withId(l.registered, fn.id) }));
      for (const u of fn.userAllowlist)
        await editLists(tx, u, (l) => ({ ...l, allowed: withId(l.allowed, fn.id) }));
    });
    return fn.id;
  }

  /** Replaces the definition; id, owner, usage and enabled state stay. */
  async update(caller: Caller, functionId: string, fields: FunctionFields): Promise<string> {
    parseId("function", functionId, "function id");
    const v = this.validate(fields);
    await this.store.transaction(async (tx) => {
      const old = await this.require(tx, functionId);
      authorizeUpdateFunction(caller, old);
      await requireUsers(tx, v.userAllowlist);
      const fn: FunctionRecord = { ...old, ...v, updatedAt: this.clock.now() };
      await tx.update("function", functionId, fn);
      if (!fn.disabled) {
        for (const u of old.userAllowlist)
          if (!fn.userAllowlist.includes(u))
            await editLists(tx, u, (l) => ({ ...l, allowed: withoutId(l.allowed, functionId) }));
        for (const u of fn.userAllowlist)
          await editLists(tx, u, (l) => ({ ...l, allowed: withId(l.allowed, functionId) }));
      }
    });
    return functionId;
  }

  async get(caller: Caller, functionId: string): Promise<{ fn: FunctionRecord; view: FunctionView }> {
    parseId("function", functionId, "function id");
    const fn = await this.store.transaction((tx) => this.require(tx, functionId));
    return { fn, view: authorizeReadFunction(caller, fn) };
  }

  async usage(caller: Caller, functionId: string): Promise<FunctionUsage> {
    parseId("function", functionId, "function id");
    const fn = await this.store.transaction((tx) => this.require(tx, functionId));
    authorizeUsageStats(caller, fn);
    return { quota: fn.usageQuota, usage: fn.usageCount };
  }

  /** Sets the resource limits of the function's tasks (MesaTEE extension); the owner only. */
  async setLimits(caller: Caller, functionId: string, limits: FunctionLimits): Promise<FunctionLimits> {
    parseId("function", functionId, "function id");
    const checked = validateLimits(limits);
    await this.store.transaction(async (tx) => {
      const fn = await this.require(tx, functionId);
      authorizeUpdateFunction(caller, fn);
      const { limits: _old, ...rest } = fn;
      const next: FunctionRecord = Object.keys(checked).length ? { ...rest, limits: checked } : rest;
      await tx.update("function", functionId, { ...next, updatedAt: this.clock.now() });
    });
    return checked;
  }

  async getLimits(caller: Caller, functionId: string): Promise<FunctionLimits> {
    const { fn } = await this.get(caller, functionId);
    return fn.limits ?? {};
  }

  async delete(caller: Caller, functionId: string): Promise<void> {
    parseId("function", functionId, "function id");
    await this.store.transaction(async (tx) => {
      const fn = await this.require(tx, functionId);
      authorizeDeleteFunction(caller, fn);
      await this.unlist(tx, fn);
      await tx.delete("function", functionId);
    });
  }

  /** A disabled function can no longer be used in new or pending tasks and leaves every list. */
  async disable(caller: Caller, functionId: string): Promise<void> {
    parseId("function", functionId, "function id");
    await this.store.transaction(async (tx) => {
      const fn = await this.require(tx, functionId);
      authorizeDeleteFunction(caller, fn);
      if (fn.disabled) return;
      await this.unlist(tx, fn);
      await tx.update("function", functionId, { ...fn, disabled: true, updatedAt: this.clock.now() });
    });
  }

  async list(caller: Caller, userId: string): Promise<{ registered: string[]; allowed: string[] }> {
    if (!isValidUserId(userId)) throw invalidArgument(`invalid user id ${JSON.stringify(truncate(userId))}`);
    authorizeListFunctions(caller, userId);
    return this.store.transaction(async (tx) => {
      const lists = await tx.get("function_lists", userId);
      const registered = [...(lists?.registered ?? [])];
      if (caller.role.kind === "PlatformAdmin" && userId === caller.id) {
        // Admins may use every function: their allowed list is every enabled function.
        const all = await tx.list("function");
        return { registered, allowed: all.filter((f) => !f.disabled).map((f) => f.id) };
      }
      return { registered, allowed: [...(lists?.allowed ?? [])] };
    });
  }

  private async unlist(tx: Transaction, fn: FunctionRecord): Promise<void> {
    await editLists(tx, fn.owner, (l) => ({ ...l, registered: withoutId(l.registered, fn.id) }));
    for (const u of fn.userAllowlist)
      await editLists(tx, u, (l) => ({ ...l, allowed: withoutId(l.allowed, fn.id) }));
  }

  private async require(tx: Transaction, functionId: string): Promise<FunctionRecord> {
    const fn = await tx.get("function", functionId);
    if (!fn) throw notFound(`function ${functionId} does not exist`);
    return fn;
  }

  private validate(f: FunctionFields): Validated {
    const l = this.limits;
    const executorType = (f.executorType === "" ? "builtin" : f.executorType) as ExecutorType;
    if (!EXECUTOR_TYPES.includes(executorType))
      throw invalidArgument(`unsupported executor type ${JSON.stringify(truncate(f.executorType))}`);
    if (f.payload.length > l.maxPayloadBytes)
      throw invalidArgument(`payload is larger than ${l.maxPayloadBytes} bytes`);
    if (executorType !== "builtin" && f.payload.length === 0)
      throw invalidArgument(`a ${executorType} function needs a payload`);
    if (f.arguments.length > l.maxArguments) throw invalidArgument(`more than ${l.maxArguments} arguments`);
    if (f.inputs.length > l.maxFiles || f.outputs.length > l.maxFiles)
      throw invalidArgument(`more than ${l.maxFiles} inputs or outputs`);
    if (f.userAllowlist.length > l.maxAllowlist)
      throw invalidArgument(`allowlist longer than ${l.maxAllowlist}`);
    if (!Number.isInteger(f.usageQuota)) throw invalidArgument("usage quota must be an integer");
    for (const a of f.arguments) {
      validateName(a.key, "argument key");
      validateText(a.defaultValue, l.maxDescriptionLength, `default value of ${a.key}`, false);
    }
    for (const file of [...f.inputs, ...f.outputs]) {
      validateName(file.name, "file name");
      validateText(file.description, l.maxDescriptionLength, `description of ${file.name}`, false);
    }
    unique(f.arguments, (a) => a.key, "argument");
    unique(f.inputs, (i) => i.name, "input");
    unique(f.outputs, (o) => o.name, "output");
    for (const u of f.userAllowlist)
      if (!isValidUserId(u))
        throw invalidArgument(`invalid user id in allowlist ${JSON.stringify(truncate(u))}`);
    return {
      name: validateText(f.name, l.maxNameLength, "function name", true),
      description: validateText(f.description, l.maxDescriptionLength, "description", false),
      executorType,
      public: f.public,
      payload: Buffer.from(f.payload).toString("base64"),
      arguments: f.arguments.map((a) => ({
        key: a.key,
        defaultValue: a.defaultValue,
        allowOverwrite: a.allowOverwrite,
      })),
      inputs: f.inputs.map((i) => ({ name: i.name, description: i.description, optional: i.optional })),
      outputs: f.outputs.map((o) => ({ name: o.name, description: o.description, optional: o.optional })),
      userAllowlist: [...new Set(f.userAllowlist)],
      usageQuota: f.usageQuota < 0 ? -1 : f.usageQuota,
    };
  }
}
