import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AttestationError } from "../errors.js";
import { parsePolicy } from "../policy/schema.js";
import { parseCertificate, splitPem } from "./certificate.js";
import { parseCollateral } from "./collateral.js";
import { parseCrl } from "./crl.js";
import { verifyQuote } from "./dcap.js";
import { detectEvidence } from "./detect.js";
import { parseQuote } from "./quote.js";
import { extractRaTlsEvidence } from "./ratls-extension.js";
import { parseSnpReport } from "./snp-report.js";
import { verifySnpReport } from "./snp.js";
import { readVector, snpReport, VECTORS } from "./testing/vectors.js";

// Parsers and verifiers face attacker bytes: whatever they are fed, they return or throw an
// AttestationError; no other exception, no hang. Budgets are fixed so the file runs in seconds.

const sgxQuote = readVector(VECTORS.sgx.quote);
const tdxQuote = readVector(VECTORS.tdx.quote);
const sgxCollateral = readVector(VECTORS.sgx.collateral).toString("utf8");
const report = snpReport();
const vcek = readVector(VECTORS.snp.vcek);
const pckDer = splitPem(Buffer.from(parseQuote(sgxQuote).certificationData).toString("latin1"), "chain")[0]!;
const pckCrl = Buffer.from((JSON.parse(sgxCollateral) as { pck_crl: string }).pck_crl, "hex");

function onlyAttestationErrors(fn: () => unknown): boolean {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof AttestationError)) throw error;
  }
  return true;
}

/** A mutation of `base`: overwrite bytes, truncate, or rewrite a little-endian length field. */
function mutated(base: Buffer): fc.Arbitrary<Buffer> {
  const edits = fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 4,
  });
  return fc.oneof(
    edits.map((list) => {
      const out = Buffer.from(base);
      for (const [at, value] of list) out[at] = value;
      return out;
    }),
    fc.nat(base.length).map((cut) => base.subarray(0, cut)),
    fc
      .tuple(fc.nat(base.length - 4), fc.constantFrom(0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff))
      .map(([at, value]) => {
        const out = Buffer.from(base);
        out.writeUInt32LE(value >>> 0, at);
        return out;
      }),
  );
}

test("the quote parser throws only AttestationError on random and mutated input", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => onlyAttestationErrors(() => parseQuote(b))),
    { numRuns: 1500 },
  );
  fc.assert(
    fc.property(mutated(sgxQuote), (b) => onlyAttestationErrors(() => parseQuote(b))),
    { numRuns: 1500 },
  );
  fc.assert(
    fc.property(mutated(tdxQuote), (b) => onlyAttestationErrors(() => parseQuote(b))),
    { numRuns: 1500 },
  );
});

test("quote verification throws only AttestationError on mutated real quotes", () => {
  fc.assert(
    fc.property(mutated(sgxQuote), (b) =>
      onlyAttestationErrors(() => verifyQuote(b, { now: VECTORS.sgx.now, collateral: sgxCollateral })),
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(mutated(tdxQuote), (b) =>
      onlyAttestationErrors(() => verifyQuote(b, { now: VECTORS.tdx.now })),
    ),
    { numRuns: 300 },
  );
});

test("the SEV-SNP parser and verifier throw only AttestationError", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1184, maxLength: 1184 }), (b) =>
      onlyAttestationErrors(() => parseSnpReport(b)),
    ),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(mutated(report), (b) =>
      onlyAttestationErrors(() => verifySnpReport(b, { now: VECTORS.snp.now, collateral: { vcek } })),
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(mutated(vcek), (v) =>
      onlyAttestationErrors(() => verifySnpReport(report, { now: VECTORS.snp.now, collateral: { vcek: v } })),
    ),
    { numRuns: 300 },
  );
});

test("certificate, CRL and RA-TLS readers throw only AttestationError", () => {
  fc.assert(
    fc.property(mutated(pckDer), (b) => onlyAttestationErrors(() => parseCertificate(b))),
    { numRuns: 800 },
  );
  fc.assert(
    fc.property(mutated(pckCrl), (b) => onlyAttestationErrors(() => parseCrl(b, "fuzz CRL"))),
    { numRuns: 800 },
  );
  fc.assert(
    fc.property(mutated(pckDer), (b) =>
      onlyAttestationErrors(() => extractRaTlsEvidence(b, { now: VECTORS.sgx.now })),
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => onlyAttestationErrors(() => detectEvidence(b))),
    { numRuns: 800 },
  );
});

test("collateral and policy readers throw only AttestationError on arbitrary JSON", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => onlyAttestationErrors(() => parseCollateral(JSON.stringify(v)))),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.jsonValue(), (v) => onlyAttestationErrors(() => parsePolicy(JSON.stringify(v)))),
    { numRuns: 500 },
  );
  const policy = {
    version: 1,
    tcb: { accept: ["UpToDate"] },
    services: { s: { tee: "sgx", mrenclave: ["00".repeat(32)], minIsvSvn: 1 } },
  };
  // Replace one field anywhere in a valid policy with an arbitrary value.
  fc.assert(
    fc.property(
      fc.constantFrom("version", "tcb", "services", "allowSimulation", "collateral", "trustAnchors"),
      fc.jsonValue(),
      (key, value) => onlyAttestationErrors(() => parsePolicy({ ...policy, [key]: value })),
    ),
    { numRuns: 500 },
  );
  assert.ok(true);
});
