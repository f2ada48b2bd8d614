// The full role × API matrix through the wire API: every role against every RPC, allowed and refused.
// The expected table is written out here from spec §3.3 (plus MesaTEE's fix letting function owners read
// and approve tasks of their private functions), independently of the policy module.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { MesateeError, type MesateeClient } from "@mesatee/sdk";
import { startTestPlatform, type TestPlatform } from "../testing/harness.js";

type Role = "PlatformAdmin" | "FunctionOwner" | "DataOwnerManager" | "DataOwner";
const ROLES: Role[] = ["PlatformAdmin", "FunctionOwner", "DataOwnerManager", "DataOwner"];

const FUNCTION_OWNER = [
  "register_function",
  "update_function",
  "delete_function",
  "disable_function",
  "get_function",
  "list_functions",
  "get_function_usage_stats",
  "get_task",
  "approve_task",
];
const DATA_OWNER = [
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
];
const ALLOWED: Record<Role, (api: string) => boolean> = {
  PlatformAdmin: () => true,
  FunctionOwner: (api) => FUNCTION_OWNER.includes(api),
  DataOwnerManager: (api) => DATA_OWNER.includes(api),
  DataOwner: (api) => DATA_OWNER.includes(api),
};

const KEY = new Uint8Array(16);
const IV = new Uint8Array(12);
const crypto = { schema: "aes-gcm-128", key: KEY, iv: IV };
const missing = (prefix: string) => `${prefix}-${randomUUID()}`;
const fnFields = { name: "f", description: "", executorType: "builtin", public: true, usageQuota: -1 };

/** One call per RPC; for allowed roles each either succeeds or fails with NOT_FOUND (no such object). */
const CALLS: Record<string, (c: MesateeClient, self: string) => Promise<unknown>> = {
  register_input_file: (c) =>
    c.frontend.registerInputFile({ url: "https://h/x", cmac: new Uint8Array(16), cryptoInfo: crypto }),
  register_output_file: (c) => c.frontend.registerOutputFile({ url: "https://h/y", cryptoInfo: crypto }),
  update_input_file: (c) => c.frontend.updateInputFile({ dataId: missing("input"), url: "https://h/z" }),
  update_output_file: (c) => c.frontend.updateOutputFile({ dataId: missing("output"), url: "https://h/z" }),
  register_fusion_output: (c, self) => c.frontend.registerFusionOutput({ ownerList: [self, "peer"] }),
  register_input_from_output: (c) => c.frontend.registerInputFromOutput({ dataId: missing("output") }),
  get_output_file: (c) => c.frontend.getOutputFile({ dataId: missing("output") }),
  get_input_file: (c) => c.frontend.getInputFile({ dataId: missing("input") }),
  register_function: (c) => c.frontend.registerFunction(fnFields),
  get_function: (c) => c.frontend.getFunction({ functionId: missing("function") }),
  get_function_usage_stats: (c) => c.frontend.getFunctionUsageStats({ functionId: missing("function") }),
  update_function: (c) => c.frontend.updateFunction({ functionId: missing("function"), ...fnFields }),
  list_functions: (c, self) => c.frontend.listFunctions({ userId: self }),
  delete_function: (c) => c.frontend.deleteFunction({ functionId: missing("function") }),
  disable_function: (c) => c.frontend.disableFunction({ functionId: missing("function") }),
  create_task: (c) => c.frontend.createTask({ functionId: missing("function"), functionArguments: "{}" }),
  get_task: (c) => c.frontend.getTask({ taskId: missing("task") }),
  assign_data: (c) => c.frontend.assignData({ taskId: missing("task") }),
  approve_task: (c) => c.frontend.approveTask({ taskId: missing("task") }),
  invoke_task: (c) => c.frontend.invokeTask({ taskId: missing("task") }),
  cancel_task: (c) => c.frontend.cancelTask({ taskId: missing("task") }),
  query_audit_logs: (c) => c.frontend.queryAuditLogs({ query: "*", limit: 1n }),
};

