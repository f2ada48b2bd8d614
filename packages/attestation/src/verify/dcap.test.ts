import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { sign } from "node:crypto";
import { AttestationError, type AttestationErrorCode } from "../errors.js";
import { verifyQuote, type VerifyQuoteOptions } from "./dcap.js";
import { parseQuote } from "./quote.js";
import { readVector, VECTORS } from "./testing/vectors.js";
import { TestDcapPlatform } from "./testing/platform.js";
import type { CollateralBundle } from "./collateral.js";
import { SIMULATION_QE_VENDOR_ID } from "./roots.js";

const qvl = createRequire(import.meta.url)("@phala/dcap-qvl") as {
  verify(
    quote: Uint8Array,
    collateral: unknown,
    nowSecs: number,
  ): {
    status: string;
    advisory_ids: string[];
    report: {
      type: string;
      data: {
        mrEnclave: Uint8Array;
        mrSigner: Uint8Array;
        mrTd: Uint8Array;
        rtMr3: Uint8Array;
        reportData: Uint8Array;
      };
    };
  };
};

const sgx = {
  ...VECTORS.sgx,
  raw: readVector(VECTORS.sgx.quote),
  collateral: readVector(VECTORS.sgx.collateral).toString("utf8"),
};
const tdx = {
  ...VECTORS.tdx,
  raw: readVector(VECTORS.tdx.quote),
  collateral: readVector(VECTORS.tdx.collateral).toString("utf8"),
};
const HOUR = 3600_000;

