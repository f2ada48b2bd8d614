// Functions (spec §3.6). `executorType` is the family a function runs on.
import type { FunctionLimits } from "./tasks.js";
export type ExecutorType = "builtin" | "python" | "wamr" | "wasm" | "javascript";
export const EXECUTOR_TYPES: readonly ExecutorType[] = ["builtin", "python", "wamr", "wasm", "javascript"];

/** Executor names a task may request (Teaclave's plus ours); each runs one executor family. */
export const TASK_EXECUTORS: Readonly<Record<string, ExecutorFamily>> = {
  builtin: "builtin",
  mesapy: "python",
  python: "python",
  wamr: "wasm",
  wasm: "wasm",
  javascript: "javascript",
};

export type ExecutorFamily = "builtin" | "python" | "wasm" | "javascript";

export function executorFamily(type: ExecutorType): ExecutorFamily {
  return type === "wamr" ? "wasm" : type;
}

export interface FunctionArgument {
  readonly key: string;
  readonly defaultValue: string;
  readonly allowOverwrite: boolean;
}

export interface FunctionFile {
  readonly name: string;
  readonly description: string;
  readonly optional: boolean;
}

export interface FunctionRecord {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly executorType: ExecutorType;
  readonly public: boolean;
  /** base64 */
  readonly payload: string;
  readonly arguments: readonly FunctionArgument[];
  readonly inputs: readonly FunctionFile[];
  readonly outputs: readonly FunctionFile[];
  readonly owner: string;
  /** User ids allowed to use a private function. */
  readonly userAllowlist: readonly string[];
  /** Maximum number of invocations; -1 = unlimited. */
  readonly usageQuota: number;
  readonly usageCount: number;
  readonly disabled: boolean;
  /** Resource limits the owner set for this function (MesaTEE extension). */
  readonly limits?: FunctionLimits;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Per-user function lists (spec §3.4 ListFunctions). */
export interface FunctionLists {
  readonly userId: string;
  readonly registered: readonly string[];
  readonly allowed: readonly string[];
}
