// Wire compatibility, checked from another language: a Python client (grpcio and stubs generated from our
// .proto files, nothing of ours) drives a user journey against a real platform over TLS, and we assert what
// it saw, what the platform stored, and that the contract the stubs encode is Teaclave's (spec §1.3, §2).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import { common, MesateeClient } from "@mesatee/sdk";
import { ADMIN_ID } from "../platform.js";
import { ADMIN_PASSWORD, startTestPlatform, type TestPlatform } from "../testing/harness.js";
import {
  contractDifferences,
  describeGenerated,
  TEACLAVE_CONTRACT,
  type ContractDescription,
} from "./contract.js";

// Debian's interpreter, which has python3-grpcio and python3-grpc-tools (scripts/install-system-deps.sh).
const PYTHON = "/usr/bin/python3";
// The script is not compiled: it is found in the source tree, next to this file's source.
const CLIENT = fileURLToPath(new URL("../../src/interop/client.py", import.meta.url));
// The .proto files ship beside @mesatee/protocol's compiled code.
const PROTO_DIR = join(dirname(fileURLToPath(import.meta.resolve("@mesatee/protocol"))), "..", "proto");
const PROTOS = [
  "teaclave_common.proto",
  "teaclave_authentication_service.proto",
  "teaclave_frontend_service.proto",
];
const USER_PASSWORD = "py-user-password"; // as in client.py

const run = promisify(execFile);
// Async on purpose: the platform under test runs in this process, so blocking the event loop while the
// client talks to it would deadlock the TLS handshake.
const python = (args: string[]) => run(PYTHON, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });

/** Where google/protobuf/empty.proto lives: Debian ships the well-known types inside grpc_tools. */
async function wellKnownTypesDir(): Promise<string> {
  const { stdout } = await python([
    "-c",
    "import os, grpc_tools; print(os.path.join(os.path.dirname(grpc_tools.__file__), '_proto'))",
  ]);
  const candidates = [stdout.trim(), "/usr/include"];
  const found = candidates.find((d) => existsSync(join(d, "google/protobuf/empty.proto")));
  assert.ok(found, `google/protobuf/empty.proto not found in ${candidates.join(", ")}`);
  return found;
}

async function generateStubs(protoDir: string, outDir: string): Promise<void> {
  await python([
    "-m",
    "grpc_tools.protoc",
    `-I${protoDir}`,
    `-I${await wellKnownTypesDir()}`,
    `--python_out=${outDir}`,
    `--grpc_python_out=${outDir}`,
    ...PROTOS.map((p) => join(protoDir, p)),
  ]);
}

interface RpcFailure {
  readonly code: string;
  readonly details: string | null;
  readonly errorCode: string | null;
}

interface TaskView {
  readonly taskId: string;
  readonly creator: string;
  readonly functionId: string;
  readonly functionOwner: string;
  readonly functionArguments: unknown;
  readonly inputsOwnership: [string, string[]][];
  readonly outputsOwnership: [string, string[]][];
  readonly participants: string[];
  readonly approvedUsers: string[];
  readonly assignedInputs: [string, string][];
  readonly assignedOutputs: [string, string][];
  readonly status: number;
  readonly statusName: string;
  readonly result: string | null;
}

/** What client.py prints. */
interface Observed {
  readonly contract: ContractDescription;
  readonly adminToken: string;
  readonly functionOwner: { id: string; token: string };
  readonly function: {
    id: string;
    name: string;
    description: string;
    executorType: string;
    owner: string;
    public: boolean;
    payloadHex: string;
    arguments: [string, string, boolean][];
    inputs: [string, string, boolean][];
    outputs: [string, string, boolean][];
  };
  readonly functionUsage: { quota: number; usage: number };
  readonly listUsers: string[];
  readonly inputFile: { id: string; owner: string[]; cmacHex: string };
  readonly outputFile: { id: string; owner: string[]; cmacHex: string };
  readonly taskCreated: TaskView;
  readonly taskAssigned: TaskView;
  readonly errors: Record<string, RpcFailure>;
  readonly auditLogs: {
    microsecond: number;
    ipHex: string;
    user: string;
    message: string;
    result: boolean;
  }[];
}

