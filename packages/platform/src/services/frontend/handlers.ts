// TeaclaveFrontend over Connect: every call authenticated, authorized, audited and forwarded to the
// management service.
import type { ConnectRouter } from "@connectrpc/connect";
import { auditLog, frontend, functions } from "@mesatee/protocol";
import { auditMessage, type AuditLog } from "../audit/audit-log.js";
import type { Gateway } from "../gateway/gateway.js";
import type { ManagementService } from "../management/service.js";
import { functionFields, functionResponse, taskResponse } from "./convert.js";

const cryptoOf = (c: { schema: string; key: Uint8Array; iv: Uint8Array } | undefined) =>
  c ?? { schema: "", key: new Uint8Array(), iv: new Uint8Array() };

export function frontendRoutes(m: ManagementService, audit: AuditLog, gateway: Gateway) {
  return (router: ConnectRouter) => {
    mesateeRoutes(m, gateway)(router);
    auditLogRoutes(audit, gateway)(router);
    teaclaveRoutes(m, audit, gateway)(router);
  };
}

/** MesaTEE's own additions, beside Teaclave's API on the same endpoint. */
function mesateeRoutes(m: ManagementService, gateway: Gateway) {
  const wire = (l: { timeoutMs?: number; memoryMb?: number }) => ({
    limits: { timeoutMs: l.timeoutMs ?? 0, memoryMb: l.memoryMb ?? 0 },
  });
  return (router: ConnectRouter) =>
    router.service(functions.MesateeFunctions, {
      setFunctionLimits: (req, ctx) =>
        gateway.call(ctx, "set_function_limits", req.functionId, async (caller) =>
          wire(
            await m.functions.setLimits(caller, req.functionId, {
              timeoutMs: req.limits?.timeoutMs ?? 0,
              memoryMb: req.limits?.memoryMb ?? 0,
            }),
          ),
        ),
      getFunctionLimits: (req, ctx) =>
        gateway.call(ctx, "get_function_limits", req.functionId, async (caller) =>
          wire(await m.functions.getLimits(caller, req.functionId)),
        ),
    });
}

/** The audit log's own check: only the platform holds the key its chain is computed with. */
function auditLogRoutes(audit: AuditLog, gateway: Gateway) {
  return (router: ConnectRouter) =>
    router.service(auditLog.MesateeAuditLog, {
      verifyAuditLog: (_req, ctx) =>
        gateway.call(ctx, "verify_audit_log", "", async () => {
          const bad = await audit.verify();
          return { intact: bad === null, firstBadSeq: BigInt(bad ?? 0) };
        }),
    });
}

