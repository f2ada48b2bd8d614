import { test } from "node:test";
import assert from "node:assert/strict";
import { AttestationError, type AttestationErrorCode } from "../errors.js";
import { parseSnpReport } from "./snp-report.js";
import { parseSnpCollateral, verifySnpReport, type VerifySnpOptions } from "./snp.js";
import { readVector, snpReport, VECTORS } from "./testing/vectors.js";
import { TestSnpPlatform } from "./testing/snp-builder.js";
import { AMD_ARK_SHA256 } from "./roots.js";

const report = snpReport();
const vcek = readVector(VECTORS.snp.vcek);
const now = VECTORS.snp.now;
const opts: VerifySnpOptions = { now, collateral: { vcek } };

function refusedWith(code: AttestationErrorCode, fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AttestationError, String(e));
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

test("the real Milan report verifies ARK → ASK → VCEK → report", () => {
  const v = verifySnpReport(report, opts);
  assert.equal(v.anchor.sha256, AMD_ARK_SHA256.Milan);
  assert.equal(v.claims.product, "Milan");
  assert.equal(v.claims.version, 2);
  assert.equal(v.claims.vmpl, 0);
  assert.equal(
    v.claims.measurement,
    "7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f",
  );
  assert.deepEqual(v.claims.reportedTcb, { bootloader: 3, tee: 0, snp: 8, microcode: 115, fmc: null });
  assert.equal(v.claims.policyFlags.debug, false);
  assert.equal(v.claims.policyFlags.smt, true);
  // The ASK/ARK given explicitly (as KDS serves them) gives the same result.
  const [ask, ark] = readVector(VECTORS.snp.chain)
    .toString("latin1")
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
  const bundle = parseSnpCollateral(
    JSON.stringify({ vcek: vcek.toString("hex"), cert_chain: `${ask}\n${ark}` }),
  );
  assert.equal(verifySnpReport(report, { now, collateral: bundle }).claims.measurement, v.claims.measurement);
});

test("flipping bit 7 of report byte 21 fails the report signature (upstream's check)", () => {
  refusedWith("BAD_SIGNATURE", () => verifySnpReport(flip(report, 21, 0x80), opts));
});

test("flipping byte 40 of the VCEK DER breaks the chain (upstream's check)", () => {
  refusedWith(
    "CHAIN_INVALID",
    () => verifySnpReport(report, { now, collateral: { vcek: flip(vcek, 40, 0xff) } }),
    /SEV-VCEK/,
  );
});

test("a changed byte in each region of the report is refused with its specific error", () => {
  const r = parseSnpReport(report).regions;
  refusedWith("BAD_SIGNATURE", () => verifySnpReport(flip(report, r.reportData.start), opts));
  refusedWith("BAD_SIGNATURE", () => verifySnpReport(flip(report, r.measurement.start + 5), opts));
  refusedWith("BAD_SIGNATURE", () => verifySnpReport(flip(report, r.signature.start), opts));
  refusedWith("BAD_SIGNATURE", () => verifySnpReport(flip(report, 0x2e8 + 10), opts));
  refusedWith(
    "CHAIN_INVALID",
    () => verifySnpReport(flip(report, r.reportedTcb.start), opts),
    /bootloader SPL/,
  );
  refusedWith("CHAIN_INVALID", () => verifySnpReport(flip(report, r.chipId.start + 3), opts), /hardware id/);
  refusedWith("MALFORMED_EVIDENCE", () => verifySnpReport(flip(report, 0x2a0 + 60), opts), /out of range/);
  refusedWith("MALFORMED_EVIDENCE", () => verifySnpReport(flip(report, 0x400), opts), /padding/);
});

test("malformed, unsigned and unsupported reports are refused", () => {
  refusedWith("MALFORMED_EVIDENCE", () => verifySnpReport(report.subarray(0, 1183), opts));
  refusedWith("MALFORMED_EVIDENCE", () => verifySnpReport(Buffer.concat([report, Buffer.alloc(1)]), opts));
  const v1 = Buffer.from(report);
  v1.writeUInt32LE(1, 0);
  refusedWith("UNSUPPORTED_EVIDENCE", () => verifySnpReport(v1, opts));
  const alg = Buffer.from(report);
  alg.writeUInt32LE(2, 0x34);
  refusedWith("UNSUPPORTED_EVIDENCE", () => verifySnpReport(alg, opts));
  const vmpl = Buffer.from(report);
  vmpl.writeUInt32LE(4, 0x30);
  refusedWith("MALFORMED_EVIDENCE", () => verifySnpReport(vmpl, opts));
  refusedWith("COLLATERAL_MISSING", () => verifySnpReport(report, { now }));
});

