import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { attestationTesting as T } from "@mesatee/attestation";
import { registerAttestationCommands, type CliIo } from "./attestation.js";

interface Run {
  code: number | undefined;
  out: string;
  err: string;
}

async function mesatee(...args: string[]): Promise<Run> {
  const result: Run = { code: undefined, out: "", err: "" };
  const io: CliIo = {
    stdout: (t) => void (result.out += t),
    stderr: (t) => void (result.err += t),
    setExitCode: (c) => void (result.code = c),
    readFile: async (p) => readFileSync(p),
  };
  const program = new Command("mesatee")
    .exitOverride()
    .configureOutput({ writeOut: (t) => void (result.out += t), writeErr: (t) => void (result.err += t) });
  registerAttestationCommands(program, io);
  try {
    await program.parseAsync(["node", "mesatee", ...args]);
  } catch (error) {
    // commander's own usage errors (exitOverride)
    result.code = (error as { exitCode?: number }).exitCode ?? 1;
  }
  return result;
}

const dir = mkdtempSync(join(tmpdir(), "mesatee-cli-attestation-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const V = T.VECTORS;
const sgxQuote = T.vectorPath(V.sgx.quote);
const sgxCollateral = T.vectorPath(V.sgx.collateral);
const inWindow = "2025-07-01T00:00:00Z";

test("attestation verify --json prints one object for the real SGX quote and exits 0", async () => {
  const r = await mesatee(
    "attestation",
    "verify",
    sgxQuote,
    "--collateral",
    sgxCollateral,
    "--now",
    inWindow,
    "--json",
  );
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out) as Record<string, unknown>;
  assert.deepEqual(Object.keys(o).sort(), [
    "advisoryIds",
    "debug",
    "measurement",
    "ok",
    "reportData",
    "signer",
    "tcbStatus",
    "tee",
  ]);
  assert.equal(o.ok, true);
  assert.equal(o.tee, "sgx");
  assert.equal(o.tcbStatus, V.sgx.status);
  assert.deepEqual((o.advisoryIds as string[]).sort(), V.sgx.advisoryIds);
  assert.equal(o.measurement, V.sgx.mrenclave);
  assert.match(o.signer as string, /^[0-9a-f]{64}$/);
  assert.match(o.reportData as string, /^48656c6c6f2c20776f726c6421/);
  assert.equal(o.debug, false);
  assert.equal(r.out.trim().split("\n").length, 1);
});

test("attestation verify handles TDX quotes, SEV-SNP hex reports and missing collateral", async () => {
  const tdx = await mesatee(
    "attestation",
    "verify",
    T.vectorPath(V.tdx.quote),
    "--collateral",
    T.vectorPath(V.tdx.collateral),
    "--now",
    inWindow,
    "--json",
  );
  assert.equal(tdx.code, 0, tdx.out);
  assert.deepEqual(JSON.parse(tdx.out), {
    ok: true,
    tee: "tdx",
    tcbStatus: "UpToDate",
    advisoryIds: [],
    measurement: V.tdx.mrtd,
    signer: null,
    reportData: JSON.parse(tdx.out).reportData,
    debug: false,
  });
  const snp = await mesatee(
    "attestation",
    "verify",
    T.vectorPath(V.snp.reportHex),
    "--collateral",
    T.vectorPath(V.snp.vcek),
    "--now",
    "2025-01-01T00:00:00Z",
    "--json",
  );
  assert.equal(snp.code, 0, snp.out);
  assert.equal(JSON.parse(snp.out).tee, "sev-snp");
  assert.equal(JSON.parse(snp.out).tcbStatus, null);
  const offline = await mesatee("attestation", "verify", sgxQuote, "--now", inWindow, "--json");
  assert.equal(offline.code, 0);
  assert.equal(JSON.parse(offline.out).tcbStatus, null);
});

test("a tampered quote fails with ok false, the error code, and exit status 1", async () => {
  const raw = readFileSync(sgxQuote);
  raw[48 + 64]! ^= 1;
  const r = await mesatee(
    "attestation",
    "verify",
    file("tampered.bin", raw),
    "--collateral",
    sgxCollateral,
    "--now",
    inWindow,
    "--json",
  );
  assert.equal(r.code, 1);
  const o = JSON.parse(r.out) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(o.ok, false);
  assert.equal(o.error.code, "BAD_SIGNATURE");
  const human = await mesatee("attestation", "verify", file("tampered2.bin", raw), "--now", inWindow);
  assert.equal(human.code, 1);
  assert.match(human.err, /verification failed: BAD_SIGNATURE/);
});

test("collateral outside its window and a bad --now are refused", async () => {
  const late = await mesatee(
    "attestation",
    "verify",
    sgxQuote,
    "--collateral",
    sgxCollateral,
    "--now",
    "2025-08-01T00:00:00Z",
    "--json",
  );
  assert.equal(late.code, 1);
  assert.equal(JSON.parse(late.out).error.code, "COLLATERAL_EXPIRED");
  const bad = await mesatee("attestation", "verify", sgxQuote, "--now", "yesterday", "--json");
  assert.equal(bad.code, 1);
  assert.equal(JSON.parse(bad.out).error.code, "INVALID_ARGUMENT");
});

test("--policy applies the service rules: the real quote's TCB is refused by a default policy", async () => {
  const strict = file(
    "strict.json",
    JSON.stringify({ version: 1, services: { enclave: { tee: "sgx", mrenclave: [V.sgx.mrenclave] } } }),
  );
  const r = await mesatee(
    "attestation",
    "verify",
    sgxQuote,
    "--collateral",
    sgxCollateral,
    "--policy",
    strict,
    "--now",
    inWindow,
    "--json",
  );
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out).error.code, "TCB_REJECTED");
  const lenient = file(
    "lenient.json",
    JSON.stringify({
      version: 1,
      tcb: { accept: ["ConfigurationAndSWHardeningNeeded"] },
      services: { enclave: { tee: "sgx", mrenclave: [V.sgx.mrenclave] } },
    }),
  );
  const ok = await mesatee(
    "attestation",
    "verify",
    sgxQuote,
    "--collateral",
    sgxCollateral,
    "--policy",
    lenient,
    "--now",
    inWindow,
  );
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /verified: sgx\nmeasurement: 33d8736d/);
  const other = await mesatee(
    "attestation",
    "verify",
    sgxQuote,
    "--collateral",
    sgxCollateral,
    "--policy",
    lenient,
    "--report-data",
    "11".repeat(64),
    "--now",
    inWindow,
    "--json",
  );
  assert.equal(JSON.parse(other.out).error.code, "REPORT_DATA_MISMATCH");
});