function teaclaveRoutes(m: ManagementService, audit: AuditLog, gateway: Gateway) {
  return (router: ConnectRouter) =>
    router.service(frontend.TeaclaveFrontend, {
      registerInputFile: (req, ctx) =>
        gateway.call(
          ctx,
          "register_input_file",
          (r) => r.dataId,
          async (caller) => ({
            dataId: await m.files.registerInput(caller, {
              url: req.url,
              cmac: req.cmac,
              ...cryptoOf(req.cryptoInfo),
            }),
          }),
        ),
      registerOutputFile: (req, ctx) =>
        gateway.call(
          ctx,
          "register_output_file",
          (r) => r.dataId,
          async (caller) => ({
            dataId: await m.files.registerOutput(caller, { url: req.url, ...cryptoOf(req.cryptoInfo) }),
          }),
        ),
      updateInputFile: (req, ctx) =>
        gateway.call(ctx, "update_input_file", req.dataId, async (caller) => ({
          dataId: await m.files.updateInput(caller, req.dataId, req.url),
        })),
      updateOutputFile: (req, ctx) =>
        gateway.call(ctx, "update_output_file", req.dataId, async (caller) => ({
          dataId: await m.files.updateOutput(caller, req.dataId, req.url),
        })),
      registerFusionOutput: (req, ctx) =>
        gateway.call(
          ctx,
          "register_fusion_output",
          (r) => r.dataId,
          async (caller) => ({
            dataId: await m.files.registerFusionOutput(caller, req.ownerList),
          }),
        ),
      registerInputFromOutput: (req, ctx) =>
        gateway.call(ctx, "register_input_from_output", req.dataId, async (caller) => ({
          dataId: await m.files.registerInputFromOutput(caller, req.dataId),
        })),
      getOutputFile: (req, ctx) =>
        gateway.call(ctx, "get_output_file", req.dataId, async (caller) => {
          const f = await m.files.getOutput(caller, req.dataId);
          return { owner: [...f.owners], cmac: Buffer.from(f.cmac, "hex") };
        }),
      getInputFile: (req, ctx) =>
        gateway.call(ctx, "get_input_file", req.dataId, async (caller) => {
          const f = await m.files.getInput(caller, req.dataId);
          return { owner: [...f.owners], cmac: Buffer.from(f.cmac, "hex") };
        }),
      registerFunction: (req, ctx) =>
        gateway.call(
          ctx,
          "register_function",
          (r) => r.functionId,
          async (caller) => ({
            functionId: await m.functions.register(caller, functionFields(req)),
          }),
        ),
      getFunction: (req, ctx) =>
        gateway.call(ctx, "get_function", req.functionId, async (caller) => {
          const { fn, view } = await m.functions.get(caller, req.functionId);
          return functionResponse(fn, view);
        }),
      getFunctionUsageStats: (req, ctx) =>
        gateway.call(ctx, "get_function_usage_stats", req.functionId, async (caller) => {
          const u = await m.functions.usage(caller, req.functionId);
          return { functionQuota: u.quota, currentUsage: u.usage };
        }),
      updateFunction: (req, ctx) =>
        gateway.call(ctx, "update_function", req.functionId, async (caller) => ({
          functionId: await m.functions.update(caller, req.functionId, functionFields(req)),
        })),
      listFunctions: (req, ctx) =>
        gateway.call(ctx, "list_functions", req.userId, async (caller) => {
          const l = await m.functions.list(caller, req.userId);
          return { registeredFunctions: l.registered, allowedFunctions: l.allowed };
        }),
      deleteFunction: (req, ctx) =>
        gateway.call(ctx, "delete_function", req.functionId, async (caller) => {
          await m.functions.delete(caller, req.functionId);
          return {};
        }),
      disableFunction: (req, ctx) =>
        gateway.call(ctx, "disable_function", req.functionId, async (caller) => {
          await m.functions.disable(caller, req.functionId);
          return {};
        }),
      createTask: (req, ctx) =>
        gateway.call(
          ctx,
          "create_task",
          (r) => r.taskId,
          async (caller) => ({
            taskId: await m.tasks.create(caller, {
              functionId: req.functionId,
              functionArguments: req.functionArguments,
              executor: req.executor,
              inputsOwnership: req.inputsOwnership.map((o) => ({ name: o.dataName, owners: o.uids })),
              outputsOwnership: req.outputsOwnership.map((o) => ({ name: o.dataName, owners: o.uids })),
            }),
          }),
        ),
      getTask: (req, ctx) =>
        gateway.call(ctx, "get_task", req.taskId, async (caller) =>
          taskResponse(await m.tasks.get(caller, req.taskId)),
        ),
      assignData: (req, ctx) =>
        gateway.call(ctx, "assign_data", req.taskId, async (caller) => {
          await m.tasks.assign(
            caller,
            req.taskId,
            req.inputs.map((d) => ({ name: d.dataName, id: d.dataId })),
            req.outputs.map((d) => ({ name: d.dataName, id: d.dataId })),
          );
          return {};
        }),
      approveTask: (req, ctx) =>
        gateway.call(ctx, "approve_task", req.taskId, async (caller) => {
          await m.tasks.approve(caller, req.taskId);
          return {};
        }),
      invokeTask: (req, ctx) =>
        gateway.call(ctx, "invoke_task", req.taskId, async (caller) => {
          await m.tasks.invoke(caller, req.taskId);
          return {};
        }),
      cancelTask: (req, ctx) =>
        gateway.call(ctx, "cancel_task", req.taskId, async (caller) => {
          await m.tasks.cancel(caller, req.taskId);
          return {};
        }),
      queryAuditLogs: (req, ctx) =>
        gateway.call(ctx, "query_audit_logs", "", async () => {
          const records = await audit.query(req.query, req.limit);
          return {
            logs: records.map((r) => ({
              microsecond: BigInt(r.timeMicros),
              ip: r.ip,
              user: r.user,
              message: auditMessage(r),
              result: r.allowed,
            })),
          };
        }),
    });
}
