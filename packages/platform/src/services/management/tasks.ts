// Tasks: creation with Teaclave's validation, data assignment, approval, invocation and cancellation
// (spec §3.4, §3.6). Every status change goes through the state machine in domain/task-state.ts, inside
// one transaction with the checks that justify it.
import {
  authorizeCancel,
  authorizeInvoke,
  authorizeParticipant,
  authorizeUseFunction,
} from "../../access-control/index.js";
import type { Clock } from "../../clock.js";
import {
  PlatformError,
  failedPrecondition,
  invalidArgument,
  notFound,
  permissionDenied,
} from "../../errors.js";
import { TASK_EXECUTORS, executorFamily, type FunctionRecord } from "../../domain/functions.js";
import { advance, advanceAssignment, isTerminal, transition } from "../../domain/task-state.js";
import type { StagedTask, Task } from "../../domain/tasks.js";
import type { Caller } from "../../domain/users.js";
import { newId, parseId, truncate } from "../../ids.js";
import type { Store, Transaction } from "../../storage/index.js";
import { requireUsers } from "./files.js";
import type { ManagementLimits } from "./limits.js";
import { validateName, validateOwners } from "./validate.js";

export interface OwnerList {
  readonly name: string;
  readonly owners: readonly string[];
}

export interface CreateTask {
  readonly functionId: string;
  /** JSON object text. */
  readonly functionArguments: string;
  readonly executor: string;
  readonly inputsOwnership: readonly OwnerList[];
  readonly outputsOwnership: readonly OwnerList[];
}

export interface DataMap {
  readonly name: string;
  readonly id: string;
}

/** Told about queue changes, so the scheduler can react without polling. */
export interface TaskEvents {
  staged(taskId: string): void;
  canceled(taskId: string): void;
}

export const CANCELED_REASON = "Task canceled";

