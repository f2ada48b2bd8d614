import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AttestationError, type AttestationErrorCode } from "../errors.js";
import { parsePolicy } from "../policy/schema.js";
import { DirectoryCollateralStore, staticCollateral } from "./collateral-store.js";
import { verifyEvidence, type VerifyEvidenceOptions } from "./evidence.js";
import { parseQuote } from "./quote.js";
import { readVector, snpReport, VECTORS } from "./testing/vectors.js";
import { TestDcapPlatform } from "./testing/platform.js";
import { TestSnpPlatform } from "./testing/snp-builder.js";

const sgxQuote = readVector(VECTORS.sgx.quote);
const sgxCollateral = readVector(VECTORS.sgx.collateral).toString("utf8");
const tdxQuote = readVector(VECTORS.tdx.quote);
const tdxCollateral = readVector(VECTORS.tdx.collateral).toString("utf8");
const sgxReportData = Buffer.from(parseQuote(sgxQuote).reportData);
const tdxReportData = Buffer.from(parseQuote(tdxQuote).reportData);

async function refusedWith(
  code: AttestationErrorCode,
  promise: Promise<unknown>,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof AttestationError, String(e));
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const sgxPolicy = (extra: Record<string, unknown> = {}, service: Record<string, unknown> = {}) =>
  parsePolicy({
    version: 1,
    tcb: { accept: ["UpToDate", "SWHardeningNeeded", "ConfigurationAndSWHardeningNeeded"] },
    services: { enclave: { tee: "sgx", mrenclave: [VECTORS.sgx.mrenclave], ...service } },
    ...extra,
  });

function sgxOptions(over: Partial<VerifyEvidenceOptions> = {}): VerifyEvidenceOptions {
  return {
    expectedReportData: sgxReportData,
    now: VECTORS.sgx.now,
    policy: sgxPolicy(),
    service: "enclave",
    collateral: { dcap: sgxCollateral },
    ...over,
  };
}

test("the real SGX quote is accepted under a policy listing its MRENCLAVE and TCB status", async () => {
  const v = await verifyEvidence({ format: "sgx-dcap-quote", raw: sgxQuote }, sgxOptions());
  assert.equal(v.tee, "sgx");
  assert.equal(v.measurement, VECTORS.sgx.mrenclave);
  assert.equal(v.signer, v.sgx?.mrsigner);
  assert.equal(v.tcbStatus, "ConfigurationAndSWHardeningNeeded");
  assert.deepEqual([...v.advisoryIds].sort(), VECTORS.sgx.advisoryIds);
  assert.equal(v.reportData, sgxReportData.toString("hex"));
  assert.equal(v.debug, false);
  assert.equal(v.prodId, 0);
  assert.equal(v.pck?.fmspc, "00a067110000");
  assert.equal(v.rootSha256, "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3");
  assert.deepEqual(JSON.parse(JSON.stringify(v)), v, "the result is plain JSON");
  // Raw bytes and hex text are detected.
  assert.equal((await verifyEvidence(sgxQuote, sgxOptions())).tee, "sgx");
  assert.equal((await verifyEvidence(Buffer.from(sgxQuote.toString("hex")), sgxOptions())).tee, "sgx");
});

test("the real TDX quote is accepted under a policy listing its MRTD", async () => {
  const policy = parsePolicy({ version: 1, services: { td: { tee: "tdx", mrtd: [VECTORS.tdx.mrtd] } } });
  const v = await verifyEvidence(
    { format: "tdx-dcap-quote", raw: tdxQuote },
    {
      expectedReportData: tdxReportData,
      now: VECTORS.tdx.now,
      policy,
      service: "td",
      collateral: { dcap: tdxCollateral },
    },
  );
  assert.equal(v.tee, "tdx");
  assert.equal(v.measurement, VECTORS.tdx.mrtd);
  assert.equal(v.signer, null);
  assert.equal(v.tcbStatus, "UpToDate");
  assert.equal(v.svn, 6);
});

