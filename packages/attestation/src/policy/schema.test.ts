import { test } from "node:test";
import assert from "node:assert/strict";
import { AttestationError } from "../errors.js";
import { AMD_ARK_SHA256, INTEL_SGX_ROOT_SHA256 } from "../verify/roots.js";
import { asPolicy, parsePolicy, POLICY_DEFAULTS } from "./schema.js";

const mrenclave = "ab".repeat(32);
const minimal = { version: 1, services: { frontend: { tee: "sgx", mrenclave: [mrenclave] } } };

function invalid(input: unknown, message: RegExp): void {
  assert.throws(
    () => parsePolicy(input as Record<string, unknown>),
    (e: unknown) => e instanceof AttestationError && e.code === "POLICY_INVALID" && message.test(e.message),
  );
}

test("a minimal policy is completed with safe defaults", () => {
  const p = parsePolicy(JSON.stringify(minimal));
  assert.equal(p.trustAnchors.intelSgxRootSha256, INTEL_SGX_ROOT_SHA256);
  assert.deepEqual(p.trustAnchors.amdArkSha256, AMD_ARK_SHA256);
  assert.equal(p.trustAnchors.simulationRootSha256, null);
  assert.equal(p.allowSimulation, false);
  assert.deepEqual(p.collateral, {
    required: true,
    maxAgeSeconds: POLICY_DEFAULTS.collateralMaxAgeSeconds,
    requireCrls: true,
    minTcbEvaluationDataNumber: null,
  });
  assert.deepEqual(p.tcb.accept, ["UpToDate", "SWHardeningNeeded"]);
  const s = p.services.frontend!;
  assert.equal(s.tee, "sgx");
  assert.equal(s.allowDebug, false);
  assert.ok(Object.isFrozen(p) && Object.isFrozen(p.services) && Object.isFrozen(s));
});

test("the spec's example policy shape parses, hex is normalised to lowercase", () => {
  const p = parsePolicy({
    version: 1,
    trustAnchors: {
      intelSgxRootSha256: INTEL_SGX_ROOT_SHA256.toUpperCase(),
      amdArkSha256: { Milan: AMD_ARK_SHA256.Milan },
      simulationRootSha256: null,
    },
    allowSimulation: false,
    collateral: { maxAgeSeconds: 2592000, requireCrls: true, minTcbEvaluationDataNumber: 17 },
    tcb: {
      accept: ["UpToDate", "SWHardeningNeeded"],
      acceptWithAdvisories: { ConfigurationNeeded: ["INTEL-SA-00615"] },
      gracePeriodDaysAfterTcbRecovery: 0,
    },
    services: {
      authentication: {
        tee: "sgx",
        mrenclave: [mrenclave.toUpperCase()],
        mrsigner: "cd".repeat(32),
        isvProdId: 1,
        minIsvSvn: 3,
        allowDebug: false,
        attributes: { mask: "02" + "00".repeat(15), value: "00".repeat(16) },
      },
      execution: {
        tee: "tdx",
        mrtd: ["11".repeat(48)],
        rtmr: { "0": ["22".repeat(48)], "1": ["33".repeat(48)] },
        mrConfigId: "00".repeat(48),
        tdAttributes: { mask: "01" + "00".repeat(7), value: "00".repeat(8) },
        requireSeptVeDisable: true,
        allowDebug: false,
        minTeeTcbSvn: "03" + "00".repeat(15),
      },
      scheduler: {
        tee: "sev-snp",
        measurement: ["44".repeat(48)],
        hostData: "55".repeat(32),
        policy: { debug: false, migrateMA: false, smt: "any" },
        vmpl: 0,
        minTcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 },
      },
    },
    auditors: { keys: [{ id: "auditor-a", alg: "ed25519", publicKey: "MCowBQYDK2VwAyEA" }], threshold: 1 },
  });
  assert.equal(
    p.services.authentication!.tee === "sgx" && p.services.authentication!.mrenclave![0],
    mrenclave,
  );
  assert.equal(p.tcb.acceptWithAdvisories.ConfigurationNeeded![0], "INTEL-SA-00615");
  assert.equal(p.collateral.minTcbEvaluationDataNumber, 17);
  const exec = p.services.execution!;
  assert.ok(exec.tee === "tdx" && exec.rtmr[1]![0] === "33".repeat(48));
});

