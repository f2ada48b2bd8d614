// The task state machine: exactly the transitions of spec §3.6 (plus MesaTEE's requeue after a lost
// lease and failure of a staged task), nothing else.
import assert from "node:assert/strict";
import { test } from "node:test";
import { advance, advanceAssignment, nextStatus, transition, type TaskEvent } from "./task-state.js";
import type { Task, TaskStatus } from "./tasks.js";

const STATUSES: TaskStatus[] = [
  "Created",
  "DataAssigned",
  "Approved",
  "Staged",
  "Running",
  "Finished",
  "Canceled",
  "Failed",
];
const EVENTS: TaskEvent[] = ["assign", "approve", "invoke", "start", "requeue", "finish", "fail", "cancel"];

const EXPECTED: Record<string, TaskStatus> = {
  "Created assign": "DataAssigned",
  "Created cancel": "Canceled",
  "DataAssigned approve": "Approved",
  "DataAssigned cancel": "Canceled",
  "Approved invoke": "Staged",
  "Approved cancel": "Canceled",
  "Staged start": "Running",
  "Staged fail": "Failed",
  "Staged cancel": "Canceled",
  "Running requeue": "Staged",
  "Running finish": "Finished",
  "Running fail": "Failed",
  "Running cancel": "Canceled",
};

test("every (status, event) pair is allowed exactly when the table says so", () => {
  for (const s of STATUSES)
    for (const e of EVENTS) assert.equal(nextStatus(s, e), EXPECTED[`${s} ${e}`], `${s} --${e}-->`);
});

const task = (over: Partial<Task>): Task => ({
  id: "task-1",
  creator: "a",
  functionId: "function-1",
  functionOwner: "f",
  functionArguments: {},
  executor: "builtin",
  executorFamily: "builtin",
  inputsOwnership: { in: ["a"] },
  outputsOwnership: { out: ["b"] },
  participants: ["a", "b"],
  approvedUsers: [],
  assignedInputs: {},
  assignedOutputs: {},
  status: "Created",
  result: { kind: "none" },
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

test("a refused transition throws FAILED_PRECONDITION", () => {
  assert.throws(() => transition(task({ status: "Finished" }), "cancel", 1), { code: "FAILED_PRECONDITION" });
});

test("auto-advance stops at the first unmet condition", () => {
  assert.equal(advance(task({}), 1).status, "Created");
  const assigned = task({ assignedInputs: { in: "input-1" }, assignedOutputs: { out: "output-1" } });
  assert.equal(advanceAssignment(assigned, 1).status, "DataAssigned");
  assert.equal(advance(assigned, 1).status, "DataAssigned");
  assert.equal(advance({ ...assigned, approvedUsers: ["a", "b"] }, 1).status, "Approved");
  assert.equal(advance({ ...assigned, participants: ["a"] }, 1).status, "Approved");
});

test("names inherited from Object.prototype never count as assigned", () => {
  const t = task({ inputsOwnership: { constructor: ["a"] }, outputsOwnership: {} });
  assert.equal(advanceAssignment(t, 1).status, "Created");
});
