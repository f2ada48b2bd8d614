import { test } from "node:test";
import assert from "node:assert/strict";
import { AttestationError } from "../errors.js";
import { parseQeIdentity, parseTcbInfo } from "./collateral.js";
import { evaluateTcb, type TcbInput } from "./tcb.js";

// TCB evaluation follows Intel's QVL (TcbLevelCheck, TdxModuleCheck, TDRelaunchCheck); each test
// states one of its rules on hand-made TCB info.

interface Level {
  sgx: number[];
  pce?: number;
  tdx?: number[];
  status: string;
  advisories?: string[];
  date?: string;
}

const pad = (v: number[]): number[] => [...v, ...new Array(16 - v.length).fill(0)];

function tcbInfo(
  levels: Level[],
  extra: Record<string, unknown> = {},
  tdx = false,
): ReturnType<typeof parseTcbInfo> {
  return parseTcbInfo(
    JSON.stringify({
      id: tdx ? "TDX" : "SGX",
      version: 3,
      issueDate: "2025-06-01T00:00:00Z",
      nextUpdate: "2025-07-01T00:00:00Z",
      fmspc: "00906ED50000",
      pceId: "0000",
      tcbType: 0,
      tcbEvaluationDataNumber: 17,
      ...(tdx
        ? {
            tdxModule: {
              mrsigner: "00".repeat(48),
              attributes: "0000000000000000",
              attributesMask: "FFFFFFFFFFFFFFFF",
            },
          }
        : {}),
      ...extra,
      tcbLevels: levels.map((l) => ({
        tcb: {
          sgxtcbcomponents: pad(l.sgx).map((svn) => ({ svn })),
          pcesvn: l.pce ?? 10,
          ...(tdx ? { tdxtcbcomponents: pad(l.tdx ?? []).map((svn) => ({ svn })) } : {}),
        },
        tcbDate: l.date ?? "2024-01-01T00:00:00Z",
        tcbStatus: l.status,
        ...(l.advisories ? { advisoryIDs: l.advisories } : {}),
      })),
    }),
  );
}

function qe(status = "UpToDate", advisories: string[] = []): ReturnType<typeof parseQeIdentity> {
  return parseQeIdentity(
    JSON.stringify({
      id: "QE",
      version: 2,
      issueDate: "2025-06-01T00:00:00Z",
      nextUpdate: "2025-07-01T00:00:00Z",
      tcbEvaluationDataNumber: 17,
      miscselect: "00000000",
      miscselectMask: "FFFFFFFF",
      attributes: "11000000000000000000000000000000",
      attributesMask: "FBFFFFFFFFFFFFFF0000000000000000",
      mrsigner: "8C4F5775D796503E96137F77C68A829A0056AC8DED70140B081B094490C57BFF",
      isvprodid: 1,
      tcbLevels: [
        {
          tcb: { isvsvn: 8 },
          tcbDate: "2024-01-01T00:00:00Z",
          tcbStatus: status,
          ...(advisories.length ? { advisoryIDs: advisories } : {}),
        },
        { tcb: { isvsvn: 2 }, tcbDate: "2020-01-01T00:00:00Z", tcbStatus: "OutOfDate" },
      ],
    }),
  );
}

function input(
  info: ReturnType<typeof parseTcbInfo>,
  pck: number[],
  extra: Partial<TcbInput> = {},
): TcbInput {
  return {
    tcbInfo: info,
    pck: { tcbComponents: pad(pck), pceSvn: 10 },
    qeIdentity: qe(),
    qeIsvSvn: 8,
    td: null,
    ...extra,
  };
}

function td(
  teeTcbSvn: number[],
  teeTcbSvn2: number[] | null = null,
  quoteVersion = 4,
): NonNullable<TcbInput["td"]> {
  return {
    quoteVersion,
    teeTcbSvn: Uint8Array.from(pad(teeTcbSvn)),
    teeTcbSvn2: teeTcbSvn2 ? Uint8Array.from(pad(teeTcbSvn2)) : null,
    mrSignerSeam: "00".repeat(48),
    seamAttributes: "0000000000000000",
  };
}

test("SGX: the first level with every component and PCESVN at or below the platform's decides", () => {
  const info = tcbInfo([
    { sgx: [5, 5, 5], status: "UpToDate" },
    { sgx: [4, 4, 4], status: "SWHardeningNeeded", advisories: ["INTEL-SA-1"] },
    { sgx: [1, 1, 1], pce: 5, status: "OutOfDate", advisories: ["INTEL-SA-2"] },
  ]);
  assert.equal(evaluateTcb(input(info, [5, 5, 5])).status, "UpToDate");
  // One component lower than the top level is enough to fall to the next one.
  const r = evaluateTcb(input(info, [9, 9, 4]));
  assert.equal(r.status, "SWHardeningNeeded");
  assert.deepEqual(r.advisoryIds, ["INTEL-SA-1"]);
  assert.equal(evaluateTcb(input(info, [4, 9, 3])).status, "OutOfDate");
  // PCESVN is compared too: 9 is below the upper levels' 10.
  assert.equal(
    evaluateTcb({ ...input(info, [5, 5, 5]), pck: { tcbComponents: pad([5, 5, 5]), pceSvn: 9 } }).status,
    "OutOfDate",
  );
});