test("unknown fields are refused at every level", () => {
  invalid({ ...minimal, extra: 1 }, /unknown field "extra"/);
  invalid({ ...minimal, tcb: { acept: ["UpToDate"] } }, /policy\.tcb: unknown field "acept"/);
  invalid(
    { version: 1, services: { frontend: { tee: "sgx", mrenclave: [mrenclave], minIsvSVN: 2 } } },
    /services\.frontend: unknown field "minIsvSVN"/,
  );
  invalid(
    { ...minimal, trustAnchors: { amdArkSha256: { Naples: "00".repeat(32) } } },
    /unknown field "Naples"/,
  );
});

test("malformed values are refused with the field's path", () => {
  invalid({ ...minimal, version: 2 }, /policy\.version/);
  invalid({ services: minimal.services }, /policy\.version/);
  invalid(
    { version: 1, services: { frontend: { tee: "sgx", mrenclave: ["abc"] } } },
    /mrenclave\[0\]: must be a hex string/,
  );
  invalid(
    { version: 1, services: { frontend: { tee: "sgx", mrenclave: ["ab".repeat(31)] } } },
    /must be 32 bytes/,
  );
  invalid({ version: 1, services: { frontend: { tee: "sgx", mrenclave: [mrenclave, mrenclave] } } }, /twice/);
  invalid({ version: 1, services: { frontend: { tee: "sgx" } } }, /needs mrenclave or mrsigner/);
  invalid({ version: 1, services: { frontend: { tee: "sgx", mrenclave: [] } } }, /at least 1 item/);
  invalid(
    { version: 1, services: { frontend: { tee: "sgx", mrenclave: [mrenclave], minIsvSvn: -1 } } },
    /minIsvSvn/,
  );
  invalid(
    { version: 1, services: { frontend: { tee: "arm-cca", mrenclave: [mrenclave] } } },
    /tee: must be one of/,
  );
  invalid({ version: 1, services: { "Bad Name": minimal.services.frontend } }, /not a valid service name/);
  invalid({ version: 1, services: {} }, /at least one service/);
  invalid({ ...minimal, tcb: { accept: ["Revoked"] } }, /accept\[0\]/);
  invalid({ ...minimal, tcb: { accept: ["upToDate"] } }, /accept\[0\]/);
  invalid({ ...minimal, collateral: { maxAgeSeconds: 0 } }, /maxAgeSeconds/);
  invalid(
    {
      version: 1,
      services: {
        x: {
          tee: "sgx",
          mrsigner: [mrenclave],
          attributes: { mask: "00".repeat(16), value: "01" + "00".repeat(15) },
        },
      },
    },
    /outside the mask/,
  );
  invalid(
    { version: 1, services: { vm: { tee: "sev-snp", measurement: ["00".repeat(48)], vmpl: 4 } } },
    /vmpl/,
  );
  invalid(
    {
      version: 1,
      services: {
        vm: { tee: "sev-snp", measurement: ["00".repeat(48)], allowDebug: false, policy: { debug: true } },
      },
    },
    /contradicts/,
  );
  invalid(
    { ...minimal, auditors: { keys: [{ id: "a", alg: "ed25519", publicKey: "x" }], threshold: 2 } },
    /threshold/,
  );
  invalid({ ...minimal, auditors: { keys: [{ id: "a", alg: "rsa", publicKey: "x" }], threshold: 1 } }, /alg/);
  invalid("{ not json", /not valid JSON/);
  invalid([], /must be an object/);
});

test("simulation needs a pinned root, and debug is only for policies that allow simulation", () => {
  invalid({ ...minimal, allowSimulation: true }, /simulationRootSha256/);
  invalid(
    { version: 1, services: { frontend: { tee: "sgx", mrenclave: [mrenclave], allowDebug: true } } },
    /allowDebug: is only permitted in a development policy/,
  );
  invalid(
    {
      version: 1,
      services: { vm: { tee: "sev-snp", measurement: ["00".repeat(48)], policy: { debug: true } } },
    },
    /allowDebug/,
  );
  const dev = parsePolicy({
    version: 1,
    allowSimulation: true,
    trustAnchors: { simulationRootSha256: "ef".repeat(32) },
    services: { frontend: { tee: "sgx", mrenclave: [mrenclave], allowDebug: true } },
  });
  assert.equal(dev.services.frontend!.allowDebug, true);
});

test("only policies that went through parsePolicy are used without validation", () => {
  const parsed = parsePolicy(minimal);
  assert.equal(asPolicy(parsed), parsed);
  // A hand-made object that looks parsed is validated (and here refused).
  const forged = Object.freeze({ ...parsed, allowSimulation: true });
  assert.throws(
    () => asPolicy(forged as never),
    (e: unknown) => e instanceof AttestationError && e.code === "POLICY_INVALID",
  );
});