export class TaskRegistry {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly limits: ManagementLimits,
    private readonly events: TaskEvents,
  ) {}

  async create(caller: Caller, req: CreateTask): Promise<string> {
    parseId("function", req.functionId, "function id");
    const args = this.parseArguments(req.functionArguments);
    const inputs = this.ownership(req.inputsOwnership, "input");
    const outputs = this.ownership(req.outputsOwnership, "output");
    return this.store.transaction(async (tx) => {
      const fn = await tx.get("function", req.functionId);
      if (!fn) throw notFound(`function ${req.functionId} does not exist`);
      authorizeUseFunction(caller, fn);
      const family = executorFamily(fn.executorType);
      const executor = req.executor === "" ? fn.executorType : req.executor;
      if (TASK_EXECUTORS[executor] !== family)
        throw invalidArgument(
          `executor ${JSON.stringify(truncate(executor))} cannot run a ${fn.executorType} function`,
        );
      const functionArguments = mergeArguments(fn, args);
      checkFiles(fn.inputs, inputs, "input");
      checkFiles(fn.outputs, outputs, "output");
      const participants = new Set<string>([caller.id]);
      for (const owners of [...Object.values(inputs), ...Object.values(outputs)])
        owners.forEach((o) => participants.add(o));
      if (!fn.public) participants.add(fn.owner);
      await requireUsers(tx, [...participants]);
      const now = this.clock.now();
      const task: Task = {
        id: newId("task"),
        creator: caller.id,
        functionId: fn.id,
        functionOwner: fn.owner,
        functionArguments,
        executor,
        executorFamily: family,
        inputsOwnership: inputs,
        outputsOwnership: outputs,
        participants: [...participants].sort(),
        approvedUsers: [],
        assignedInputs: {},
        assignedOutputs: {},
        status: "Created",
        result: { kind: "none" },
        createdAt: now,
        updatedAt: now,
      };
      await tx.insert("task", task.id, task);
      return task.id;
    });
  }

  async get(caller: Caller, taskId: string): Promise<Task> {
    parseId("task", taskId, "task id");
    const task = await this.store.transaction((tx) => this.require(tx, taskId));
    authorizeParticipant(caller, task);
    return task;
  }

  /** Assigns the caller's files to the task's declared inputs and outputs; all or nothing. */
  async assign(
    caller: Caller,
    taskId: string,
    inputs: readonly DataMap[],
    outputs: readonly DataMap[],
  ): Promise<void> {
    parseId("task", taskId, "task id");
    for (const m of inputs) parseId("input", m.id, "input file id");
    for (const m of outputs) parseId("output", m.id, "output file id");
    await this.store.transaction(async (tx) => {
      let task = await this.require(tx, taskId);
      authorizeParticipant(caller, task);
      if (task.status !== "Created")
        throw failedPrecondition(`task ${taskId} is ${task.status}: data can no longer be assigned`);
      const assignedInputs = { ...task.assignedInputs };
      const assignedOutputs = { ...task.assignedOutputs };
      for (const m of inputs) {
        const file = await tx.get("input", m.id);
        if (!file) throw notFound(`input file ${m.id} does not exist`);
        this.checkAssignment(caller, m, file.owners, task.inputsOwnership, assignedInputs, "input");
        assignedInputs[m.name] = m.id;
      }
      for (const m of outputs) {
        const file = await tx.get("output", m.id);
        if (!file) throw notFound(`output file ${m.id} does not exist`);
        this.checkAssignment(caller, m, file.owners, task.outputsOwnership, assignedOutputs, "output");
        if (file.cmac) throw failedPrecondition(`output file ${m.id} already holds a result`);
        if (Object.values(assignedOutputs).includes(m.id))
          throw invalidArgument(`output file ${m.id} is assigned twice`);
        assignedOutputs[m.name] = m.id;
      }
      task = advanceAssignment(
        { ...task, assignedInputs, assignedOutputs, updatedAt: this.clock.now() },
        this.clock.now(),
      );
      await tx.update("task", taskId, task);
    });
  }

  async approve(caller: Caller, taskId: string): Promise<void> {
    parseId("task", taskId, "task id");
    await this.store.transaction(async (tx) => {
      let task = await this.require(tx, taskId);
      authorizeParticipant(caller, task);
      const now = this.clock.now();
      task = advanceAssignment(task, now);
      if (task.status === "Created")
        throw failedPrecondition("not ready: every input and output must be assigned first");
      if (task.status !== "DataAssigned")
        throw failedPrecondition(`task ${taskId} is ${task.status}: nothing to approve`);
      if (task.approvedUsers.includes(caller.id))
        throw failedPrecondition("the task is already approved by this user");
      const fn = await tx.get("function", task.functionId);
      if (!fn || fn.disabled) throw failedPrecondition(`function ${task.functionId} is no longer available`);
      task = advance(
        { ...task, approvedUsers: [...task.approvedUsers, caller.id].sort(), updatedAt: now },
        now,
      );
      await tx.update("task", taskId, task);
    });
  }

  /** Stages the task for execution: checks, counts the usage, snapshots everything a worker needs. */
  async invoke(caller: Caller, taskId: string): Promise<void> {
    parseId("task", taskId, "task id");
    await this.store.transaction(async (tx) => {
      let task = await this.require(tx, taskId);
      authorizeParticipant(caller, task);
      authorizeInvoke(caller, task);
      const now = this.clock.now();
      task = advance(task, now);
      if (task.status !== "Approved")
        throw failedPrecondition(
          task.status === "Created"
            ? "not ready: every input and output must be assigned first"
            : task.status === "DataAssigned"
              ? "not ready: every participant must approve first"
              : `task ${taskId} is ${task.status}: it cannot be invoked`,
        );
      const fn = await tx.get("function", task.functionId);
      if (!fn) throw failedPrecondition(`function ${task.functionId} no longer exists`);
      if (fn.disabled) throw failedPrecondition(`function ${task.functionId} is disabled`);
      if (fn.usageQuota >= 0 && fn.usageCount >= fn.usageQuota)
        throw new PlatformError("QUOTA_EXCEEDED", "function quota has been used up");
      const staged = await this.stage(tx, task, fn, caller.id, now);
      await tx.update("function", fn.id, { ...fn, usageCount: fn.usageCount + 1 });
      task = transition(task, "invoke", now);
      await tx.update("task", taskId, task);
      await tx.enqueue(staged, now);
    });
    this.events.staged(taskId);
  }

  async cancel(caller: Caller, taskId: string): Promise<void> {
    parseId("task", taskId, "task id");
    await this.store.transaction(async (tx) => {
      const task = await this.require(tx, taskId);
      authorizeCancel(caller, task);
      if (isTerminal(task.status)) throw failedPrecondition(`task ${taskId} is already ${task.status}`);
      const now = this.clock.now();
      await tx.dequeue(taskId);
      await tx.update("task", taskId, {
        ...transition(task, "cancel", now),
        result: { kind: "err", reason: CANCELED_REASON, log: [] },
      });
    });
    this.events.canceled(taskId);
  }

  private async stage(
    tx: Transaction,
    task: Task,
    fn: FunctionRecord,
    invokedBy: string,
    now: number,
  ): Promise<StagedTask> {
    const inputs: Record<string, StagedTask["inputs"][string]> = {};
    for (const [name, id] of Object.entries(task.assignedInputs)) {
      const f = await tx.get("input", id);
      if (!f) throw failedPrecondition(`input file ${id} no longer exists`);
      inputs[name] = { id, url: f.url, crypto: f.crypto, cmac: f.cmac };
    }
    const outputs: Record<string, StagedTask["outputs"][string]> = {};
    for (const [name, id] of Object.entries(task.assignedOutputs)) {
      const f = await tx.get("output", id);
      if (!f) throw failedPrecondition(`output file ${id} no longer exists`);
      if (f.cmac) throw failedPrecondition(`output file ${id} already holds a result`);
      outputs[name] = { id, url: f.url, crypto: f.crypto, fusion: f.fusion };
    }
    return {
      taskId: task.id,
      functionId: fn.id,
      functionName: fn.name,
      executorFamily: task.executorFamily,
      functionPayload: fn.payload,
      functionArguments: task.functionArguments,
      inputs,
      outputs,
      invokedBy,
      stagedAt: now,
      ...(fn.limits ? { limits: fn.limits } : {}),
    };
  }

  private checkAssignment(
    caller: Caller,
    m: DataMap,
    fileOwners: readonly string[],
    spec: Readonly<Record<string, readonly string[]>>,
    assigned: Readonly<Record<string, string>>,
    what: string,
  ): void {
    if (!fileOwners.includes(caller.id))
      throw permissionDenied(`the caller does not own ${what} file ${m.id}`);
    // Own properties only: names like "constructor" must not resolve through the prototype.
    const expected = Object.hasOwn(spec, m.name) ? spec[m.name] : undefined;
    if (!expected) throw invalidArgument(`the task has no ${what} named ${JSON.stringify(truncate(m.name))}`);
    if (Object.hasOwn(assigned, m.name)) throw failedPrecondition(`${what} ${m.name} is already assigned`);
    if (expected.length !== fileOwners.length || expected.some((o, i) => o !== fileOwners[i]))
      throw permissionDenied(
        `the owners of ${what} file ${m.id} differ from the owners the task declares for ${m.name}`,
      );
  }

  private async require(tx: Transaction, taskId: string): Promise<Task> {
    const task = await tx.get("task", taskId);
    if (!task) throw notFound(`task ${taskId} does not exist`);
    return task;
  }

  private parseArguments(text: string): Record<string, unknown> {
    if (text.length > this.limits.maxArgumentsJsonBytes)
      throw invalidArgument(`function_arguments is larger than ${this.limits.maxArgumentsJsonBytes} bytes`);
    if (text.trim() === "") return {};
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw invalidArgument("function_arguments is not valid JSON");
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw invalidArgument("function_arguments must be a JSON object");
    return value as Record<string, unknown>;
  }

  private ownership(lists: readonly OwnerList[], what: string): Record<string, string[]> {
    if (lists.length > this.limits.maxFiles)
      throw invalidArgument(`more than ${this.limits.maxFiles} ${what}s`);
    const result: Record<string, string[]> = {};
    for (const l of lists) {
      validateName(l.name, `${what} name`);
      if (Object.hasOwn(result, l.name)) throw invalidArgument(`${what} ${l.name} is listed twice`);
      result[l.name] = validateOwners(l.owners, this.limits, `${what} ${l.name}`);
    }
    return result;
  }
}

