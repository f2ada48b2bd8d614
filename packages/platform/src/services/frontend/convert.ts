// Wire ↔ domain conversions for the frontend API.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { common, frontend } from "@mesatee/protocol";
import type { FunctionRecord } from "../../domain/functions.js";
import { TASK_STATUS_NUMBER, type Task } from "../../domain/tasks.js";
import type { FunctionFields } from "../management/functions.js";

type FunctionRequest = frontend.RegisterFunctionRequest | frontend.UpdateFunctionRequest;

export function functionFields(req: FunctionRequest): FunctionFields {
  return {
    name: req.name,
    description: req.description,
    executorType: req.executorType,
    public: req.public,
    payload: req.payload,
    arguments: req.arguments.map((a) => ({
      key: a.key,
      defaultValue: a.defaultValue,
      allowOverwrite: a.allowOverwrite,
    })),
    inputs: req.inputs.map((i) => ({ name: i.name, description: i.description, optional: i.optional })),
    outputs: req.outputs.map((o) => ({ name: o.name, description: o.description, optional: o.optional })),
    userAllowlist: req.userAllowlist,
    usageQuota: req.usageQuota,
  };
}

export function functionResponse(
  fn: FunctionRecord,
  view: "full" | "restricted",
): MessageInitShape<typeof frontend.GetFunctionResponseSchema> {
  const full = view === "full";
  return {
    name: fn.name,
    description: fn.description,
    executorType: fn.executorType,
    owner: fn.owner,
    payload: full ? Buffer.from(fn.payload, "base64") : new Uint8Array(),
    public: fn.public,
    arguments: fn.arguments.map((a) => ({ ...a })),
    inputs: fn.inputs.map((i) => ({ ...i })),
    outputs: fn.outputs.map((o) => ({ ...o })),
    userAllowlist: full ? [...fn.userAllowlist] : [],
  };
}

const ownerLists = (m: Readonly<Record<string, readonly string[]>>) =>
  Object.entries(m)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dataName, uids]) => ({ dataName, uids: [...uids] }));

const dataMaps = (m: Readonly<Record<string, string>>) =>
  Object.entries(m)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([dataName, dataId]) => ({ dataName, dataId }));

export function taskResponse(task: Task): MessageInitShape<typeof frontend.GetTaskResponseSchema> {
  const r = task.result;
  const result: MessageInitShape<typeof common.TaskResultSchema> =
    r.kind === "ok"
      ? {
          result: {
            case: "Ok",
            value: {
              returnValue: Buffer.from(r.returnValue, "base64"),
              tagsMap: Object.fromEntries(Object.entries(r.tags).map(([k, v]) => [k, Buffer.from(v, "hex")])),
              log: [...r.log],
            },
          },
        }
      : r.kind === "err"
        ? { result: { case: "Err", value: { reason: r.reason } } }
        : {};
  return {
    taskId: task.id,
    creator: task.creator,
    functionId: task.functionId,
    functionOwner: task.functionOwner,
    functionArguments: JSON.stringify(task.functionArguments),
    inputsOwnership: ownerLists(task.inputsOwnership),
    outputsOwnership: ownerLists(task.outputsOwnership),
    participants: [...task.participants],
    approvedUsers: [...task.approvedUsers],
    assignedInputs: dataMaps(task.assignedInputs),
    assignedOutputs: dataMaps(task.assignedOutputs),
    status: TASK_STATUS_NUMBER[task.status] as common.TaskStatus,
    result,
  };
}
