// Messages between the execution worker and the isolate that runs one function.
import type { ExecutorFamily } from "../domain/functions.js";

export interface IsolateInput {
  readonly taskId: string;
  readonly family: ExecutorFamily;
  readonly functionName: string;
  /** base64 */
  readonly payload: string;
  readonly args: Readonly<Record<string, unknown>>;
  /** name → staged file (mesatee-stream-v1 under `stagingKey`) */
  readonly inputs: Readonly<Record<string, string>>;
  readonly outputs: Readonly<Record<string, string>>;
  /** hex; the per-task key of the staged files, which never leave the platform */
  readonly stagingKey: string;
  readonly maxOutputBytes: number;
  readonly maxLogLines: number;
  readonly maxLogLineBytes: number;
}

export type IsolateResult =
  | { readonly ok: true; readonly returnValue: string; readonly log: string[]; readonly written: string[] }
  | { readonly ok: false; readonly reason: string; readonly log: string[] };
