// Bad input gets the documented status and a clear message, and changes nothing in the store.
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { MesateeError, type MesateeClient } from "@mesatee/sdk";
import type { DocumentKind } from "./storage/index.js";
import { startTestPlatform, type TestPlatform } from "./testing/harness.js";

let t: TestPlatform;
let d: MesateeClient;
let fo: MesateeClient;
let functionId: string;
let taskId: string;

before(async () => {
  t = await startTestPlatform();
  fo = await t.user("fo", "FunctionOwner");
  d = await t.user("d", "DataOwner", "g");
  functionId = (await fo.frontend.registerFunction({ name: "builtin-echo", public: true, usageQuota: -1 }))
    .functionId;
  taskId = (await d.frontend.createTask({ functionId })).taskId;
});
after(() => t.dispose());

const KINDS: DocumentKind[] = ["user", "input", "output", "function", "function_lists", "task", "secret"];
async function snapshot(): Promise<string> {
  return t.platform.store.transaction(async (tx) => {
    const all: Record<string, unknown> = { queue: await tx.queueLength() };
    for (const k of KINDS) all[k] = await tx.list(k);
    return JSON.stringify(all);
  });
}

async function expectError(p: Promise<unknown>, status: Code, code?: string): Promise<MesateeError> {
  const e = await p.then(
    () => assert.fail("expected an error"),
    (err: unknown) => err as MesateeError,
  );
  assert.ok(e instanceof MesateeError, String(e));
  assert.equal(e.status, status, `${Code[e.status]}: ${e.message}`);
  if (code) assert.equal(e.code, code, e.message);
  assert.ok(e.message.length > 0);
  return e;
}

const crypto = { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) };

test("malformed fields are refused with INVALID_ARGUMENT and change nothing", async () => {
  const before = await snapshot();
  const I = Code.InvalidArgument;
  const cases: Array<[string, () => Promise<unknown>]> = [
    ["wrong id prefix", () => d.frontend.getTask({ taskId: functionId })],
    ["not a uuid", () => d.frontend.getTask({ taskId: "task-123" })],
    ["empty id", () => d.frontend.invokeTask({ taskId: "" })],
    ["unknown task", () => d.frontend.approveTask({ taskId: "task-00000000-0000-4000-8000-000000000000" })],
    [
      "file url scheme",
      () =>
        d.frontend.registerInputFile({
          url: "file:///etc/passwd",
          cmac: new Uint8Array(16),
          cryptoInfo: crypto,
        }),
    ],
    [
      "fusion url",
      () =>
        d.frontend.registerInputFile({
          url: "fusion:///TEACLAVE_FUSION_BASE/x.fusion",
          cmac: new Uint8Array(16),
          cryptoInfo: crypto,
        }),
    ],
    [
      "javascript url",
      () => d.frontend.registerOutputFile({ url: "javascript:alert(1)", cryptoInfo: crypto }),
    ],
    [
      "credentials in url",
      () => d.frontend.registerOutputFile({ url: "https://u:p@h/x", cryptoInfo: crypto }),
    ],
    ["not a url", () => d.frontend.registerOutputFile({ url: "not a url", cryptoInfo: crypto })],
    [
      "huge url",
      () => d.frontend.registerOutputFile({ url: `https://h/${"a".repeat(5000)}`, cryptoInfo: crypto }),
    ],
    [
      "data url output",
      () => d.frontend.registerOutputFile({ url: "data:text/plain;base64,AA==", cryptoInfo: crypto }),
    ],
    [
      "short cmac",
      () =>
        d.frontend.registerInputFile({ url: "https://h/x", cmac: new Uint8Array(15), cryptoInfo: crypto }),
    ],
    [
      "short key",
      () =>
        d.frontend.registerInputFile({
          url: "https://h/x",
          cmac: new Uint8Array(16),
          cryptoInfo: { ...crypto, key: new Uint8Array(8) },
        }),
    ],
    [
      "missing iv",
      () =>
        d.frontend.registerInputFile({
          url: "https://h/x",
          cmac: new Uint8Array(16),
          cryptoInfo: { ...crypto, iv: new Uint8Array() },
        }),
    ],
    [
      "unknown schema",
      () =>
        d.frontend.registerInputFile({
          url: "https://h/x",
          cmac: new Uint8Array(16),
          cryptoInfo: { ...crypto, schema: "rot13" },
        }),
    ],
    ["no crypto info", () => d.frontend.registerInputFile({ url: "https://h/x", cmac: new Uint8Array(16) })],
    [
      "raw output",
      () =>
        d.frontend.registerOutputFile({
          url: "https://h/x",
          cryptoInfo: { schema: "raw", key: new Uint8Array(), iv: new Uint8Array() },
        }),
    ],
    [
      "iv on teaclave-file-128",
      () =>
        d.frontend.registerOutputFile({
          url: "https://h/x",
          cryptoInfo: { schema: "teaclave-file-128", key: new Uint8Array(16), iv: new Uint8Array(12) },
        }),
    ],
    [
      "unknown executor type",
      () => fo.frontend.registerFunction({ name: "x", executorType: "cobol", usageQuota: -1 }),
    ],
    [
      "python without payload",
      () => fo.frontend.registerFunction({ name: "x", executorType: "python", usageQuota: -1 }),
    ],
    ["empty function name", () => fo.frontend.registerFunction({ name: "", usageQuota: -1 })],
    [
      "duplicate argument",
      () =>
        fo.frontend.registerFunction({ name: "x", usageQuota: -1, arguments: [{ key: "a" }, { key: "a" }] }),
    ],
    [
      "prototype name",
      () => fo.frontend.registerFunction({ name: "x", usageQuota: -1, inputs: [{ name: "__proto__" }] }),
    ],
    [
      "allowlist of unknown user",
      () => fo.frontend.registerFunction({ name: "x", usageQuota: -1, userAllowlist: ["nobody"] }),
    ],
    ["arguments not an object", () => d.frontend.createTask({ functionId, functionArguments: "42" })],
    [
      "huge arguments",
      () =>
        d.frontend.createTask({ functionId, functionArguments: JSON.stringify({ a: "x".repeat(300_000) }) }),
    ],
    ["list functions bad user", () => d.frontend.listFunctions({ userId: "a b" })],
    ["audit query field", () => t.admin.frontend.queryAuditLogs({ query: "result:maybe", limit: 1n })],
  ];
  for (const [name, call] of cases) {
    const e = await call().then(
      () => assert.fail(`${name}: expected an error`),
      (err: unknown) => err as MesateeError,
    );
    assert.ok(e instanceof MesateeError, `${name}: ${String(e)}`);
    assert.ok(
      e.status === I || (name === "file url scheme" && e.status === Code.PermissionDenied),
      `${name}: got ${Code[e.status]} ${e.message}`,
    );
  }
  assert.equal(await snapshot(), before);
});