/** Starts a platform, generates stubs from `protoDir` and runs the Python client against it. */
async function runClient(
  protoDir: string,
): Promise<{ observed: Observed; t: TestPlatform; cleanup: () => Promise<void> }> {
  const stubs = mkdtempSync(join(tmpdir(), "mesatee-pystubs-"));
  const t = await startTestPlatform();
  const cleanup = async () => {
    await t.dispose();
    rmSync(stubs, { recursive: true, force: true });
  };
  try {
    await generateStubs(protoDir, stubs);
    const host = (url: string) => new URL(url).host;
    const { stdout } = await python([
      CLIENT,
      "--stubs",
      stubs,
      "--authentication",
      host(t.platform.authenticationUrl),
      "--frontend",
      host(t.platform.frontendUrl),
      "--admin-id",
      ADMIN_ID,
      "--admin-password",
      ADMIN_PASSWORD,
    ]);
    return { observed: JSON.parse(stdout) as Observed, t, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
const idOf = (prefix: string) => new RegExp(`^${prefix}-${UUID}$`);

test(
  "a Python grpcio client built from the .proto files completes a user journey over TLS",
  { timeout: 120_000 },
  async () => {
    const { observed: o, t, cleanup } = await runClient(PROTO_DIR);
    try {
      // The stubs, our generated code and Teaclave's contract agree field by field.
      assert.deepEqual(contractDifferences(o.contract, TEACLAVE_CONTRACT), []);
      assert.deepEqual(contractDifferences(describeGenerated(), o.contract), []);

      // Tokens are JWTs.
      assert.match(o.adminToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      assert.equal(o.functionOwner.id, "py_function_owner");
      assert.match(o.functionOwner.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);

      // The function as registered, read back field by field.
      assert.match(o.function.id, idOf("function"));
      assert.deepEqual(
        { ...o.function, id: undefined },
        {
          id: undefined,
          name: "py-interop-function",
          description: "registered by the Python client",
          executorType: "builtin",
          owner: "py_function_owner",
          public: true,
          payloadHex: Buffer.from("\x00\x01payload\xff", "latin1").toString("hex"),
          arguments: [
            ["order", "ascending", true],
            ["limit", "10", false],
          ],
          inputs: [["input_data", "the input", false]],
          outputs: [
            ["output_result", "the result", false],
            ["output_extra", "may be absent", true],
          ],
        },
      );
      assert.deepEqual(o.functionUsage, { quota: 7, usage: 0 });
      assert.deepEqual(o.listUsers, ["admin", "py_data_owner", "py_data_owner_2", "py_function_owner"]);

      // Files.
      assert.match(o.inputFile.id, idOf("input"));
      assert.deepEqual(o.inputFile.owner, ["py_data_owner"]);
      assert.equal(o.inputFile.cmacHex, "000102030405060708090a0b0c0d0e0f");
      assert.match(o.outputFile.id, idOf("output"));
      assert.deepEqual(o.outputFile.owner, ["py_data_owner"]);
      assert.equal(o.outputFile.cmacHex, "");

      // The task, as created and after the data owner assigned its files.
      const task = o.taskCreated;
      assert.match(task.taskId, idOf("task"));
      assert.deepEqual(task, {
        taskId: task.taskId,
        creator: "py_data_owner",
        functionId: o.function.id,
        functionOwner: "py_function_owner",
        // The overwritable argument as given; the fixed one as its default, a JSON string (spec §3.6).
        functionArguments: { order: "descending", limit: "10" },
        inputsOwnership: [["input_data", ["py_data_owner"]]],
        outputsOwnership: [["output_result", ["py_data_owner"]]],
        participants: ["py_data_owner"],
        approvedUsers: [],
        assignedInputs: [],
        assignedOutputs: [],
        status: 0, // Created (spec §2.1)
        statusName: "Created",
        result: null,
      });
      assert.deepEqual(o.taskAssigned, {
        ...task,
        assignedInputs: [["input_data", o.inputFile.id]],
        assignedOutputs: [["output_result", o.outputFile.id]],
        status: 1,
        statusName: "DataAssigned",
      });

      // Refusals, with Teaclave's statuses (spec §1.3) and our stable code in the trailers.
      assert.deepEqual(o.errors, {
        dataOwnerRegistersFunction: {
          code: "PERMISSION_DENIED",
          details: "permission denied",
          errorCode: "PERMISSION_DENIED",
        },
        forgedToken: {
          code: "UNAUTHENTICATED",
          details: "authentication failed",
          errorCode: "UNAUTHENTICATED",
        },
        stolenToken: {
          code: "UNAUTHENTICATED",
          details: "authentication failed",
          errorCode: "UNAUTHENTICATED",
        },
        missingToken: { code: "UNAUTHENTICATED", details: "missing token", errorCode: "UNAUTHENTICATED" },
        otherDataOwnerReadsTask: {
          code: "PERMISSION_DENIED",
          details: "permission denied",
          errorCode: "PERMISSION_DENIED",
        },
        wrongIdPrefix: {
          code: "INVALID_ARGUMENT",
          details: `invalid task id: ${JSON.stringify(o.function.id)}`,
          errorCode: "INVALID_ARGUMENT",
        },
        wrongPassword: {
          code: "UNAUTHENTICATED",
          details: "authentication failed",
          errorCode: "UNAUTHENTICATED",
        },
        // The authentication service answers every refusal with UNAUTHENTICATED, as Teaclave's does.
        dataOwnerRegistersUser: {
          code: "UNAUTHENTICATED",
          details: "permission denied",
          errorCode: "PERMISSION_DENIED",
        },
      });

      // Audit entries, read through the wire: newest first, 16-byte IPv4-mapped loopback addresses.
      const logs = o.auditLogs;
      assert.ok(logs.every((l) => l.ipHex === "00000000000000000000ffff7f000001"));
      assert.deepEqual(
        logs.map((l) => l.microsecond),
        [...logs.map((l) => l.microsecond)].sort((a, b) => b - a),
      );
      const has = (user: string, message: string, result: boolean) =>
        logs.some((l) => l.user === user && l.message === message && l.result === result);
      assert.ok(has("py_function_owner", `register_function ${o.function.id}`, true));
      assert.ok(has("py_data_owner", `create_task ${task.taskId}`, true));
      assert.ok(has("py_data_owner", `assign_data ${task.taskId}`, true));
      assert.ok(has("py_data_owner", "register_function: PERMISSION_DENIED: permission denied", false));

      // The objects exist in the platform: read back by a Node client as the Python-made users.
      const dataOwner = MesateeClient.fromClientDir({
        authenticationUrl: t.platform.authenticationUrl,
        frontendUrl: t.platform.frontendUrl,
        clientDir: t.platform.clientDir,
      });
      try {
        await dataOwner.login("py_data_owner", USER_PASSWORD);
        const got = await dataOwner.frontend.getTask({ taskId: task.taskId });
        assert.equal(got.creator, "py_data_owner");
        assert.equal(got.functionId, o.function.id);
        assert.equal(got.status, common.TaskStatus.DataAssigned);
        assert.deepEqual(JSON.parse(got.functionArguments), { order: "descending", limit: "10" });
        assert.deepEqual(
          got.assignedInputs.map((d) => [d.dataName, d.dataId]),
          [["input_data", o.inputFile.id]],
        );
        const input = await dataOwner.frontend.getInputFile({ dataId: o.inputFile.id });
        assert.equal(Buffer.from(input.cmac).toString("hex"), o.inputFile.cmacHex);
      } finally {
        dataOwner.close();
      }
      const fn = await t.admin.frontend.getFunction({ functionId: o.function.id });
      assert.equal(fn.owner, "py_function_owner");
      assert.deepEqual(Buffer.from(fn.payload).toString("hex"), o.function.payloadHex);
      assert.deepEqual(
        (await t.admin.frontend.listFunctions({ userId: "py_function_owner" })).registeredFunctions,
        [o.function.id],
      );
      // And below the wire: the management service's own view of the task.
      const stored = await t.platform.management.tasks.get(
        { id: "py_data_owner", role: { kind: "DataOwner", group: "py_bank" } },
        task.taskId,
      );
      assert.equal(stored.status, "DataAssigned");
      assert.deepEqual(stored.assignedOutputs, { output_result: o.outputFile.id });
      assert.equal(await t.platform.audit.verify(), null);
    } finally {
      await cleanup();
    }
  },
);

test(
  "a client built from a renumbered contract is caught, and really misreads the wire",
  { timeout: 120_000 },
  async () => {
    // GetTaskResponse.participants moved from 8 to 18 in a copy of the .proto files: the stubs still build
    // and every call still succeeds, which is exactly why the contract is pinned.
    const protoDir = mkdtempSync(join(tmpdir(), "mesatee-renumbered-"));
    try {
      cpSync(PROTO_DIR, protoDir, { recursive: true });
      const file = join(protoDir, "teaclave_frontend_service.proto");
      const text = readFileSync(file, "utf8");
      const changed = text.replace(/(repeated string participants = )8;/, "$118;");
      assert.notEqual(changed, text, "the participants field was not found in the .proto");
      writeFileSync(file, changed);

      const { observed: o, cleanup } = await runClient(protoDir);
      try {
        assert.deepEqual(contractDifferences(o.contract, TEACLAVE_CONTRACT), [
          `messages teaclave_frontend_service_proto.GetTaskResponse: expected ${JSON.stringify(
            TEACLAVE_CONTRACT.messages["teaclave_frontend_service_proto.GetTaskResponse"],
          )}, got ${JSON.stringify(o.contract.messages["teaclave_frontend_service_proto.GetTaskResponse"])}`,
        ]);
        assert.equal(contractDifferences(describeGenerated(), o.contract).length, 1);
        // The server sent participants as field 8; this client looks for 18 and sees none.
        assert.deepEqual(o.taskCreated.participants, []);
        assert.equal(o.taskCreated.creator, "py_data_owner");
      } finally {
        await cleanup();
      }
    } finally {
      rmSync(protoDir, { recursive: true, force: true });
    }
  },
);
