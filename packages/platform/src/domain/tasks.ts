// Tasks (spec §3.6). Status numbers are Teaclave's wire values.
import type { ExecutorFamily } from "./functions.js";
import type { FileCrypto } from "./files.js";

export type TaskStatus =
  "Created" | "DataAssigned" | "Approved" | "Staged" | "Running" | "Finished" | "Canceled" | "Failed";

export const TASK_STATUS_NUMBER: Readonly<Record<TaskStatus, number>> = {
  Created: 0,
  DataAssigned: 1,
  Approved: 2,
  Staged: 3,
  Running: 4,
  Finished: 10,
  Canceled: 20,
  Failed: 99,
};

export type TaskResult =
  | { readonly kind: "none" }
  | {
      readonly kind: "ok";
      /** base64 of the function's return value */
      readonly returnValue: string;
      /** output name -> 16-byte tag, hex */
      readonly tags: Readonly<Record<string, string>>;
      readonly log: readonly string[];
    }
  | { readonly kind: "err"; readonly reason: string; readonly log: readonly string[] };

export interface Task {
  readonly id: string;
  readonly creator: string;
  readonly functionId: string;
  readonly functionOwner: string;
  /** JSON object after defaults are merged. */
  readonly functionArguments: Readonly<Record<string, unknown>>;
  /** The executor the task asked for (as given, e.g. "mesapy") and the family it runs on. */
  readonly executor: string;
  readonly executorFamily: ExecutorFamily;
  /** name -> sorted owner ids */
  readonly inputsOwnership: Readonly<Record<string, readonly string[]>>;
  readonly outputsOwnership: Readonly<Record<string, readonly string[]>>;
  /** sorted */
  readonly participants: readonly string[];
  /** sorted */
  readonly approvedUsers: readonly string[];
  /** name -> file id */
  readonly assignedInputs: Readonly<Record<string, string>>;
  readonly assignedOutputs: Readonly<Record<string, string>>;
  readonly status: TaskStatus;
  readonly result: TaskResult;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** What an execution worker needs to run a task: a snapshot taken at invoke time. */
export interface StagedTask {
  readonly taskId: string;
  readonly functionId: string;
  readonly functionName: string;
  readonly executorFamily: ExecutorFamily;
  /** base64 */
  readonly functionPayload: string;
  readonly functionArguments: Readonly<Record<string, unknown>>;
  readonly inputs: Readonly<Record<string, StagedFile & { readonly cmac: string }>>;
  readonly outputs: Readonly<Record<string, StagedFile & { readonly fusion: boolean }>>;
  readonly invokedBy: string;
  readonly stagedAt: number;
  /** The function's resource limits, if it set any (clamped by the operator's maximum at run time). */
  readonly limits?: FunctionLimits;
}

export interface FunctionLimits {
  readonly timeoutMs?: number;
  readonly memoryMb?: number;
}

export interface StagedFile {
  readonly id: string;
  readonly url: string;
  readonly crypto: FileCrypto;
}