test("RA-TLS certificates: the evidence is extracted and bound to the certificate's claims", async () => {
  const now = new Date(inWindow);
  const p = await T.TestDcapPlatform.create({ now, kind: "simulation" });
  const cert = await T.buildRaTlsTestCertificate({
    now,
    format: "sim-v1",
    makeEvidence: (reportData) => p.quote({ reportData }),
  });
  const pem = file("ratls.pem", cert.pem);
  const refused = await mesatee("attestation", "verify", pem, "--now", inWindow, "--json");
  assert.equal(JSON.parse(refused.out).error.code, "SIMULATION_REFUSED");
  const r = await mesatee(
    "attestation",
    "verify",
    file("ratls.der", cert.der),
    "--simulation-root",
    p.rootSha256,
    "--now",
    inWindow,
    "--json",
  );
  assert.equal(r.code, 0, r.out);
  const o = JSON.parse(r.out) as { tee: string; reportData: string; debug: boolean };
  assert.equal(o.tee, "simulation");
  assert.equal(o.reportData, cert.reportData.toString("hex"));
  assert.equal(o.debug, true);
});

test("policy sign and policy verify need threshold signatures from distinct auditors", async () => {
  const policy = file(
    "policy.json",
    JSON.stringify(
      { version: 1, services: { frontend: { tee: "sgx", mrenclave: ["ab".repeat(32)] } } },
      null,
      2,
    ),
  );
  const a = generateKeyPairSync("ed25519");
  const b = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const keyFile = (name: string, k: typeof a) => [
    file(`${name}.key.pem`, k.privateKey.export({ type: "pkcs8", format: "pem" }) as string),
    file(`${name}.pub.pem`, k.publicKey.export({ type: "spki", format: "pem" }) as string),
  ];
  const [aKey, aPub] = keyFile("a", a);
  const [bKey, bPub] = keyFile("b", b);
  const signA = await mesatee("policy", "sign", "--key", aKey!, policy);
  assert.equal(signA.code, 0, signA.err);
  assert.match(signA.out, /^[A-Za-z0-9+/]+=*\n$/);
  const sigA = file("a.sig", signA.out);
  const sigB = file("b.sig", (await mesatee("policy", "sign", "--key", bKey!, policy)).out);
  const ok = await mesatee("policy", "verify", policy, "--signature", sigA, sigB, "--auditor", aPub!, bPub!);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /policy verified: 2 auditor signature\(s\), threshold 2; services: frontend/);
  // Raw binary signatures (e.g. from openssl) are read too.
  const raw = file("a.raw.sig", sign(null, readFileSync(policy), a.privateKey));
  assert.equal(
    (
      await mesatee(
        "policy",
        "verify",
        policy,
        "--signature",
        raw,
        "--auditor",
        aPub!,
        bPub!,
        "--threshold",
        "1",
      )
    ).code,
    0,
  );
  const tooFew = await mesatee("policy", "verify", policy, "--signature", sigA, "--auditor", aPub!, bPub!);
  assert.equal(tooFew.code, 1);
  assert.match(tooFew.err, /POLICY_SIGNATURES: 1 distinct auditor signature\(s\), 2 required/);
  const twice = await mesatee(
    "policy",
    "verify",
    policy,
    "--signature",
    sigA,
    sigA,
    "--auditor",
    aPub!,
    bPub!,
  );
  assert.equal(twice.code, 1);
  assert.match(twice.err, /already signed/);
  const zero = await mesatee(
    "policy",
    "verify",
    policy,
    "--signature",
    sigA,
    "--auditor",
    aPub!,
    "--threshold",
    "0",
  );
  assert.equal(zero.code, 1);
});