test("SGX: a platform below every level is TCB_NOT_SUPPORTED, never a default status", () => {
  const info = tcbInfo([{ sgx: [3, 3, 2, 2, 4, 1, 0, 5], status: "UpToDate" }]);
  assert.throws(
    () => evaluateTcb(input(info, [3, 3, 2, 2, 4, 1, 0, 4])),
    (e: unknown) => e instanceof AttestationError && e.code === "TCB_NOT_SUPPORTED",
  );
});

test("levels are ordered by Intel's comparator whatever order the TCB info lists them in", () => {
  const info = tcbInfo([
    { sgx: [1, 1], status: "OutOfDate" },
    { sgx: [3, 3], status: "UpToDate", date: "2024-06-01T00:00:00Z" },
    { sgx: [2, 2], status: "SWHardeningNeeded" },
  ]);
  const r = evaluateTcb(input(info, [3, 3]));
  assert.equal(r.status, "UpToDate");
  assert.equal(r.latestTcbDate, "2024-06-01T00:00:00.000Z");
  assert.equal(evaluateTcb(input(info, [2, 9])).status, "SWHardeningNeeded");
});

test("an out-of-date QE converges the platform status as Intel's table says", () => {
  const cases: [string, string][] = [
    ["UpToDate", "OutOfDate"],
    ["SWHardeningNeeded", "OutOfDate"],
    ["ConfigurationNeeded", "OutOfDateConfigurationNeeded"],
    ["ConfigurationAndSWHardeningNeeded", "OutOfDateConfigurationNeeded"],
    ["OutOfDate", "OutOfDate"],
  ];
  for (const [platform, expected] of cases) {
    const info = tcbInfo([{ sgx: [1], status: platform }]);
    assert.equal(evaluateTcb({ ...input(info, [1]), qeIsvSvn: 5 }).status, expected, platform);
  }
  const info = tcbInfo([{ sgx: [1], status: "UpToDate" }]);
  assert.equal(evaluateTcb({ ...input(info, [1]), qeIdentity: qe("Revoked") }).status, "Revoked");
  assert.throws(
    () => evaluateTcb({ ...input(info, [1]), qeIsvSvn: 1 }),
    (e: unknown) => e instanceof AttestationError && e.code === "TCB_NOT_SUPPORTED",
  );
});

test("advisories are the union of the platform, TDX module and QE levels that decided", () => {
  const info = tcbInfo([{ sgx: [1], status: "SWHardeningNeeded", advisories: ["INTEL-SA-A", "INTEL-SA-B"] }]);
  const r = evaluateTcb({ ...input(info, [1]), qeIdentity: qe("UpToDate", ["INTEL-SA-B", "INTEL-SA-Q"]) });
  assert.deepEqual(r.advisoryIds, ["INTEL-SA-A", "INTEL-SA-B", "INTEL-SA-Q"]);
});

test("TDX: with a TDX module identity in use, TDX components 0 and 1 are left to the module check", () => {
  const module = {
    tdxModuleIdentities: [
      {
        id: "TDX_03",
        mrsigner: "00".repeat(48),
        attributes: "0000000000000000",
        attributesMask: "FFFFFFFFFFFFFFFF",
        tcbLevels: [
          { tcb: { isvsvn: 5 }, tcbDate: "2024-01-01T00:00:00Z", tcbStatus: "UpToDate" },
          {
            tcb: { isvsvn: 2 },
            tcbDate: "2023-01-01T00:00:00Z",
            tcbStatus: "OutOfDate",
            advisoryIDs: ["INTEL-SA-M"],
          },
        ],
      },
    ],
  };
  const info = tcbInfo(
    [
      { sgx: [2], tdx: [9, 9, 3], status: "UpToDate" },
      { sgx: [2], tdx: [0, 0, 1], status: "OutOfDate", advisories: ["INTEL-SA-T"] },
    ],
    module,
    true,
  );
  // TEE_TCB_SVN = [6, 3, 3]: components 0-1 (6, 3) are below the top level's (9, 9) but are skipped.
  assert.equal(evaluateTcb(input(info, [2], { td: td([6, 3, 3]) })).status, "UpToDate");
  // Module ISVSVN 4 matches the module's OutOfDate level: UpToDate converges to OutOfDate.
  const r = evaluateTcb(input(info, [2], { td: td([4, 3, 3]) }));
  assert.equal(r.status, "OutOfDate");
  assert.deepEqual(r.advisoryIds, ["INTEL-SA-M"]);
  // Without a module identity (TEE_TCB_SVN[1] = 0) every component counts.
  const plain = tcbInfo(
    [
      { sgx: [2], tdx: [9, 0, 3], status: "UpToDate" },
      { sgx: [2], tdx: [0, 0, 0], status: "OutOfDate" },
    ],
    {},
    true,
  );
  assert.equal(evaluateTcb(input(plain, [2], { td: td([6, 0, 3]) })).status, "OutOfDate");
  assert.equal(evaluateTcb(input(plain, [2], { td: td([9, 0, 3]) })).status, "UpToDate");
});

