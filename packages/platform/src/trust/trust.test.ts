// Clients verify the platform before sending anything: the SDK by the native evidence and the signed
// policy, Teaclave-era clients by the endorsed report and enclave_info.toml. Each attack is refused.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, cpSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { loadSignedPolicyDir, parsePolicy, verifyEnclaveInfo } from "@mesatee/attestation";
import { MesateeClient, MesateeError } from "@mesatee/sdk";
import { startTestPlatform, type TestPlatform } from "../testing/harness.js";
import { SERVICES } from "./deployment.js";

const run = promisify(execFile);
const CHECK = fileURLToPath(
  new URL("../src/teaclave/testdata/teaclave_client_check.py", import.meta.resolve("@mesatee/attestation")),
);

let t: TestPlatform;
before(async () => {
  t = await startTestPlatform({ config: { inProcessWorker: false } });
});
after(() => t.dispose());

const endpoint = (url: string) => {
  const u = new URL(url);
  return [u.hostname, u.port] as const;
};

test("the client directory holds a policy signed by every auditor, naming every service", () => {
  const loaded = loadSignedPolicyDir(t.platform.clientDir);
  assert.equal(loaded.signers.length, 2);
  assert.deepEqual(Object.keys(loaded.policy.services).sort(), [...SERVICES].sort());
  assert.equal(loaded.policy.allowSimulation, true);
  assert.match(loaded.policy.trustAnchors.simulationRootSha256 ?? "", /^[0-9a-f]{64}$/);
});

test("a policy edited after signing is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "mesatee-client-"));
  try {
    cpSync(t.platform.clientDir, dir, { recursive: true });
    const policy = JSON.parse(readFileSync(join(dir, "policy.json"), "utf8"));
    policy.services.frontend.mrenclave = ["00".repeat(32)];
    writeFileSync(join(dir, "policy.json"), JSON.stringify(policy, null, 2));
    assert.throws(() => loadSignedPolicyDir(dir), { code: "POLICY_SIGNATURES" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Policies are edited as raw JSON on purpose: the edits are what an attacker or a mistake would produce.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function refusedWith(policyEdit: (p: Record<string, any>) => void): Promise<MesateeError> {
  const raw = JSON.parse(readFileSync(join(t.platform.clientDir, "policy.json"), "utf8"));
  policyEdit(raw);
  const client = new MesateeClient({
    authenticationUrl: t.platform.authenticationUrl,
    frontendUrl: t.platform.frontendUrl,
    policy: parsePolicy(raw),
  });
  try {
    const e = await client.login("admin", "admin-password").then(
      () => assert.fail("the platform was trusted"),
      (err: unknown) => err as MesateeError,
    );
    assert.ok(e instanceof MesateeError);
    return e;
  } finally {
    client.close();
  }
}

test("the SDK refuses a platform whose evidence is simulation under a production policy, before any request", async () => {
  const before = (await t.admin.frontend.queryAuditLogs({ query: "api:user_login", limit: 1000n })).logs
    .length;
  const e = await refusedWith((p) => {
    p.allowSimulation = false;
    p.trustAnchors.simulationRootSha256 = null;
    for (const s of Object.values(p.services) as Array<Record<string, unknown>>) s.allowDebug = false;
  });
  assert.match(e.message, /SIMULATION|simulation|root/i);
  const after = (await t.admin.frontend.queryAuditLogs({ query: "api:user_login", limit: 1000n })).logs
    .length;
  assert.equal(after, before, "no login request reached the platform");
});

test("the SDK refuses a platform whose measurement the policy does not list", async () => {
  const e = await refusedWith((p) => (p.services.authentication.mrenclave = ["ab".repeat(32)]));
  assert.match(e.message, /MEASUREMENT|measurement/);
});

test("the SDK refuses a platform rooted in another deployment's simulation root", async () => {
  const e = await refusedWith((p) => (p.trustAnchors.simulationRootSha256 = "cd".repeat(32)));
  assert.match(e.message, /root|ROOT/);
});

test("the SDK records what it verified", async () => {
  const peer = t.admin.peer("frontend");
  assert.equal(peer?.service, "frontend");
  assert.equal(peer?.tee, "simulation");
  const policy = loadSignedPolicyDir(t.platform.clientDir).policy;
  const expected = policy.services.frontend;
  assert.ok(expected?.tee === "sgx" && expected.mrenclave?.includes(peer.measurement));
});

test("Teaclave's Python client check accepts both public endpoints", async () => {
  for (const [name, url] of [
    ["authentication", t.platform.authenticationUrl],
    ["frontend", t.platform.frontendUrl],
  ] as const) {
    const [host, port] = endpoint(url);
    const { stdout } = await run("/usr/bin/python3", [
      CHECK,
      host,
      port,
      join(t.platform.clientDir, "as_root_ca_cert.pem"),
      join(t.platform.clientDir, "enclave_info.toml"),
      name,
    ]);
    assert.match(stdout, /verified/);
  }
});

test("Teaclave's Python client check refuses the platform under another enclave_info", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mesatee-teaclave-"));
  try {
    const info = readFileSync(join(t.platform.clientDir, "enclave_info.toml"), "utf8").replace(
      /(\[teaclave_frontend_service\]\s*\nmr_enclave = ")[0-9a-f]{64}/,
      `$1${"00".repeat(32)}`,
    );
    writeFileSync(join(dir, "enclave_info.toml"), info);
    const [host, port] = endpoint(t.platform.frontendUrl);
    await assert.rejects(
      run("/usr/bin/python3", [
        CHECK,
        host,
        port,
        join(t.platform.clientDir, "as_root_ca_cert.pem"),
        join(dir, "enclave_info.toml"),
        "frontend",
      ]),
      /mr_enclave mismatch/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("enclave_info.toml carries verifying signatures by every Teaclave auditor", () => {
  const auditors = join(t.platform.clientDir, "auditors");
  const names = readdirSync(auditors).filter((n) => !n.endsWith(".pem"));
  assert.equal(names.length, 3);
  const info = readFileSync(join(t.platform.clientDir, "enclave_info.toml"));
  const keys = names.map((n) => readFileSync(join(auditors, n, `${n}.public.pem`), "utf8"));
  const signatures = names.map((n) => readFileSync(join(auditors, n, `${n}.sign.sha256`)));
  verifyEnclaveInfo(info, keys, signatures);
  assert.throws(() => verifyEnclaveInfo(Buffer.concat([info, Buffer.from("\n")]), keys, signatures));
});