function refusedWith(code: AttestationErrorCode, fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AttestationError, `expected AttestationError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

function flip(raw: Uint8Array, offset: number, mask = 0x01): Buffer {
  const out = Buffer.from(raw);
  out[offset]! ^= mask;
  return out;
}

/** Rewrites a v3 quote's certification data (it is outside the signed region), fixing both lengths. */
function withCertificationData(raw: Uint8Array, data: Buffer): Buffer {
  const q = parseQuote(raw);
  const start = q.regions.certificationData.start;
  const head = Buffer.from(raw.subarray(0, start));
  head.writeUInt32LE(data.length, start - 4);
  const out = Buffer.concat([head, data]);
  out.writeUInt32LE(out.length - 436, 432);
  return out;
}

function pemChain(raw: Uint8Array): string[] {
  const text = Buffer.from(parseQuote(raw).certificationData).toString("latin1");
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
}

test("the real SGX quote verifies with the TCB status and advisories upstream asserts", () => {
  const v = verifyQuote(sgx.raw, { now: sgx.now, collateral: sgx.collateral });
  assert.equal(v.tee, "sgx");
  assert.equal(v.anchor.kind, "intel");
  assert.equal(v.tcb?.status, sgx.status);
  assert.deepEqual([...v.tcb!.advisoryIds].sort(), sgx.advisoryIds);
  assert.equal(v.quote.sgx?.mrenclave, sgx.mrenclave);
  assert.equal(v.pck.fmspc, "00a067110000");
  assert.equal(v.pck.ca, "processor");
  assert.equal(v.collateralExpiresAt?.toISOString(), "2025-07-19T10:01:18.000Z");
});

test("the real TDX quote verifies as UpToDate with no advisories", () => {
  const v = verifyQuote(tdx.raw, { now: tdx.now, collateral: tdx.collateral });
  assert.equal(v.tee, "tdx");
  assert.equal(v.tcb?.status, "UpToDate");
  assert.deepEqual(v.tcb?.advisoryIds, []);
  assert.equal(v.quote.td?.mrtd, tdx.mrtd);
  assert.equal(v.pck.ca, "platform");
});

test("verification agrees with @phala/dcap-qvl on status, advisories and measurements", () => {
  for (const vec of [sgx, tdx]) {
    for (const now of [
      vec.now,
      new Date(vec.windowStart.getTime() + HOUR),
      new Date(vec.windowEnd.getTime() - HOUR),
    ]) {
      const ours = verifyQuote(vec.raw, { now, collateral: vec.collateral });
      const theirs = qvl.verify(vec.raw, JSON.parse(vec.collateral), Math.floor(now.getTime() / 1000));
      assert.equal(ours.tcb?.status, theirs.status);
      assert.deepEqual([...ours.tcb!.advisoryIds].sort(), [...theirs.advisory_ids].sort());
      const body = theirs.report.data;
      if (ours.quote.sgx) {
        assert.equal(ours.quote.sgx.mrenclave, Buffer.from(body.mrEnclave).toString("hex"));
        assert.equal(ours.quote.sgx.mrsigner, Buffer.from(body.mrSigner).toString("hex"));
      } else {
        assert.equal(ours.quote.td?.mrtd, Buffer.from(body.mrTd).toString("hex"));
        assert.equal(ours.quote.td?.rtmr[3], Buffer.from(body.rtMr3).toString("hex"));
      }
      assert.equal(
        Buffer.from(ours.quote.reportData).toString("hex"),
        Buffer.from(body.reportData).toString("hex"),
      );
    }
  }
});

test("without collateral the real quotes verify offline and report no TCB status", () => {
  for (const vec of [sgx, tdx]) {
    const v = verifyQuote(vec.raw, { now: vec.now });
    assert.equal(v.tcb, null);
    assert.equal(v.collateralExpiresAt, null);
  }
  refusedWith("COLLATERAL_MISSING", () => verifyQuote(sgx.raw, { now: sgx.now, requireCollateral: true }));
});

test("a flipped byte in each signed region of the SGX quote is refused with its specific error", () => {
  const q = parseQuote(sgx.raw);
  const opts: VerifyQuoteOptions = { now: sgx.now, collateral: sgx.collateral };
  const cases: [string, number, AttestationErrorCode, RegExp][] = [
    ["header (QE id in user_data)", 30, "BAD_SIGNATURE", /quote signature/],
    ["report body (MRENCLAVE)", 48 + 64, "BAD_SIGNATURE", /quote signature/],
    ["report body (report_data)", 48 + 320, "BAD_SIGNATURE", /quote signature/],
    ["quote signature", q.regions.signature.start + 5, "BAD_SIGNATURE", /quote signature/],
    ["attestation key", q.regions.attestationKey.start + 3, "QE_BINDING_MISMATCH", /attestation key/],
    ["QE report", q.regions.qeReport.start + 100, "BAD_SIGNATURE", /QE report signature/],
    ["QE report signature", q.regions.qeReportSignature.start + 7, "BAD_SIGNATURE", /QE report signature/],
    ["QE auth data", q.regions.qeAuthData.start, "QE_BINDING_MISMATCH", /auth data/],
  ];
  for (const [what, offset, code, message] of cases) {
    refusedWith(code, () => verifyQuote(flip(sgx.raw, offset), opts), message);
    assert.ok(what);
  }
});

test("a flipped byte in each signed region of the TDX quote is refused with its specific error", () => {
  const q = parseQuote(tdx.raw);
  const opts: VerifyQuoteOptions = { now: tdx.now, collateral: tdx.collateral };
  refusedWith("BAD_SIGNATURE", () => verifyQuote(flip(tdx.raw, 30), opts), /quote signature/);
  refusedWith("BAD_SIGNATURE", () => verifyQuote(flip(tdx.raw, 184), opts), /quote signature/); // MRTD
  refusedWith("BAD_SIGNATURE", () => verifyQuote(flip(tdx.raw, 568), opts), /quote signature/); // REPORTDATA
  refusedWith(
    "BAD_SIGNATURE",
    () => verifyQuote(flip(tdx.raw, q.regions.signature.start), opts),
    /quote signature/,
  );
  refusedWith("QE_BINDING_MISMATCH", () =>
    verifyQuote(flip(tdx.raw, q.regions.attestationKey.start + 10), opts),
  );
  refusedWith(
    "BAD_SIGNATURE",
    () => verifyQuote(flip(tdx.raw, q.regions.qeReport.start + 20), opts),
    /QE report/,
  );
  refusedWith(
    "BAD_SIGNATURE",
    () => verifyQuote(flip(tdx.raw, q.regions.qeReportSignature.start + 1), opts),
    /QE report/,
  );
  refusedWith("QE_BINDING_MISMATCH", () => verifyQuote(flip(tdx.raw, q.regions.qeAuthData.start + 1), opts));
});

test("a changed byte in the certification data (PCK leaf signature) breaks the chain", () => {
  for (const vec of [sgx, tdx]) {
    const q = parseQuote(vec.raw);
    const text = Buffer.from(q.certificationData).toString("latin1");
    // Walk back from the end of the leaf's PEM to a base64 digit inside its signature value.
    let i = text.indexOf("-----END CERTIFICATE-----") - 1;
    while (text[i] === "\n" || text[i] === "=") i--;
    i -= 6;
    const raw = Buffer.from(vec.raw);
    const at = q.regions.certificationData.start + i;
    raw[at] = raw[at] === 0x41 ? 0x42 : 0x41;
    refusedWith(
      "CHAIN_INVALID",
      () => verifyQuote(raw, { now: vec.now, collateral: vec.collateral }),
      /signature of "Intel SGX PCK Certificate"/,
    );
  }
});

test("a chain ending in a root with Intel's name but another key is UNTRUSTED_ROOT", () => {
  const [leaf, ca] = pemChain(sgx.raw);
  const testRoot = readVector(VECTORS.roots.intelTest).toString("latin1").trim();
  const forged = withCertificationData(sgx.raw, Buffer.from(`${leaf}\n${ca}\n${testRoot}\n\0`, "latin1"));
  refusedWith("UNTRUSTED_ROOT", () => verifyQuote(forged, { now: sgx.now }), /Intel SGX Root CA/);
  refusedWith("UNTRUSTED_ROOT", () => verifyQuote(forged, { now: sgx.now, collateral: sgx.collateral }));
  // The same chain without its root is completed with the pinned Intel root and verifies.
  const trimmed = withCertificationData(sgx.raw, Buffer.from(`${leaf}\n${ca}\n\0`, "latin1"));
  assert.equal(verifyQuote(trimmed, { now: sgx.now, collateral: sgx.collateral }).tcb?.status, sgx.status);
});

test("collateral signed under a same-name test root is UNTRUSTED_ROOT", () => {
  const bundle = JSON.parse(sgx.collateral) as CollateralBundle;
  const [signer] = bundle.tcb_info_issuer_chain.match(
    /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g,
  )!;
  bundle.tcb_info_issuer_chain = `${signer}\n${readVector(VECTORS.roots.intelTest).toString("latin1")}`;
  refusedWith("UNTRUSTED_ROOT", () => verifyQuote(sgx.raw, { now: sgx.now, collateral: bundle }));
});

test("collateral whose signed JSON was altered is refused with BAD_SIGNATURE", () => {
  const tcb = JSON.parse(sgx.collateral) as CollateralBundle;
  tcb.tcb_info = tcb.tcb_info.replace('"tcbStatus":"OutOfDate"', '"tcbStatus":"UpToDate"');
  assert.notEqual(tcb.tcb_info, (JSON.parse(sgx.collateral) as CollateralBundle).tcb_info);
  refusedWith("BAD_SIGNATURE", () => verifyQuote(sgx.raw, { now: sgx.now, collateral: tcb }), /TCB info/);
  const qe = JSON.parse(tdx.collateral) as CollateralBundle;
  qe.qe_identity = qe.qe_identity.replace('"isvsvn":4', '"isvsvn":3');
  refusedWith("BAD_SIGNATURE", () => verifyQuote(tdx.raw, { now: tdx.now, collateral: qe }), /QE identity/);
  const sig = JSON.parse(sgx.collateral) as CollateralBundle;
  sig.tcb_info_signature = (sig.tcb_info_signature as string).replace(/^./, (c) => (c === "0" ? "1" : "0"));
  refusedWith("BAD_SIGNATURE", () => verifyQuote(sgx.raw, { now: sgx.now, collateral: sig }));
  // The last byte of a CRL is inside its ECDSA signature.
  const crl = JSON.parse(sgx.collateral) as CollateralBundle;
  const hex = crl.pck_crl as string;
  crl.pck_crl = hex.slice(0, -2) + (hex.endsWith("00") ? "01" : "00");
  refusedWith("BAD_SIGNATURE", () => verifyQuote(sgx.raw, { now: sgx.now, collateral: crl }), /CRL/);
});

test("collateral is refused outside its validity window and when older than allowed", () => {
  for (const vec of [sgx, tdx]) {
    refusedWith("COLLATERAL_EXPIRED", () =>
      verifyQuote(vec.raw, {
        now: new Date(vec.windowEnd.getTime() + 24 * HOUR),
        collateral: vec.collateral,
      }),
    );
    refusedWith("COLLATERAL_EXPIRED", () =>
      verifyQuote(vec.raw, {
        now: new Date(vec.windowStart.getTime() - 24 * HOUR),
        collateral: vec.collateral,
      }),
    );
    refusedWith(
      "COLLATERAL_EXPIRED",
      () => verifyQuote(vec.raw, { now: vec.now, collateral: vec.collateral, maxCollateralAgeSeconds: 3600 }),
      /older than/,
    );
    refusedWith(
      "COLLATERAL_EXPIRED",
      () =>
        verifyQuote(vec.raw, { now: vec.now, collateral: vec.collateral, minTcbEvaluationDataNumber: 18 }),
      /tcbEvaluationDataNumber/,
    );
  }
});

test("certificates are checked against the explicit time, not the clock", () => {
  refusedWith("CERTIFICATE_EXPIRED", () => verifyQuote(sgx.raw, { now: new Date("2060-01-01T00:00:00Z") }));
  refusedWith("CERTIFICATE_EXPIRED", () => verifyQuote(sgx.raw, { now: new Date("2015-01-01T00:00:00Z") }));
  refusedWith("INVALID_ARGUMENT", () => verifyQuote(sgx.raw, { now: new Date("not a date") }));
  refusedWith("INVALID_ARGUMENT", () => verifyQuote(sgx.raw, {} as VerifyQuoteOptions));
});

test("collateral for another platform or TEE is COLLATERAL_INVALID", () => {
  refusedWith("COLLATERAL_INVALID", () => verifyQuote(sgx.raw, { now: sgx.now, collateral: tdx.collateral }));
  refusedWith("COLLATERAL_INVALID", () => verifyQuote(tdx.raw, { now: tdx.now, collateral: sgx.collateral }));
  refusedWith("COLLATERAL_INVALID", () => verifyQuote(sgx.raw, { now: sgx.now, collateral: "{not json" }));
  const noCrl = JSON.parse(sgx.collateral) as CollateralBundle;
  delete noCrl.pck_crl;
  refusedWith("COLLATERAL_MISSING", () => verifyQuote(sgx.raw, { now: sgx.now, collateral: noCrl }));
  assert.equal(
    verifyQuote(sgx.raw, { now: sgx.now, collateral: noCrl, requireCrls: false }).tcb?.status,
    sgx.status,
  );
});

// ------------------------------------------------------------------------ simulation-style platforms

const now = new Date("2025-07-01T00:00:00Z");
const window = { issueDate: new Date("2025-06-20T00:00:00Z"), nextUpdate: new Date("2025-07-20T00:00:00Z") };
const reportData = Buffer.alloc(64, 0x5a);

test("simulation evidence is refused unless its root is pinned, and then reads as tee simulation", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const quote = p.quote({ reportData });
  refusedWith("SIMULATION_REFUSED", () => verifyQuote(quote, { now }));
  const other = await TestDcapPlatform.create({ now, kind: "simulation" });
  refusedWith("SIMULATION_REFUSED", () =>
    verifyQuote(quote, { now, trust: { simulationRootSha256: other.rootSha256 } }),
  );
  const v = verifyQuote(quote, { now, trust: { simulationRootSha256: p.rootSha256 } });
  assert.equal(v.tee, "simulation");
  assert.equal(v.tcb, null);
  assert.equal(v.quote.sgx?.debug, true);
  // Simulation evidence must carry the DEBUG marker.
  refusedWith("MALFORMED_EVIDENCE", () =>
    verifyQuote(p.quote({ reportData, sgx: { debug: false } }), {
      now,
      trust: { simulationRootSha256: p.rootSha256 },
    }),
  );
});

test("a quote whose QE vendor id does not belong to its root is refused", async () => {
  const intelLike = await TestDcapPlatform.create({ now, kind: "intel-like" });
  // Intel-like names and vendor, another key: untrusted unless pinned.
  refusedWith("UNTRUSTED_ROOT", () => verifyQuote(intelLike.quote({ reportData }), { now }));
  const simVendor = intelLike.quote({ reportData, qeVendorId: Buffer.from(SIMULATION_QE_VENDOR_ID, "hex") });
  refusedWith("QE_IDENTITY_MISMATCH", () =>
    verifyQuote(simVendor, { now, trust: { intelRootSha256: [intelLike.rootSha256] } }),
  );
  const sim = await TestDcapPlatform.create({ now, kind: "simulation" });
  const intelVendor = sim.quote({ reportData, qeVendorId: intelLike.vendorId });
  refusedWith("QE_IDENTITY_MISMATCH", () =>
    verifyQuote(intelVendor, { now, trust: { simulationRootSha256: sim.rootSha256 } }),
  );
});

test("without collateral an Intel-rooted quote must come from Intel's pinned quoting enclave", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "intel-like" });
  const trust = { intelRootSha256: [p.rootSha256] };
  assert.equal(verifyQuote(p.quote({ reportData }), { now, trust }).tee, "sgx");
  refusedWith("QE_IDENTITY_MISMATCH", () =>
    verifyQuote(p.quote({ reportData, qe: { mrsigner: Buffer.alloc(32, 1) } }), { now, trust }),
  );
  refusedWith("QE_IDENTITY_MISMATCH", () =>
    verifyQuote(p.quote({ reportData, qe: { isvProdId: 9 } }), { now, trust }),
  );
  refusedWith("QE_IDENTITY_MISMATCH", () =>
    verifyQuote(
      p.quote({ reportData, qe: { attributes: Buffer.from("13000000000000000000000000000000", "hex") } }),
      { now, trust },
    ),
  );
});

test("a revoked PCK certificate, PCK CA or TCB signing certificate is refused", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const trust = { simulationRootSha256: p.rootSha256 };
  const quote = p.quote({ reportData });
  assert.equal(
    verifyQuote(quote, { now, trust, collateral: await p.collateral({ tee: "sgx", ...window }) }).tcb?.status,
    "UpToDate",
  );
  const revokedPck = await p.collateral({ tee: "sgx", ...window, revokePck: true });
  refusedWith("REVOKED", () => verifyQuote(quote, { now, trust, collateral: revokedPck }), /PCK Certificate/);
  const revokedCa = await p.collateral({ tee: "sgx", ...window, revokePckCa: true });
  refusedWith("REVOKED", () => verifyQuote(quote, { now, trust, collateral: revokedCa }), /PCK Processor CA/);
  const revokedSigner = await p.collateral({ tee: "sgx", ...window, revokeTcbSigning: true });
  refusedWith("REVOKED", () => verifyQuote(quote, { now, trust, collateral: revokedSigner }), /TCB Signing/);
});

test("CRLs must be current and come from the right issuer", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const trust = { simulationRootSha256: p.rootSha256 };
  const quote = p.quote({ reportData });
  const stale = await p.collateral({ tee: "sgx", ...window, crlNextUpdate: new Date(now.getTime() - HOUR) });
  refusedWith("COLLATERAL_EXPIRED", () => verifyQuote(quote, { now, trust, collateral: stale }), /CRL/);
  // The root CRL offered as the PCK CRL: a list that cannot name the PCK leaf.
  const swapped = await p.collateral({ tee: "sgx", ...window });
  swapped.pck_crl = swapped.root_ca_crl;
  refusedWith("COLLATERAL_INVALID", () => verifyQuote(quote, { now, trust, collateral: swapped }));
});

test("collateral signed by a PCK key instead of a TCB signing certificate is refused", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const trust = { simulationRootSha256: p.rootSha256 };
  const bundle = await p.collateral({ tee: "sgx", ...window });
  const forged = (bundle.tcb_info as string).replace(
    '"tcbStatus":"UpToDate"',
    '"tcbStatus":"UpToDate","x":1',
  );
  bundle.tcb_info = forged;
  bundle.tcb_info_signature = sign("sha256", Buffer.from(forged), {
    key: p.pck.privateKey,
    dsaEncoding: "ieee-p1363",
  }).toString("hex");
  bundle.tcb_info_issuer_chain = p.chainPem;
  refusedWith(
    "CHAIN_INVALID",
    () => verifyQuote(p.quote({ reportData }), { now, trust, collateral: bundle }),
    /not a TCB signing/,
  );
});

test("a revoked or unsupported TCB level is refused", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const trust = { simulationRootSha256: p.rootSha256 };
  const quote = p.quote({ reportData });
  const level = (svns: number[], pcesvn: number, tcbStatus: string) => ({
    tcb: { sgxtcbcomponents: svns.map((svn) => ({ svn })), pcesvn },
    tcbDate: "2024-01-01T00:00:00Z",
    tcbStatus,
  });
  const revoked = await p.collateral({
    tee: "sgx",
    ...window,
    tcbLevels: [level(p.tcb.components, p.tcb.pceSvn, "Revoked")],
  });
  refusedWith("REVOKED", () => verifyQuote(quote, { now, trust, collateral: revoked }));
  const higher = p.tcb.components.map((c) => c + 1);
  const unsupported = await p.collateral({
    tee: "sgx",
    ...window,
    tcbLevels: [level(higher, p.tcb.pceSvn, "UpToDate")],
  });
  refusedWith("TCB_NOT_SUPPORTED", () => verifyQuote(quote, { now, trust, collateral: unsupported }));
  const qeOld = await p.collateral({
    tee: "sgx",
    ...window,
    qeIdentity: {
      tcbLevels: [{ tcb: { isvsvn: 9 }, tcbDate: "2024-01-01T00:00:00Z", tcbStatus: "UpToDate" }],
    },
  });
  refusedWith("TCB_NOT_SUPPORTED", () => verifyQuote(quote, { now, trust, collateral: qeOld }), /QE ISVSVN/);
  const qeForeign = await p.collateral({ tee: "sgx", ...window, qeIdentity: { mrsigner: "AB".repeat(32) } });
  refusedWith("QE_IDENTITY_MISMATCH", () => verifyQuote(quote, { now, trust, collateral: qeForeign }));
});

test("certification data other than a PCK chain (type 5) is UNSUPPORTED_EVIDENCE", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  refusedWith("UNSUPPORTED_EVIDENCE", () =>
    verifyQuote(p.quote({ reportData, certificationType: 3 }), {
      now,
      trust: { simulationRootSha256: p.rootSha256 },
    }),
  );
});

test("TDX v5 quotes verify end to end, and an unknown TDX module is TDX_MODULE_MISMATCH", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const trust = { simulationRootSha256: p.rootSha256 };
  const teeTcbSvn = Buffer.from("03010000000000000000000000000000", "hex");
  const quote = p.quote({
    version: 5,
    bodyType: "td15",
    reportData,
    td: { teeTcbSvn, teeTcbSvn2: teeTcbSvn },
  });
  const module = (id: string) => ({
    id,
    mrsigner: "00".repeat(48),
    attributes: "0000000000000000",
    attributesMask: "FFFFFFFFFFFFFFFF",
    tcbLevels: [{ tcb: { isvsvn: 3 }, tcbDate: "2024-01-01T00:00:00Z", tcbStatus: "UpToDate" }],
  });
  const good = await p.collateral({ tee: "tdx", ...window, tdxModuleIdentities: [module("TDX_01")] });
  const v = verifyQuote(quote, { now, trust, collateral: good });
  assert.equal(v.tee, "simulation");
  assert.equal(v.tcb?.status, "UpToDate");
  const wrong = await p.collateral({ tee: "tdx", ...window, tdxModuleIdentities: [module("TDX_02")] });
  refusedWith("TDX_MODULE_MISMATCH", () => verifyQuote(quote, { now, trust, collateral: wrong }));
  const signer = await p.collateral({
    tee: "tdx",
    ...window,
    tdxModuleIdentities: [{ ...module("TDX_01"), mrsigner: "11".repeat(48) }],
  });
  refusedWith(
    "TDX_MODULE_MISMATCH",
    () => verifyQuote(quote, { now, trust, collateral: signer }),
    /MRSIGNERSEAM/,
  );
});