let t: TestPlatform;
const clients = new Map<Role, MesateeClient>();
const ids: Record<Role, string> = {
  PlatformAdmin: "admin",
  FunctionOwner: "m-fo",
  DataOwnerManager: "m-dom",
  DataOwner: "m-do",
};

before(async () => {
  t = await startTestPlatform();
  clients.set("PlatformAdmin", t.admin);
  clients.set("FunctionOwner", await t.user(ids.FunctionOwner, "FunctionOwner"));
  clients.set("DataOwnerManager", await t.user(ids.DataOwnerManager, "DataOwnerManager", "g"));
  clients.set("DataOwner", await t.user(ids.DataOwner, "DataOwner", "g"));
  await t.admin.authentication.userRegister({
    id: "peer",
    password: "peer-password",
    role: "DataOwner",
    attribute: "g",
  });
});
after(() => t.dispose());

test("the frontend API matrix covers all 22 RPCs", () => {
  assert.equal(Object.keys(CALLS).length, 22);
});

for (const role of ROLES) {
  for (const [api, call] of Object.entries(CALLS)) {
    const allowed = ALLOWED[role](api);
    test(`${role} ${allowed ? "may" : "may not"} call ${api}`, async () => {
      const client = clients.get(role)!;
      let outcome: MesateeError | "ok";
      try {
        await call(client, ids[role]);
        outcome = "ok";
      } catch (error) {
        assert.ok(error instanceof MesateeError, String(error));
        outcome = error;
      }
      if (allowed) {
        if (outcome !== "ok") assert.equal(outcome.code, "NOT_FOUND", `${api}: ${outcome.message}`);
      } else {
        assert.notEqual(outcome, "ok");
        assert.equal((outcome as MesateeError).code, "PERMISSION_DENIED");
        assert.equal((outcome as MesateeError).status, Code.PermissionDenied);
        const { logs } = await t.admin.frontend.queryAuditLogs({
          query: `user:${ids[role]} api:${api} result:false`,
          limit: 1n,
        });
        assert.equal(logs.length, 1, "the refusal is audited");
      }
    });
  }
}

// ---- authentication API: role × target (spec §3.2, with the DataOwnerManager escalation fixed) ----

interface AuthCase {
  readonly name: string;
  readonly caller: Role;
  readonly call: (c: MesateeClient, fresh: string) => Promise<unknown>;
  readonly allowed: boolean;
  /** Accounts the call targets, created fresh for each case. */
  readonly target?: { role: string; attribute: string };
}

const reg = (role: string, attribute: string) => (c: MesateeClient, fresh: string) =>
  c.authentication.userRegister({ id: fresh, password: "new-password", role, attribute });
const upd = (role: string, attribute: string) => (c: MesateeClient, fresh: string) =>
  c.authentication.userUpdate({ id: fresh, password: "new-password", role, attribute });
const reset = (c: MesateeClient, fresh: string) => c.authentication.resetUserPassword({ id: fresh });
const del = (c: MesateeClient, fresh: string) => c.authentication.deleteUser({ id: fresh });