test("the VCEK chain must end at the pinned ARK of the VCEK's product", () => {
  refusedWith("UNTRUSTED_ROOT", () =>
    verifySnpReport(report, { ...opts, arkSha256: { Milan: "00".repeat(32) } }),
  );
  const genoa = readVector("roots/amd_ask_ark_genoa.pem")
    .toString("latin1")
    .match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)!;
  const [ask, ark] = genoa.map((pem) => Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64"));
  refusedWith("UNTRUSTED_ROOT", () => verifySnpReport(report, { now, collateral: { vcek, ask, ark } }));
  refusedWith("CERTIFICATE_EXPIRED", () =>
    verifySnpReport(report, { ...opts, now: new Date("2031-01-01T00:00:00Z") }),
  );
});

test("reports from a test platform verify through the auxblob certificate table", async () => {
  const p = await TestSnpPlatform.create({ now, product: "Genoa" });
  const reportData = Buffer.alloc(64, 9);
  const v = verifySnpReport(p.report({ reportData }), {
    now,
    aux: p.certTable(),
    arkSha256: { Genoa: p.arkSha256 },
  });
  assert.equal(v.claims.product, "Genoa");
  assert.deepEqual(Buffer.from(v.report.reportData), reportData);
  // The same evidence under AMD's real pins is untrusted.
  refusedWith("UNTRUSTED_ROOT", () => verifySnpReport(p.report({ reportData }), { now, aux: p.certTable() }));
});

test("Turin reports decode the FMC SPL and bind it to the VCEK", async () => {
  const p = await TestSnpPlatform.create({ now, product: "Turin" });
  const options = { now, aux: p.certTable(), arkSha256: { Turin: p.arkSha256 } };
  assert.deepEqual(verifySnpReport(p.report(), options).claims.reportedTcb, p.tcb);
  refusedWith(
    "CHAIN_INVALID",
    () => verifySnpReport(p.report({ reportedTcb: { ...p.tcb, fmc: 9 } }), options),
    /FMC/,
  );
});

test("an ASK listed in the ARK's CRL is REVOKED, and the CRL must be current", async () => {
  const p = await TestSnpPlatform.create({ now });
  const base = { now, arkSha256: { Milan: p.arkSha256 } };
  const collateral = { vcek: p.vcek.der, ask: p.ask.der, ark: p.ark.der };
  const day = 24 * 3600_000;
  const revoked = await p.crl(
    [p.ask.serialHex],
    new Date(now.getTime() - day),
    new Date(now.getTime() + day),
  );
  refusedWith(
    "REVOKED",
    () => verifySnpReport(p.report(), { ...base, collateral: { ...collateral, crl: revoked } }),
    /SEV-Milan/,
  );
  const clean = await p.crl([], new Date(now.getTime() - day), new Date(now.getTime() + day));
  assert.equal(
    verifySnpReport(p.report(), { ...base, collateral: { ...collateral, crl: clean } }).claims.product,
    "Milan",
  );
  const stale = await p.crl([], new Date(now.getTime() - 3 * day), new Date(now.getTime() - day));
  refusedWith("COLLATERAL_EXPIRED", () =>
    verifySnpReport(p.report(), { ...base, collateral: { ...collateral, crl: stale } }),
  );
  refusedWith("COLLATERAL_MISSING", () =>
    verifySnpReport(p.report(), { ...base, collateral, requireCrl: true }),
  );
});

test("VLEK-signed and unsigned reports are refused", async () => {
  const p = await TestSnpPlatform.create({ now });
  const options = { now, aux: p.certTable(), arkSha256: { Milan: p.arkSha256 } };
  refusedWith("UNSUPPORTED_EVIDENCE", () => verifySnpReport(p.report({ signingKey: 1 }), options), /VLEK/);
  refusedWith(
    "UNSUPPORTED_EVIDENCE",
    () => verifySnpReport(p.report({ signingKey: 7 }), options),
    /not signed/,
  );
  // MASK_CHIP_KEY: the chip id is zero and not compared with the VCEK.
  assert.equal(verifySnpReport(p.report({ maskChipKey: true }), options).claims.chipId, "00".repeat(64));
});
