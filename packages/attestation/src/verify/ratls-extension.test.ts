import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { AttestationError, type AttestationErrorCode } from "../errors.js";
import { parsePolicy } from "../policy/schema.js";
import { verifyEvidence } from "./evidence.js";
import { extractRaTlsEvidence } from "./ratls-extension.js";
import { parseQuote } from "./quote.js";
import { TestDcapPlatform } from "./testing/platform.js";
import { buildRaTlsTestCertificate } from "./testing/ratls-cert.js";
import { readVector, VECTORS } from "./testing/vectors.js";

const now = new Date("2025-07-01T00:00:00Z");

function refusedWith(code: AttestationErrorCode, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof AttestationError && e.code === code);
}

test("evidence in an RA-TLS certificate is bound to the certificate key through the claims", async () => {
  const p = await TestDcapPlatform.create({ now, kind: "simulation" });
  const cert = await buildRaTlsTestCertificate({
    now,
    format: "sim-v1",
    makeEvidence: (reportData) => p.quote({ reportData }),
    nonce: Buffer.from("n0nce"),
  });
  const got = extractRaTlsEvidence(cert.der, { now });
  assert.deepEqual(got.expectedReportData, cert.reportData);
  assert.deepEqual(Buffer.from(got.claims), cert.claims);
  assert.deepEqual(got.claimNames, ["nonce"]);
  assert.equal(got.evidence.format, "sim-v1");
  const mrenclave = parseQuote(got.evidence.raw).sgx!.mrenclave;
  const policy = parsePolicy({
    version: 1,
    allowSimulation: true,
    trustAnchors: { simulationRootSha256: p.rootSha256 },
    services: { s: { tee: "sgx", mrenclave: [mrenclave] } },
  });
  const v = await verifyEvidence(got.evidence, {
    expectedReportData: got.expectedReportData,
    now,
    policy,
    service: "s",
  });
  assert.equal(v.tee, "simulation");
  // Evidence lifted into another certificate (another key) no longer matches its claims.
  const replayed = await buildRaTlsTestCertificate({
    now,
    format: "sim-v1",
    makeEvidence: () => got.evidence.raw,
  });
  const r = extractRaTlsEvidence(replayed.der, { now });
  await assert.rejects(
    verifyEvidence(r.evidence, { expectedReportData: r.expectedReportData, now, policy, service: "s" }),
    (e: unknown) => e instanceof AttestationError && e.code === "REPORT_DATA_MISMATCH",
  );
});

test("claims naming another key are PUBKEY_HASH_MISMATCH", async () => {
  const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
    type: "spki",
    format: "der",
  });
  const cert = await buildRaTlsTestCertificate({
    now,
    format: "sgx-dcap-quote",
    makeEvidence: () => readVector(VECTORS.sgx.quote),
    claimKeySpki: other,
  });
  refusedWith("PUBKEY_HASH_MISMATCH", () => extractRaTlsEvidence(cert.der, { now }));
});

test("certificates without the extension, outside their validity or with a broken signature are refused", async () => {
  refusedWith("MALFORMED_EVIDENCE", () =>
    extractRaTlsEvidence(
      Buffer.from(
        readVector(VECTORS.roots.intel)
          .toString("latin1")
          .replace(/-----[A-Z ]+-----|\s/g, ""),
        "base64",
      ),
      { now },
    ),
  );
  const cert = await buildRaTlsTestCertificate({
    now,
    format: "sgx-dcap-quote",
    makeEvidence: () => readVector(VECTORS.sgx.quote),
  });
  refusedWith("CERTIFICATE_EXPIRED", () =>
    extractRaTlsEvidence(cert.der, { now: new Date(now.getTime() + 2 * 3600_000) }),
  );
  const broken = Buffer.from(cert.der);
  broken[broken.length - 3]! ^= 0x01;
  refusedWith("CHAIN_INVALID", () => extractRaTlsEvidence(broken, { now }));
  refusedWith("MALFORMED_EVIDENCE", () =>
    extractRaTlsEvidence(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]), { now }),
  );
});
