// The measured configuration: security-relevant settings change a service's measurement, operational ones
// do not, and a service run with settings other than those its policy was signed for is refused.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parsePolicy } from "@mesatee/attestation";
import { common, MesateeClient, MesateeError } from "@mesatee/sdk";
import { defaultConfig } from "../config.js";
import { DEFAULT_TASK_LIMITS } from "../execution/limits.js";
import { startStandaloneWorker, type StandaloneWorker } from "../execution/standalone.js";
import { ADMIN_PASSWORD, startTestPlatform } from "../testing/harness.js";
import { configDigests, executionConfigDigest, executionSettingsOf } from "./measured-config.js";
import { SERVICES, type ServiceName } from "./services.js";

const base = defaultConfig({ dataDir: "/nonexistent" });
const changed = (a: Record<ServiceName, string>, b: Record<ServiceName, string>) =>
  SERVICES.filter((s) => a[s] !== b[s]);

test("each security-relevant setting changes the measurement of the services it governs, and only theirs", () => {
  const d = configDigests(base);
  assert.equal(new Set(Object.values(d)).size, SERVICES.length, "every service has its own digest");
  const cases: Array<[string, Partial<typeof base>, ServiceName[]]> = [
    ["task time limit", { taskLimits: { ...DEFAULT_TASK_LIMITS, timeoutMs: 1000 } }, ["execution"]],
    ["operator maximum", { maxTaskLimits: { ...base.maxTaskLimits, memoryMb: 64 } }, ["execution"]],
    ["blocked networks", { fileAgent: { blockedNetworks: [] } }, ["execution"]],
    ["extra trusted CA", { fileAgent: { ca: ["-----BEGIN CERTIFICATE-----"] } }, ["execution"]],
    ["sandbox namespaces", { isolates: { namespaces: false } }, ["execution"]],
    ["file roots", { limits: { ...base.limits, fileUrlRoots: ["/srv"] } }, ["management", "execution"]],
    [
      "token lifetime",
      { authentication: { ...base.authentication, tokenTtlSeconds: 60 } },
      ["authentication"],
    ],
    ["retries", { scheduler: { ...base.scheduler, maxAttempts: 9 } }, ["scheduler"]],
    ["message size", { maxMessageBytes: 1024 }, ["authentication", "frontend", "management", "scheduler"]],
  ];
  for (const [what, override, expected] of cases)
    assert.deepEqual(changed(d, configDigests({ ...base, ...override })), expected, what);
});

test("operational settings and the spelling of defaults leave the measurement alone", () => {
  const d = configDigests(base);
  const same = [
    { dataDir: "/elsewhere", host: "0.0.0.0", authPort: 1, frontendPort: 2, schedulerPort: 3 },
    { worker: { ...base.worker, slots: 7, heartbeatMs: 99 } },
    { isolates: { warm: { python: 2 } } },
    { scheduler: { ...base.scheduler, leaseMs: 1, reapIntervalMs: 1 } },
    // Defaults given explicitly measure as defaults left out.
    { fileAgent: { timeoutMs: 10 * 60_000, blockedNetworks: ["169.254.0.0/16", "fe80::/10"] } },
  ];
  for (const override of same) assert.deepEqual(changed(d, configDigests({ ...base, ...override })), []);
  // The standalone worker measures what the platform's in-process worker measures for the same settings.
  assert.equal(executionConfigDigest(executionSettingsOf(base)), d.execution);
  assert.equal(executionConfigDigest({}), d.execution);
});