/**
 * Merges the request's arguments into the function's: only arguments the function allows to overwrite may
 * be given; every other argument gets its default value (as a JSON string, as Teaclave does).
 */
function mergeArguments(fn: FunctionRecord, given: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    const arg = fn.arguments.find((a) => a.key === key);
    if (!arg)
      throw invalidArgument(
        `function_arguments mismatch: the function has no argument ${JSON.stringify(truncate(key))}`,
      );
    if (!arg.allowOverwrite)
      throw invalidArgument(`function_arguments mismatch: argument ${key} cannot be overwritten`);
  }
  for (const arg of fn.arguments)
    merged[arg.key] = Object.hasOwn(given, arg.key) && arg.allowOverwrite ? given[arg.key] : arg.defaultValue;
  return merged;
}

function checkFiles(declared: FunctionRecord["inputs"], given: Record<string, string[]>, what: string): void {
  for (const name of Object.keys(given))
    if (!declared.some((d) => d.name === name))
      throw invalidArgument(
        `${what} keys mismatch: the function has no ${what} ${JSON.stringify(truncate(name))}`,
      );
  for (const d of declared)
    if (!d.optional && !Object.hasOwn(given, d.name))
      throw invalidArgument(`${what} keys mismatch: ${what} ${d.name} is required`);
}