test("an outdated TCB is refused by a policy that does not accept its status or advisories", async () => {
  await refusedWith(
    "TCB_REJECTED",
    verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({ tcb: {} }) })),
    /ConfigurationAndSWHardeningNeeded/,
  );
  const both = {
    acceptWithAdvisories: { ConfigurationAndSWHardeningNeeded: ["INTEL-SA-00289", "INTEL-SA-00615"] },
  };
  assert.equal((await verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({ tcb: both }) }))).tee, "sgx");
  const one = { acceptWithAdvisories: { ConfigurationAndSWHardeningNeeded: ["INTEL-SA-00615"] } };
  await refusedWith(
    "TCB_REJECTED",
    verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({ tcb: one }) })),
  );
  const denied = { accept: ["ConfigurationAndSWHardeningNeeded"], rejectAdvisories: ["INTEL-SA-00289"] };
  await refusedWith(
    "TCB_REJECTED",
    verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({ tcb: denied }) })),
    /INTEL-SA-00289/,
  );
});

test("report data that differs from the expected value is refused", async () => {
  const other = Buffer.from(sgxReportData);
  other[63]! ^= 1;
  await refusedWith(
    "REPORT_DATA_MISMATCH",
    verifyEvidence(sgxQuote, sgxOptions({ expectedReportData: other })),
  );
  await refusedWith(
    "EMPTY_REPORT_DATA",
    verifyEvidence(sgxQuote, sgxOptions({ expectedReportData: Buffer.alloc(64) })),
  );
  await refusedWith(
    "INVALID_ARGUMENT",
    verifyEvidence(sgxQuote, sgxOptions({ expectedReportData: sgxReportData.subarray(0, 32) })),
  );
});

test("evidence carrying empty report data is refused even when that is what the caller expects", async () => {
  const now = new Date("2025-07-01T00:00:00Z");
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const policy = parsePolicy({
    version: 1,
    allowSimulation: true,
    trustAnchors: { simulationRootSha256: p.rootSha256 },
    services: { s: { tee: "sgx", mrsigner: [parseQuote(p.quote()).sgx!.mrsigner] } },
  });
  const zero = p.quote({ reportData: Buffer.alloc(64) });
  await refusedWith(
    "EMPTY_REPORT_DATA",
    verifyEvidence(zero, { expectedReportData: Buffer.alloc(64, 1), now, policy, service: "s" }),
    /evidence carries/,
  );
});

test("simulation evidence is refused by a production policy and accepted only with allowSimulation and its pinned root", async () => {
  const now = new Date("2025-07-01T00:00:00Z");
  const reportData = Buffer.alloc(64, 0x33);
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const quote = p.quote({ reportData });
  const mrenclave = parseQuote(quote).sgx!.mrenclave;
  const services = { svc: { tee: "sgx", mrenclave: [mrenclave] } };
  const options = { expectedReportData: reportData, now, service: "svc" };
  const production = parsePolicy({ version: 1, services });
  await refusedWith(
    "SIMULATION_REFUSED",
    verifyEvidence({ format: "sim-v1", raw: quote }, { ...options, policy: production }),
  );
  // Pinned but not allowed: still refused.
  const pinnedOnly = parsePolicy({
    version: 1,
    trustAnchors: { simulationRootSha256: p.rootSha256 },
    services,
  });
  await refusedWith("SIMULATION_REFUSED", verifyEvidence(quote, { ...options, policy: pinnedOnly }));
  // Allowed, but another deployment's root is pinned.
  const other = await TestDcapPlatform.create({ now, kind: "simulation" });
  const wrongRoot = parsePolicy({
    version: 1,
    allowSimulation: true,
    trustAnchors: { simulationRootSha256: other.rootSha256 },
    services,
  });
  await refusedWith("SIMULATION_REFUSED", verifyEvidence(quote, { ...options, policy: wrongRoot }));
  const dev = parsePolicy({
    version: 1,
    allowSimulation: true,
    trustAnchors: { simulationRootSha256: p.rootSha256 },
    services,
  });
  const v = await verifyEvidence({ format: "sim-v1", raw: quote }, { ...options, policy: dev });
  assert.equal(v.tee, "simulation");
  assert.equal(v.tcbStatus, null);
  assert.equal(v.debug, true);
  assert.equal(v.rootSha256, p.rootSha256);
  // allowSimulation without a pinned root is not a valid policy.
  assert.throws(
    () => parsePolicy({ version: 1, allowSimulation: true, services }),
    (e: unknown) => e instanceof AttestationError && e.code === "POLICY_INVALID",
  );
});

