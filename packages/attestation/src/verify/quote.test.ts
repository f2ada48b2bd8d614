import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { AttestationError } from "../errors.js";
import { toHex } from "./bytes.js";
import { detectEvidence } from "./detect.js";
import { parseQuote } from "./quote.js";
import { readVector, VECTORS } from "./testing/vectors.js";
import { TestDcapPlatform } from "./testing/platform.js";

// @phala/dcap-qvl (CommonJS) is the independent parser every field is compared against.
const qvl = createRequire(import.meta.url)("@phala/dcap-qvl") as {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an untyped CommonJS oracle, read field by field
  Quote: { parse(b: Uint8Array): Record<string, any> };
};

const sgxRaw = readVector(VECTORS.sgx.quote);
const tdxRaw = readVector(VECTORS.tdx.quote);
const hex = (b: Uint8Array): string => toHex(b);

function refusedWith(code: AttestationError["code"], fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof AttestationError && e.code === code);
}

test("the SGX v3 vector parses to the same fields as an independent parser", () => {
  const q = parseQuote(sgxRaw);
  const ref = qvl.Quote.parse(sgxRaw);
  const body = ref.report.data;
  assert.equal(q.version, 3);
  assert.equal(q.bodyType, "sgx");
  assert.equal(q.qeSvn, ref.header.qeSvn);
  assert.equal(q.pceSvn, ref.header.pceSvn);
  assert.equal(q.qeVendorId, "939a7233f79c4ca9940a0db3957f0607");
  assert.equal(q.userData, hex(ref.header.userData));
  const s = q.sgx!;
  assert.equal(s.cpuSvn, hex(body.cpuSvn));
  assert.equal(s.miscselect, body.miscSelect);
  assert.equal(s.attributes, hex(body.attributes));
  assert.equal(s.mrenclave, VECTORS.sgx.mrenclave);
  assert.equal(s.mrenclave, hex(body.mrEnclave));
  assert.equal(s.mrsigner, hex(body.mrSigner));
  assert.equal(s.isvProdId, body.isvProdId);
  assert.equal(s.isvSvn, body.isvSvn);
  assert.equal(hex(q.reportData), hex(body.reportData));
  const auth = ref.authData.data;
  assert.equal(hex(q.signature), hex(auth.ecdsaSignature));
  assert.equal(hex(q.attestationKey), hex(auth.ecdsaAttestationKey));
  assert.equal(hex(q.qeReport), hex(auth.qeReport));
  assert.equal(hex(q.qeReportSignature), hex(auth.qeReportSignature));
  assert.equal(hex(q.qeAuthData), hex(auth.qeAuthData));
  assert.equal(q.certificationType, 5);
  assert.equal(hex(q.certificationData), hex(auth.certificationData.body));
  assert.equal(q.signedRegion.length, 432);
  assert.equal(q.length, sgxRaw.length);
  // Offsets of spec §1.5 with 32 bytes of QE auth data.
  assert.deepEqual(q.regions.signature, { start: 436, end: 500 });
  assert.deepEqual(q.regions.attestationKey, { start: 500, end: 564 });
  assert.deepEqual(q.regions.qeReport, { start: 564, end: 948 });
  assert.deepEqual(q.regions.qeReportSignature, { start: 948, end: 1012 });
});

test("the TDX v4 vector parses to the same fields as an independent parser, padding ignored", () => {
  const q = parseQuote(tdxRaw);
  const ref = qvl.Quote.parse(tdxRaw);
  const body = ref.report.data;
  assert.equal(q.version, 4);
  assert.equal(q.teeType, 0x81);
  assert.equal(q.bodyType, "td10");
  const t = q.td!;
  assert.equal(t.teeTcbSvn, hex(body.teeTcbSvn));
  assert.equal(t.mrSeam, hex(body.mrSeam));
  assert.equal(t.mrSignerSeam, hex(body.mrSignerSeam));
  assert.equal(t.seamAttributes, hex(body.seamAttributes));
  assert.equal(t.tdAttributes, hex(body.tdAttributes));
  assert.equal(t.xfam, hex(body.xfam));
  assert.equal(t.mrtd, VECTORS.tdx.mrtd);
  assert.equal(t.mrConfigId, hex(body.mrConfigId));
  assert.equal(t.mrOwner, hex(body.mrOwner));
  assert.equal(t.mrOwnerConfig, hex(body.mrOwnerConfig));
  assert.deepEqual(t.rtmr, [hex(body.rtMr0), hex(body.rtMr1), hex(body.rtMr2), hex(body.rtMr3)]);
  assert.equal(hex(q.reportData), hex(body.reportData));
  assert.equal(t.teeTcbSvn2, null);
  const qe = ref.authData.data.qeReportData;
  assert.equal(hex(q.qeReport), hex(qe.qeReport));
  assert.equal(hex(q.qeAuthData), hex(qe.qeAuthData));
  assert.equal(hex(q.certificationData), hex(qe.certificationData.body));
  // Spec §1.5 absolute offsets for a v4 TDX quote.
  assert.deepEqual(q.regions.signature, { start: 636, end: 700 });
  assert.deepEqual(q.regions.qeReport, { start: 770, end: 1154 });
  assert.equal(q.regions.certificationData.start, 1258);
  assert.equal(tdxRaw.length - q.length, 70, "the vector carries 70 bytes of padding");
});