const AUTH_CASES: AuthCase[] = [
  {
    name: "an admin registers a PlatformAdmin",
    caller: "PlatformAdmin",
    call: reg("PlatformAdmin", ""),
    allowed: true,
  },
  {
    name: "an admin registers a FunctionOwner",
    caller: "PlatformAdmin",
    call: reg("FunctionOwner", ""),
    allowed: true,
  },
  {
    name: "a FunctionOwner registers a DataOwnerManager",
    caller: "FunctionOwner",
    call: reg("DataOwnerManager", "h"),
    allowed: true,
  },
  {
    name: "a FunctionOwner cannot register a DataOwner",
    caller: "FunctionOwner",
    call: reg("DataOwner", "h"),
    allowed: false,
  },
  {
    name: "a FunctionOwner cannot register a FunctionOwner",
    caller: "FunctionOwner",
    call: reg("FunctionOwner", ""),
    allowed: false,
  },
  {
    name: "a DataOwnerManager registers a DataOwner of its group",
    caller: "DataOwnerManager",
    call: reg("DataOwner", "g"),
    allowed: true,
  },
  {
    name: "a DataOwnerManager cannot register a DataOwner of another group",
    caller: "DataOwnerManager",
    call: reg("DataOwner", "h"),
    allowed: false,
  },
  {
    name: "a DataOwnerManager cannot register a DataOwnerManager",
    caller: "DataOwnerManager",
    call: reg("DataOwnerManager", "g"),
    allowed: false,
  },
  {
    name: "a DataOwnerManager cannot register a PlatformAdmin",
    caller: "DataOwnerManager",
    call: reg("PlatformAdmin", ""),
    allowed: false,
  },
  {
    name: "a DataOwner cannot register anyone",
    caller: "DataOwner",
    call: reg("DataOwner", "g"),
    allowed: false,
  },
  {
    name: "an admin updates any user",
    caller: "PlatformAdmin",
    target: { role: "FunctionOwner", attribute: "" },
    call: upd("DataOwner", "x"),
    allowed: true,
  },
  {
    name: "a DataOwnerManager updates a DataOwner of its group",
    caller: "DataOwnerManager",
    target: { role: "DataOwner", attribute: "g" },
    call: upd("DataOwner", "g"),
    allowed: true,
  },
  {
    name: "a DataOwnerManager cannot promote a DataOwner of its group",
    caller: "DataOwnerManager",
    target: { role: "DataOwner", attribute: "g" },
    call: upd("DataOwnerManager", "g"),
    allowed: false,
  },
  {
    name: "a DataOwnerManager cannot move a DataOwner to another group",
    caller: "DataOwnerManager",
    target: { role: "DataOwner", attribute: "g" },
    call: upd("DataOwner", "h"),
    allowed: false,
  },
  {
    name: "a DataOwnerManager cannot change an admin's password",
    caller: "DataOwnerManager",
    target: { role: "PlatformAdmin", attribute: "" },
    call: upd("DataOwner", "g"),
    allowed: false,
  },
  {
    name: "a DataOwnerManager cannot update a DataOwner of another group",
    caller: "DataOwnerManager",
    target: { role: "DataOwner", attribute: "h" },
    call: upd("DataOwner", "g"),
    allowed: false,
  },
  {
    name: "a DataOwnerManager cannot update a FunctionOwner",
    caller: "DataOwnerManager",
    target: { role: "FunctionOwner", attribute: "" },
    call: upd("DataOwner", "g"),
    allowed: false,
  },
  {
    name: "a FunctionOwner cannot update users",
    caller: "FunctionOwner",
    target: { role: "DataOwner", attribute: "g" },
    call: upd("DataOwner", "g"),
    allowed: false,
  },
  {
    name: "a DataOwner cannot update users",
    caller: "DataOwner",
    target: { role: "DataOwner", attribute: "g" },
    call: upd("DataOwner", "g"),
    allowed: false,
  },
  {
    name: "an admin resets any password",
    caller: "PlatformAdmin",
    target: { role: "FunctionOwner", attribute: "" },
    call: reset,
    allowed: true,
  },
  {
    name: "a DataOwnerManager resets a DataOwner of its group",
    caller: "DataOwnerManager",
    target: { role: "DataOwner", attribute: "g" },
    call: reset,
    allowed: true,
  },
  {
    name: "a DataOwnerManager cannot reset an admin",
    caller: "DataOwnerManager",
    target: { role: "PlatformAdmin", attribute: "" },
    call: reset,
    allowed: false,
  },
  {
    name: "a DataOwnerManager cannot reset a DataOwner of another group",
    caller: "DataOwnerManager",
    target: { role: "DataOwner", attribute: "h" },
    call: reset,
    allowed: false,
  },
  {
    name: "a FunctionOwner cannot reset passwords",
    caller: "FunctionOwner",
    target: { role: "DataOwner", attribute: "g" },
    call: reset,
    allowed: false,
  },
  {
    name: "a DataOwner cannot reset passwords",
    caller: "DataOwner",
    target: { role: "DataOwner", attribute: "g" },
    call: reset,
    allowed: false,
  },
  {
    name: "an admin deletes any user",
    caller: "PlatformAdmin",
    target: { role: "DataOwnerManager", attribute: "g" },
    call: del,
    allowed: true,
  },
  {
    name: "a DataOwnerManager deletes a DataOwner of its group",
    caller: "DataOwnerManager",
    target: { role: "DataOwner", attribute: "g" },
    call: del,
    allowed: true,
  },
  {
    name: "a DataOwnerManager cannot delete a DataOwnerManager",
    caller: "DataOwnerManager",
    target: { role: "DataOwnerManager", attribute: "g" },
    call: del,
    allowed: false,
  },
  {
    name: "a FunctionOwner cannot delete users",
    caller: "FunctionOwner",
    target: { role: "DataOwner", attribute: "g" },
    call: del,
    allowed: false,
  },
  {
    name: "a DataOwner cannot delete users",
    caller: "DataOwner",
    target: { role: "DataOwner", attribute: "g" },
    call: del,
    allowed: false,
  },
  {
    name: "an admin lists all users",
    caller: "PlatformAdmin",
    call: (c) => c.authentication.listUsers({ id: "" }),
    allowed: true,
  },
  {
    name: "a DataOwnerManager lists its group",
    caller: "DataOwnerManager",
    call: (c) => c.authentication.listUsers({ id: "g" }),
    allowed: true,
  },
  {
    name: "a DataOwnerManager cannot list another group",
    caller: "DataOwnerManager",
    call: (c) => c.authentication.listUsers({ id: "h" }),
    allowed: false,
  },
  {
    name: "a FunctionOwner cannot list users",
    caller: "FunctionOwner",
    call: (c) => c.authentication.listUsers({ id: "g" }),
    allowed: false,
  },
  {
    name: "a DataOwner cannot list users",
    caller: "DataOwner",
    call: (c) => c.authentication.listUsers({ id: "g" }),
    allowed: false,
  },
];