test("a debug enclave on a trusted platform is refused", async () => {
  const now = new Date("2025-07-01T00:00:00Z");
  const reportData = Buffer.alloc(64, 0x44);
  const p = await TestDcapPlatform.create({ now, kind: "intel-like" });
  const collateral = await p.collateral({
    tee: "sgx",
    issueDate: new Date("2025-06-20T00:00:00Z"),
    nextUpdate: new Date("2025-07-20T00:00:00Z"),
  });
  const quote = p.quote({ reportData, sgx: { debug: true } });
  const policy = parsePolicy({
    version: 1,
    trustAnchors: { intelSgxRootSha256: p.rootSha256 },
    services: { e: { tee: "sgx", mrenclave: [parseQuote(quote).sgx!.mrenclave] } },
  });
  await refusedWith(
    "DEBUG_REFUSED",
    verifyEvidence(quote, {
      expectedReportData: reportData,
      now,
      policy,
      service: "e",
      collateral: { dcap: collateral },
    }),
  );
  const release = p.quote({ reportData, sgx: { debug: false } });
  const ok = await verifyEvidence(release, {
    expectedReportData: reportData,
    now,
    policy,
    service: "e",
    collateral: { dcap: collateral },
  });
  assert.equal(ok.debug, false);
  assert.equal(ok.tcbStatus, "UpToDate");
  // A production policy cannot even say allowDebug.
  assert.throws(
    () =>
      parsePolicy({
        version: 1,
        services: { e: { tee: "sgx", mrenclave: ["00".repeat(32)], allowDebug: true } },
      }),
    (e: unknown) =>
      e instanceof AttestationError && e.code === "POLICY_INVALID" && /allowDebug/.test(e.message),
  );
});

test("an unlisted measurement, a low ISVSVN or a foreign product id is refused; several measurements are allowed", async () => {
  await refusedWith(
    "MEASUREMENT_NOT_ALLOWED",
    verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({}, { mrenclave: ["11".repeat(32)] }) })),
  );
  assert.equal(
    (
      await verifyEvidence(
        sgxQuote,
        sgxOptions({ policy: sgxPolicy({}, { mrenclave: ["11".repeat(32), VECTORS.sgx.mrenclave] }) }),
      )
    ).tee,
    "sgx",
  );
  await refusedWith(
    "MEASUREMENT_NOT_ALLOWED",
    verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({}, { mrsigner: ["22".repeat(32)] }) })),
    /MRSIGNER/,
  );
  await refusedWith(
    "SVN_TOO_LOW",
    verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({}, { minIsvSvn: 1 }) })),
  );
  await refusedWith(
    "MEASUREMENT_NOT_ALLOWED",
    verifyEvidence(sgxQuote, sgxOptions({ policy: sgxPolicy({}, { isvProdId: 7 }) })),
    /ISVPRODID/,
  );
});

test("the service must be in the policy and of the evidence's TEE kind", async () => {
  await refusedWith("UNKNOWN_SERVICE", verifyEvidence(sgxQuote, sgxOptions({ service: "nobody" })));
  await refusedWith("UNKNOWN_SERVICE", verifyEvidence(sgxQuote, sgxOptions({ service: "__proto__" })));
  const tdxOnly = parsePolicy({
    version: 1,
    services: { enclave: { tee: "tdx", mrtd: [VECTORS.tdx.mrtd] } },
  });
  await refusedWith(
    "POLICY_REJECTED",
    verifyEvidence(sgxQuote, sgxOptions({ policy: tdxOnly })),
    /expects tdx/,
  );
});

test("SGX/TDX evidence without collateral is refused unless the policy waives it", async () => {
  await refusedWith("COLLATERAL_MISSING", verifyEvidence(sgxQuote, sgxOptions({ collateral: null })));
  const waived = sgxPolicy({ collateral: { required: false } });
  const v = await verifyEvidence(sgxQuote, sgxOptions({ collateral: null, policy: waived }));
  assert.equal(v.tcbStatus, null);
  assert.deepEqual(v.advisoryIds, []);
});

