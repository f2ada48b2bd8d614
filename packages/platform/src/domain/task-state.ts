// The task state machine (spec §3.6) as a table. Every status change goes through `transition`, which
// refuses anything not listed here.
import { failedPrecondition } from "../errors.js";
import type { Task, TaskStatus } from "./tasks.js";

export type TaskEvent =
  | "assign" // all declared files assigned
  | "approve" // every participant approved (or there is only one)
  | "invoke" // the creator invoked: staged for execution
  | "start" // a worker leased the task
  | "requeue" // the worker lost its lease: back to the queue
  | "finish" // the function succeeded
  | "fail" // the function or the platform failed
  | "cancel";

const TRANSITIONS: Readonly<Record<TaskStatus, Partial<Record<TaskEvent, TaskStatus>>>> = {
  Created: { assign: "DataAssigned", cancel: "Canceled" },
  DataAssigned: { approve: "Approved", cancel: "Canceled" },
  Approved: { invoke: "Staged", cancel: "Canceled" },
  Staged: { start: "Running", fail: "Failed", cancel: "Canceled" },
  Running: { requeue: "Staged", finish: "Finished", fail: "Failed", cancel: "Canceled" },
  Finished: {},
  Canceled: {},
  Failed: {},
};

export function nextStatus(from: TaskStatus, event: TaskEvent): TaskStatus | undefined {
  return TRANSITIONS[from][event];
}

export function isTerminal(status: TaskStatus): boolean {
  return status === "Finished" || status === "Canceled" || status === "Failed";
}

export function transition(task: Task, event: TaskEvent, now: number): Task {
  const to = nextStatus(task.status, event);
  if (!to) throw failedPrecondition(`task ${task.id} is ${task.status}: cannot ${event}`);
  return { ...task, status: to, updatedAt: now };
}

export function allDataAssigned(task: Task): boolean {
  return (
    Object.keys(task.inputsOwnership).every((n) => Object.hasOwn(task.assignedInputs, n)) &&
    Object.keys(task.outputsOwnership).every((n) => Object.hasOwn(task.assignedOutputs, n))
  );
}

export function allApproved(task: Task): boolean {
  return task.participants.length === 1 || task.participants.every((p) => task.approvedUsers.includes(p));
}

/** Created → DataAssigned once every declared input and output is assigned. */
export function advanceAssignment(task: Task, now: number): Task {
  return task.status === "Created" && allDataAssigned(task) ? transition(task, "assign", now) : task;
}

/**
 * Moves a task as far forward as its conditions allow (Teaclave's auto-advance, used by approve and
 * invoke): Created → DataAssigned → Approved when every participant approved or the creator is the only
 * participant.
 */
export function advance(task: Task, now: number): Task {
  const t = advanceAssignment(task, now);
  return t.status === "DataAssigned" && allApproved(t) ? transition(t, "approve", now) : t;
}