let counter = 0;
for (const c of AUTH_CASES) {
  test(`authentication: ${c.name}`, async () => {
    const fresh = `target-${++counter}`;
    if (c.target)
      await t.admin.authentication.userRegister({ id: fresh, password: "target-password", ...c.target });
    const before = c.target ? await t.platform.store.transaction((tx) => tx.get("user", fresh)) : undefined;
    const result = await c.call(clients.get(c.caller)!, fresh).then(
      () => "ok" as const,
      (e: unknown) => e as MesateeError,
    );
    if (c.allowed) {
      assert.equal(result, "ok", result === "ok" ? "" : result.message);
    } else {
      assert.ok(result instanceof MesateeError);
      assert.equal(result.code, "PERMISSION_DENIED");
      // Teaclave's authentication service answers every refusal with UNAUTHENTICATED.
      assert.equal(result.status, Code.Unauthenticated);
      const after = c.target ? await t.platform.store.transaction((tx) => tx.get("user", fresh)) : undefined;
      assert.deepEqual(after, before, "a refused call changes nothing");
      if (!c.target)
        assert.equal(await t.platform.store.transaction((tx) => tx.get("user", fresh)), undefined);
    }
  });
}

test("every role may change its own password", async () => {
  for (const role of ROLES.slice(1)) {
    const c = await t.user(`pw-${role}`, role, role.startsWith("Data") ? "g" : "");
    await c.authentication.userChangePassword({ password: "changed-password" });
    await c.login(`pw-${role}`, "changed-password");
  }
});