test('Teaclave\'s `verify` checks enclave info signatures and prints "Verify successfully."', async () => {
  const info = Buffer.from(
    `[teaclave_frontend_service]\nmr_enclave = "${"aa".repeat(32)}"\nmr_signer = "${"bb".repeat(32)}"\n`,
  );
  const infoFile = file("enclave_info.toml", info);
  const auditors = [0, 1].map(() => generateKeyPairSync("rsa", { modulusLength: 2048 }));
  const pubs = auditors.map((k, i) =>
    file(`auditor${i}.public.pem`, k.publicKey.export({ type: "pkcs1", format: "pem" }) as string),
  );
  const sigs = auditors.map((k, i) => file(`auditor${i}.sign.sha256`, sign("sha256", info, k.privateKey)));
  const ok = await mesatee("verify", "-e", infoFile, "-p", ...pubs, "-s", ...sigs);
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out, "Verify successfully.\n");
  const dup = await mesatee(
    "verify",
    "--enclave-info",
    infoFile,
    "--public-keys",
    ...pubs,
    "--signatures",
    sigs[0]!,
    sigs[0]!,
  );
  assert.equal(dup.code, 1);
  assert.doesNotMatch(dup.out, /Verify successfully/);
  const forged = await mesatee(
    "verify",
    "-e",
    file("forged.toml", Buffer.from(info.toString().replace("aa", "ab"))),
    "-p",
    ...pubs,
    "-s",
    sigs[0]!,
  );
  assert.equal(forged.code, 1);
  const missing = await mesatee("verify", "-e", infoFile, "-p", ...pubs);
  assert.equal(missing.code, 1, "signatures are required");
});