test("a platform restarted with another message size limit presents another measurement: the old policy refuses it", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "mesatee-measured-"));
  try {
    let t = await startTestPlatform({ dataDir, config: { inProcessWorker: false } });
    const oldPolicy = parsePolicy(readFileSync(join(t.platform.clientDir, "policy.json")));
    await t.stop();
    t = await startTestPlatform({
      dataDir,
      config: { inProcessWorker: false, maxMessageBytes: 1024 * 1024 },
    });
    try {
      const stale = new MesateeClient({
        authenticationUrl: t.platform.authenticationUrl,
        frontendUrl: t.platform.frontendUrl,
        policy: oldPolicy,
      });
      try {
        const e = await stale.login("admin", ADMIN_PASSWORD).then(
          () => assert.fail("a client holding the old policy trusted the reconfigured platform"),
          (err: unknown) => err,
        );
        assert.ok(e instanceof MesateeError);
        assert.match(e.message, /measurement/i);
      } finally {
        stale.close();
      }
      // The policy written for the new configuration is the one the platform's clients now trust.
      const now = t.admin.peer("authentication")?.measurement;
      const before = oldPolicy.services.authentication;
      assert.ok(now && before?.tee === "sgx" && !before.mrenclave?.includes(now));
    } finally {
      await t.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a worker whose measured settings differ from the policy's is refused; one that matches runs the task", async () => {
  const refusals: Array<{ service: string; message: string }> = [];
  let refused: () => void = () => {};
  const nextRefusal = () => new Promise<void>((resolve) => (refused = resolve));
  const t = await startTestPlatform({
    config: {
      inProcessWorker: false,
      onPeerRefused: (service, error) => {
        refusals.push({ service, message: `${(error as { code?: string }).code}: ${error.message}` });
        refused();
      },
    },
  });
  const work = mkdtempSync(join(tmpdir(), "mesatee-measured-work-"));
  const workers: StandaloneWorker[] = [];
  try {
    const start = (taskLimits: typeof DEFAULT_TASK_LIMITS, name: string) =>
      startStandaloneWorker({
        schedulerUrl: t.platform.schedulerUrl,
        attestationDir: t.platform.attestationDir,
        clientDir: t.platform.clientDir,
        workDir: join(work, name),
        fileAgent: { fusionDir: t.platform.fusionDir },
        taskLimits,
        worker: { slots: 1, pollMs: 200 },
        onError: () => {},
      }).then((w) => (workers.push(w), w));

    // A worker allowed a longer default run time than the deployment measured.
    let refusal = nextRefusal();
    const rogue = await start({ ...DEFAULT_TASK_LIMITS, timeoutMs: 24 * 3_600_000 }, "rogue");
    await refusal;
    assert.equal(refusals[0]?.service, "scheduler");
    assert.match(
      refusals[0]?.message ?? "",
      /^EVIDENCE_REJECTED: .*\(MEASUREMENT_NOT_ALLOWED\): MRENCLAVE [0-9a-f]{64} is not allowed for "execution"/,
    );

    const { functionId } = await t.admin.frontend.registerFunction({
      name: "builtin-echo",
      public: true,
      usageQuota: -1,
      arguments: [{ key: "message", allowOverwrite: true }],
    });
    const { taskId } = await t.admin.frontend.createTask({
      functionId,
      functionArguments: '{"message":"measured"}',
    });
    await t.admin.frontend.invokeTask({ taskId });
    // The rogue worker asks again after the task is staged and is refused again: the task does not move.
    refusal = nextRefusal();
    await refusal;
    assert.equal(rogue.worker.runningTasks.length, 0);
    assert.equal(common.TaskStatus[(await t.admin.frontend.getTask({ taskId })).status], "Staged");

    await start(DEFAULT_TASK_LIMITS, "honest");
    const task = await t.admin.waitForTask(taskId, 60_000);
    assert.equal(common.TaskStatus[task.status], "Finished");
    // The refusals are in the audit log too, with the reason.
    const { logs } = await t.admin.frontend.queryAuditLogs({
      query: "api:internal_connection object:scheduler result:false",
      limit: 100n,
    });
    assert.ok(logs.length >= 2);
    assert.ok(logs.every((l) => /MEASUREMENT_NOT_ALLOWED/.test(l.message)));
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await t.dispose();
    rmSync(work, { recursive: true, force: true });
  }
});