test("an oversized message is refused with RESOURCE_EXHAUSTED", async () => {
  const before = await snapshot();
  await expectError(
    fo.frontend.registerFunction({
      name: "big",
      executorType: "python",
      payload: new Uint8Array(5 * 1024 * 1024),
      usageQuota: -1,
    }),
    Code.ResourceExhausted,
  );
  assert.equal(await snapshot(), before);
});

/** Sends raw bytes as a gRPC request body. */
async function rawGrpc(
  path: string,
  body: Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: string | undefined; message: string | undefined }> {
  // This test is about the protocol layer, so it skips the endpoint's attestation (the SDK never does).
  const session = http2.connect(t.platform.frontendUrl, { rejectUnauthorized: false });
  try {
    const req = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc+proto",
      te: "trailers",
      ...headers,
    });
    req.end(body);
    return await new Promise((resolve, reject) => {
      let headerStatus: string | undefined;
      let headerMessage: string | undefined;
      req.on("response", (h) => {
        headerStatus = h["grpc-status"] as string | undefined;
        headerMessage = h["grpc-message"] as string | undefined;
      });
      req.on("trailers", (tr) =>
        resolve({ status: tr["grpc-status"] as string, message: tr["grpc-message"] as string }),
      );
      req.on("end", () => resolve({ status: headerStatus, message: headerMessage }));
      req.on("error", reject);
      req.resume();
    });
  } finally {
    session.close();
  }
}

test("a malformed protobuf body is refused and changes nothing", async () => {
  const before = await snapshot();
  const token = (await d.login("d", "user-password")) as string;
  // A length-prefixed frame whose message bytes are not valid protobuf (field 1, length 100, 3 bytes).
  const garbage = Buffer.from([0x0a, 0x64, 1, 2, 3]);
  const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, garbage.length]), garbage]);
  const r = await rawGrpc("/teaclave_frontend_service_proto.TeaclaveFrontend/CreateTask", frame, {
    id: "d",
    token,
  });
  assert.equal(r.status, String(Code.InvalidArgument), r.message);
  // A frame announcing more bytes than it carries.
  const short = await rawGrpc(
    "/teaclave_frontend_service_proto.TeaclaveFrontend/CreateTask",
    Buffer.from([0, 0, 0, 0, 50, 1]),
    { id: "d", token },
  );
  assert.notEqual(short.status, "0");
  assert.equal(await snapshot(), before);
});

test("an unknown method is UNIMPLEMENTED", async () => {
  const r = await rawGrpc(
    "/teaclave_frontend_service_proto.TeaclaveFrontend/DropAllTables",
    Buffer.from([0, 0, 0, 0, 0]),
  );
  assert.equal(r.status, String(Code.Unimplemented));
});

test("refusals by role and ownership change nothing", async () => {
  const before = await snapshot();
  await expectError(
    d.frontend.registerFunction({ name: "x", usageQuota: -1 }),
    Code.PermissionDenied,
    "PERMISSION_DENIED",
  );
  await expectError(fo.frontend.createTask({ functionId }), Code.PermissionDenied, "PERMISSION_DENIED");
  await expectError(fo.frontend.invokeTask({ taskId }), Code.PermissionDenied, "PERMISSION_DENIED");
  await expectError(d.frontend.deleteFunction({ functionId }), Code.PermissionDenied, "PERMISSION_DENIED");
  assert.equal(await snapshot(), before);
});