test("TDX: the SGX match and the TDX match may be different levels", () => {
  const info = tcbInfo(
    [
      { sgx: [5], tdx: [0, 0, 9], status: "UpToDate" },
      { sgx: [5], tdx: [0, 0, 1], status: "ConfigurationNeeded", advisories: ["INTEL-SA-C"] },
    ],
    {},
    true,
  );
  const r = evaluateTcb(input(info, [5], { td: td([0, 0, 2]) }));
  assert.equal(r.status, "ConfigurationNeeded");
  assert.deepEqual(r.advisoryIds, ["INTEL-SA-C"]);
  assert.throws(
    () => evaluateTcb(input(info, [5], { td: td([0, 0, 0]) })),
    (e: unknown) => e instanceof AttestationError && e.code === "TCB_NOT_SUPPORTED",
  );
});

test("TDX: an unknown TDX module version is TDX_MODULE_MISMATCH and a revoked module revokes", () => {
  const identity = (status: string) => ({
    tdxModuleIdentities: [
      {
        id: "TDX_01",
        mrsigner: "00".repeat(48),
        attributes: "0000000000000000",
        attributesMask: "FFFFFFFFFFFFFFFF",
        tcbLevels: [{ tcb: { isvsvn: 1 }, tcbDate: "2024-01-01T00:00:00Z", tcbStatus: status }],
      },
    ],
  });
  const info = tcbInfo([{ sgx: [1], tdx: [], status: "ConfigurationNeeded" }], identity("UpToDate"), true);
  assert.throws(
    () => evaluateTcb(input(info, [1], { td: td([1, 2]) })),
    (e: unknown) => e instanceof AttestationError && e.code === "TDX_MODULE_MISMATCH",
  );
  const revoked = tcbInfo([{ sgx: [1], tdx: [], status: "UpToDate" }], identity("Revoked"), true);
  assert.equal(evaluateTcb(input(revoked, [1], { td: td([1, 1]) })).status, "Revoked");
  const outdated = tcbInfo(
    [{ sgx: [1], tdx: [], status: "ConfigurationNeeded" }],
    identity("OutOfDate"),
    true,
  );
  assert.equal(evaluateTcb(input(outdated, [1], { td: td([1, 1]) })).status, "OutOfDateConfigurationNeeded");
});

test("TD 1.5: an out-of-date TD on an up-to-date platform only needs a relaunch", () => {
  const extra = {
    tdxModuleIdentities: [
      {
        id: "TDX_01",
        mrsigner: "00".repeat(48),
        attributes: "0000000000000000",
        attributesMask: "FFFFFFFFFFFFFFFF",
        tcbLevels: [
          { tcb: { isvsvn: 6 }, tcbDate: "2024-01-01T00:00:00Z", tcbStatus: "UpToDate" },
          { tcb: { isvsvn: 2 }, tcbDate: "2023-01-01T00:00:00Z", tcbStatus: "OutOfDate" },
        ],
      },
    ],
  };
  const levels = (sgxStatus: string): Level[] => [{ sgx: [1], tdx: [0, 0, 4], status: sgxStatus }];
  const info = tcbInfo(levels("UpToDate"), extra, true);
  // Running module ISVSVN 3 (OutOfDate), but TEE_TCB_SVN2 shows the platform already loaded 6.
  assert.equal(
    evaluateTcb(input(info, [1], { td: td([3, 1, 4], [6, 1, 4], 5) })).status,
    "TDRelaunchAdvised",
  );
  const config = tcbInfo(levels("ConfigurationNeeded"), extra, true);
  assert.equal(
    evaluateTcb(input(config, [1], { td: td([3, 1, 4], [6, 1, 4], 5) })).status,
    "TDRelaunchAdvisedConfigurationNeeded",
  );
  // TEE_TCB_SVN2 not yet at the latest module: plain OutOfDate.
  assert.equal(evaluateTcb(input(info, [1], { td: td([3, 1, 4], [5, 1, 4], 5) })).status, "OutOfDate");
  // An out-of-date QE rules the relaunch out.
  assert.equal(
    evaluateTcb(input(info, [1], { td: td([3, 1, 4], [6, 1, 4], 5), qeIsvSvn: 5 })).status,
    "OutOfDate",
  );
});