test("a truncated quote is MALFORMED_EVIDENCE at every cut point", () => {
  for (const raw of [sgxRaw, tdxRaw]) {
    const used = parseQuote(raw).length;
    for (let cut = 0; cut < used; cut += cut < 1300 ? 7 : 97)
      refusedWith("MALFORMED_EVIDENCE", () => parseQuote(raw.subarray(0, cut)));
  }
});

test("a signature data length beyond the input is refused", () => {
  const raw = Buffer.from(sgxRaw);
  raw.writeUInt32LE(raw.length, 432);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(raw));
  raw.writeUInt32LE(0xffffffff, 432);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(raw));
});

test("inner lengths that do not add up to the signature data length are refused", () => {
  const q = parseQuote(sgxRaw);
  // Shrink the certification data size by one: one byte would be left over.
  const raw = Buffer.from(sgxRaw);
  const sizeAt = q.regions.certificationData.start - 4;
  raw.writeUInt32LE(raw.readUInt32LE(sizeAt) - 1, sizeAt);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(raw));
  // Grow the QE auth data size past the end.
  const raw2 = Buffer.from(sgxRaw);
  raw2.writeUInt16LE(0xffff, q.regions.qeAuthData.start - 2);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(raw2));
  // TDX: the type-6 wrapper's size must equal what remains.
  const t = parseQuote(tdxRaw);
  const raw3 = Buffer.from(tdxRaw);
  raw3.writeUInt32LE(raw3.readUInt32LE(766) + 1, 766);
  assert.equal(t.regions.attestationKey.end, 764);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(raw3));
});

test("quotes above the size limit are refused before parsing", () => {
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(Buffer.concat([sgxRaw, Buffer.alloc(70 * 1024)])));
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(sgxRaw, { maxBytes: 4096 }));
});

test("trailing padding after the signature data is tolerated", () => {
  const padded = Buffer.concat([sgxRaw, Buffer.alloc(3065)]);
  assert.equal(parseQuote(padded).sgx!.mrenclave, VECTORS.sgx.mrenclave);
});

test("unknown versions, key types and TEE types are refused", () => {
  const v = Buffer.from(sgxRaw);
  v.writeUInt16LE(6, 0);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(v));
  v.writeUInt16LE(2, 0);
  refusedWith("UNSUPPORTED_EVIDENCE", () => parseQuote(v));
  const k = Buffer.from(sgxRaw);
  k.writeUInt16LE(3, 2);
  refusedWith("UNSUPPORTED_EVIDENCE", () => parseQuote(k));
  const t = Buffer.from(tdxRaw);
  t.writeUInt32LE(0x42, 4);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(t));
  t.writeUInt32LE(0, 4);
  refusedWith("UNSUPPORTED_EVIDENCE", () => parseQuote(t));
});

test("quote v5 bodies (SGX, TD 1.0, TD 1.5) parse at their offsets and a wrong body size is refused", async () => {
  const now = new Date("2025-07-01T00:00:00Z");
  const platform = await TestDcapPlatform.create({ now, kind: "simulation" });
  const reportData = Buffer.alloc(64, 0xab);
  const td15 = parseQuote(
    platform.quote({
      version: 5,
      bodyType: "td15",
      reportData,
      td: { teeTcbSvn2: Buffer.alloc(16, 2), mrServiceTd: Buffer.alloc(48, 3) },
    }),
  );
  assert.equal(td15.bodyType, "td15");
  assert.equal(td15.signedRegion.length, 54 + 648);
  assert.equal(td15.regions.signature.start, 706);
  assert.equal(td15.regions.qeReport.start, 840);
  assert.equal(td15.td!.teeTcbSvn2, "02".repeat(16));
  assert.equal(td15.td!.mrServiceTd, "03".repeat(48));
  assert.deepEqual(Buffer.from(td15.reportData), reportData);
  const td10 = parseQuote(platform.quote({ version: 5, bodyType: "td10", reportData }));
  assert.equal(td10.signedRegion.length, 54 + 584);
  const sgx = parseQuote(platform.quote({ version: 5, bodyType: "sgx", reportData }));
  assert.equal(sgx.bodyType, "sgx");
  assert.equal(sgx.teeType, 0);
  const bad = platform.quote({ version: 5, bodyType: "td15", reportData });
  bad.writeUInt32LE(584, 50);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(bad));
  const mismatch = platform.quote({ version: 5, bodyType: "td10", reportData });
  mismatch.writeUInt32LE(0, 4);
  refusedWith("MALFORMED_EVIDENCE", () => parseQuote(mismatch));
});

test("evidence files are recognised as binary, hex or PEM", () => {
  assert.equal(detectEvidence(sgxRaw).kind, "sgx-quote");
  assert.equal(detectEvidence(tdxRaw).kind, "tdx-quote");
  assert.equal(
    detectEvidence(Buffer.from(sgxRaw.toString("hex").replace(/(.{64})/g, "$1\n"))).kind,
    "sgx-quote",
  );
  assert.equal(detectEvidence(readVector(VECTORS.snp.reportHex)).kind, "snp-report");
  assert.equal(detectEvidence(readVector(VECTORS.roots.intel)).kind, "ratls-certificate");
  refusedWith("MALFORMED_EVIDENCE", () => detectEvidence(Buffer.from("hello world")));
  refusedWith("MALFORMED_EVIDENCE", () => detectEvidence(Buffer.alloc(0)));
});