test("collateral is looked up per platform in a store, and the policy's freshness rules apply", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mesatee-collateral-"));
  try {
    const store = new DirectoryCollateralStore(dir);
    await refusedWith("COLLATERAL_MISSING", verifyEvidence(sgxQuote, sgxOptions({ collateral: store })));
    writeFileSync(
      join(
        dir,
        DirectoryCollateralStore.dcapFileName({ tee: "sgx", fmspc: "00a067110000", ca: "processor" }),
      ),
      sgxCollateral,
    );
    assert.equal(
      (await verifyEvidence(sgxQuote, sgxOptions({ collateral: store }))).tcbStatus,
      "ConfigurationAndSWHardeningNeeded",
    );
    const fresh = sgxPolicy({ collateral: { maxAgeSeconds: 3600 } });
    await refusedWith(
      "COLLATERAL_EXPIRED",
      verifyEvidence(sgxQuote, sgxOptions({ collateral: store, policy: fresh })),
    );
    await refusedWith(
      "COLLATERAL_EXPIRED",
      verifyEvidence(
        sgxQuote,
        sgxOptions({
          collateral: staticCollateral({ dcap: sgxCollateral }),
          now: new Date("2025-08-01T00:00:00Z"),
        }),
      ),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an OutOfDate platform is accepted only within the policy's grace period after the TCB recovery", async () => {
  const now = new Date("2025-07-01T00:00:00Z");
  const reportData = Buffer.alloc(64, 0x55);
  const p = await TestDcapPlatform.create({ now, kind: "intel-like" });
  const comps = p.tcb.components;
  const collateral = await p.collateral({
    tee: "sgx",
    issueDate: new Date("2025-06-20T00:00:00Z"),
    nextUpdate: new Date("2025-07-20T00:00:00Z"),
    tcbLevels: [
      {
        tcb: { sgxtcbcomponents: comps.map((c) => ({ svn: c + 1 })), pcesvn: p.tcb.pceSvn },
        tcbDate: "2025-06-15T00:00:00Z",
        tcbStatus: "UpToDate",
      },
      {
        tcb: { sgxtcbcomponents: comps.map((svn) => ({ svn })), pcesvn: p.tcb.pceSvn },
        tcbDate: "2024-01-01T00:00:00Z",
        tcbStatus: "OutOfDate",
        advisoryIDs: ["INTEL-SA-X"],
      },
    ],
  });
  const quote = p.quote({ reportData, sgx: { debug: false } });
  const policy = (grace: number) =>
    parsePolicy({
      version: 1,
      trustAnchors: { intelSgxRootSha256: p.rootSha256 },
      tcb: { gracePeriodDaysAfterTcbRecovery: grace },
      services: { e: { tee: "sgx", mrenclave: [parseQuote(quote).sgx!.mrenclave] } },
    });
  const options = { expectedReportData: reportData, now, service: "e", collateral: { dcap: collateral } };
  await refusedWith("TCB_REJECTED", verifyEvidence(quote, { ...options, policy: policy(0) }), /OutOfDate/);
  assert.equal((await verifyEvidence(quote, { ...options, policy: policy(30) })).tcbStatus, "OutOfDate");
  await refusedWith("TCB_REJECTED", verifyEvidence(quote, { ...options, policy: policy(10) }));
});

test("TDX policy rules: MRTD, RTMRs, TD attributes and minimum TEE_TCB_SVN", async () => {
  const base = { tee: "tdx", mrtd: [VECTORS.tdx.mrtd] };
  const run = (service: Record<string, unknown>) =>
    verifyEvidence(tdxQuote, {
      expectedReportData: tdxReportData,
      now: VECTORS.tdx.now,
      policy: parsePolicy({ version: 1, services: { td: { ...base, ...service } } }),
      service: "td",
      collateral: { dcap: tdxCollateral },
    });
  const td = parseQuote(tdxQuote).td!;
  assert.equal((await run({ rtmr: { "0": [td.rtmr[0]], "3": [td.rtmr[3]] } })).tee, "tdx");
  await refusedWith("MEASUREMENT_NOT_ALLOWED", run({ mrtd: ["00".repeat(48)] }), /MRTD/);
  await refusedWith("MEASUREMENT_NOT_ALLOWED", run({ rtmr: { "2": ["00".repeat(48)] } }), /RTMR2/);
  await refusedWith(
    "POLICY_REJECTED",
    run({ tdAttributes: { mask: "0000001000000000", value: "0000000000000000" } }),
    /TDATTRIBUTES/,
  );
  await refusedWith(
    "SVN_TOO_LOW",
    run({ minTeeTcbSvn: "07000000000000000000000000000000" }),
    /TEE_TCB_SVN\[0\]/,
  );
  assert.equal((await run({ minTeeTcbSvn: td.teeTcbSvn })).tee, "tdx");
});

test("SEV-SNP policy rules: measurement, VMPL, guest policy, host data and minimum TCB", async () => {
  const now = new Date("2025-07-01T00:00:00Z");
  const reportData = Buffer.alloc(64, 0x66);
  const p = await TestSnpPlatform.create({ now });
  const measurement = Buffer.alloc(48, 0x77);
  const hostData = Buffer.alloc(32, 0x88);
  const policy = (service: Record<string, unknown> = {}) =>
    parsePolicy({
      version: 1,
      trustAnchors: { amdArkSha256: { Milan: p.arkSha256 } },
      collateral: { requireCrls: false },
      services: { vm: { tee: "sev-snp", measurement: [measurement.toString("hex")], ...service } },
    });
  const run = (fields: Parameters<typeof p.report>[0], service?: Record<string, unknown>) =>
    verifyEvidence(
      {
        format: "snp-report",
        raw: p.report({ reportData, measurement, hostData, ...fields }),
        aux: p.certTable(),
      },
      { expectedReportData: reportData, now, policy: policy(service), service: "vm" },
    );
  const v = await run({});
  assert.equal(v.tee, "sev-snp");
  assert.equal(v.measurement, measurement.toString("hex"));
  assert.equal(v.tcbStatus, null);
  await refusedWith("MEASUREMENT_NOT_ALLOWED", run({ measurement: Buffer.alloc(48, 1) }));
  await refusedWith("POLICY_REJECTED", run({ vmpl: 1 }), /VMPL/);
  await refusedWith("DEBUG_REFUSED", run({ policy: 0x30000n | (1n << 19n) }));
  await refusedWith("POLICY_REJECTED", run({ policy: 0x30000n | (1n << 18n) }), /migration agent/);
  await refusedWith("POLICY_REJECTED", run({}, { policy: { smt: "forbidden" } }), /SMT/);
  await refusedWith("MEASUREMENT_NOT_ALLOWED", run({}, { hostData: "00".repeat(32) }), /HOST_DATA/);
  await refusedWith(
    "SVN_TOO_LOW",
    run({}, { minTcb: { bootloader: 3, tee: 0, snp: 9, microcode: 115 } }),
    /SNP SPL/,
  );
  await refusedWith("SVN_TOO_LOW", run({ guestSvn: 1 }, { minGuestSvn: 2 }), /GUEST_SVN/);
  // CRLs are required by default, as for Intel collateral.
  const strict = parsePolicy({
    version: 1,
    trustAnchors: { amdArkSha256: { Milan: p.arkSha256 } },
    services: { vm: { tee: "sev-snp", measurement: [measurement.toString("hex")] } },
  });
  await refusedWith(
    "COLLATERAL_MISSING",
    verifyEvidence(
      { format: "snp-report", raw: p.report({ reportData, measurement }), aux: p.certTable() },
      { expectedReportData: reportData, now, policy: strict, service: "vm" },
    ),
  );
});

test("the real SEV-SNP report is accepted under a policy listing its measurement", async () => {
  const report = snpReport();
  const policy = parsePolicy({
    version: 1,
    collateral: { requireCrls: false },
    services: {
      vm: {
        tee: "sev-snp",
        measurement: [
          "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f",
        ],
      },
    },
  });
  const v = await verifyEvidence(
    { format: "snp-report", raw: report },
    {
      expectedReportData: report.subarray(0x50, 0x90),
      now: VECTORS.snp.now,
      policy,
      service: "vm",
      collateral: { snp: { vcek: readVector(VECTORS.snp.vcek) } },
    },
  );
  assert.equal(v.snp?.product, "Milan");
  assert.equal(v.rootSha256, "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd");
});
