import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, verify, X509Certificate } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulationBackend, SIMULATION_FMSPC, SIMULATION_QE_MRSIGNER } from "./backend.js";
import { SIMULATION_FILES } from "./deployment.js";
import { simulationMrEnclave, simulationMrSigner } from "./measurement.js";
import { isBackendError } from "../errors.js";
import { parseQuote } from "../../verify/quote.js";
import { parseCertificate, parsePemChain } from "../../verify/certificate.js";
import { parsePckExtension } from "../../verify/pck-extension.js";
import { SIMULATION_QE_VENDOR_ID } from "../../verify/roots.js";

const code = { service: "frontend", codeDigest: "11".repeat(32), configDigest: "22".repeat(32) };

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-sim-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test("simulation evidence is an SGX quote v3 with the simulated QE, DEBUG set and the report data asked for", async (t) => {
  const backend = new SimulationBackend({ dir: await tempDir(t), ...code });
  const reportData = Buffer.alloc(64, 0xab);
  const evidence = await backend.getEvidence(reportData);
  assert.equal(evidence.format, "sim-v1");
  const raw = Buffer.from(evidence.raw);

  assert.equal(raw.readUInt16LE(0), 3);
  assert.equal(raw.readUInt16LE(2), 2);
  assert.equal(raw.subarray(12, 28).toString("hex"), SIMULATION_QE_VENDOR_ID);
  assert.notEqual(raw.subarray(12, 28).toString("hex"), "939a7233f79c4ca9940a0db3957f0607");
  assert.equal(raw[96]! & 0x02, 0x02, "DEBUG attribute bit");
  assert.deepEqual(raw.subarray(112, 144), simulationMrEnclave(code));
  assert.deepEqual(raw.subarray(176, 208), await backend.mrSigner());
  assert.deepEqual(raw.subarray(368, 432), reportData);

  // The verifier's own parser reads every field where the spec puts it.
  const parsed = parseQuote(raw);
  assert.equal(parsed.version, 3);
  assert.equal(parsed.sgx?.mrenclave, simulationMrEnclave(code).toString("hex"));
  assert.equal(parsed.sgx?.debug, true);
  assert.equal(parsed.qeReportBody.mrsigner, SIMULATION_QE_MRSIGNER.toString("hex"));
  assert.equal(parsed.qeReportBody.debug, false);
  assert.equal(parsed.certificationType, 5);
});

test("simulation quotes verify like real ones: quote signature, QE binding, QE report signature, PCK chain and SGX extension", async (t) => {
  const backend = new SimulationBackend({ dir: await tempDir(t), ...code });
  const parsed = parseQuote((await backend.getEvidence(Buffer.alloc(64, 1))).raw);

  const attKey = createPublicKey({
    format: "jwk",
    key: {
      kty: "EC",
      crv: "P-256",
      x: Buffer.from(parsed.attestationKey.subarray(0, 32)).toString("base64url"),
      y: Buffer.from(parsed.attestationKey.subarray(32)).toString("base64url"),
    },
  });
  assert.ok(
    verify("sha256", parsed.signedRegion, { key: attKey, dsaEncoding: "ieee-p1363" }, parsed.signature),
  );
  const binding = createHash("sha256").update(parsed.attestationKey).update(parsed.qeAuthData).digest();
  assert.deepEqual(Buffer.from(parsed.qeReportBody.reportData.subarray(0, 32)), binding);
  assert.deepEqual(Buffer.from(parsed.qeReportBody.reportData.subarray(32)), Buffer.alloc(32));

  const chain = parsePemChain(Buffer.from(parsed.certificationData).toString("latin1"), "PCK chain");
  assert.equal(chain.length, 3);
  const [leaf, intermediate, root] = chain as [(typeof chain)[0], (typeof chain)[0], (typeof chain)[0]];
  assert.ok(
    verify(
      "sha256",
      parsed.qeReport,
      { key: leaf.x509.publicKey, dsaEncoding: "ieee-p1363" },
      parsed.qeReportSignature,
    ),
  );
  assert.ok(leaf.x509.verify(intermediate.x509.publicKey));
  assert.ok(intermediate.x509.verify(root.x509.publicKey));
  assert.ok(root.x509.verify(root.x509.publicKey));
  assert.equal(root.ca, true);
  assert.equal(intermediate.ca, true);
  assert.equal(leaf.ca, false);
  assert.equal(root.sha256, await backend.rootSha256());

  const pck = parsePckExtension(leaf);
  assert.equal(pck.fmspc, SIMULATION_FMSPC.toString("hex"));
  assert.equal(pck.tcbComponents.length, 16);
  assert.equal(pck.cpuSvn, parsed.sgx?.cpuSvn);
  assert.equal(pck.pceSvn, parsed.pceSvn);
});

test("the simulation root CA is generated once per deployment directory and reused, with owner-only key files", async (t) => {
  const dir = await tempDir(t);
  const first = new SimulationBackend({ dir, ...code });
  const second = new SimulationBackend({ dir, ...code, service: "management" });
  const [a, b] = await Promise.all([first.rootSha256(), second.rootSha256()]);
  assert.equal(a, b);
  const third = new SimulationBackend({ dir, ...code });
  assert.equal(await third.rootSha256(), a);
  for (const name of [SIMULATION_FILES.root, SIMULATION_FILES.signer, SIMULATION_FILES.sealing]) {
    assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600, name);
  }
  const publicRoot = new X509Certificate(await readFile(join(dir, SIMULATION_FILES.rootCert)));
  assert.equal(createHash("sha256").update(publicRoot.raw).digest("hex"), a);
  assert.equal(parseCertificate(publicRoot.raw).subjectCn, "MesaTEE Simulation Root CA");

  const otherDeployment = new SimulationBackend({ dir: await tempDir(t), ...code });
  assert.notEqual(await otherDeployment.rootSha256(), a);
});

test("a simulation root key readable by others is refused", async (t) => {
  const dir = await tempDir(t);
  await new SimulationBackend({ dir, ...code }).rootSha256();
  await chmod(join(dir, SIMULATION_FILES.root), 0o644);
  await assert.rejects(new SimulationBackend({ dir, ...code }).getEvidence(Buffer.alloc(64)), (e) =>
    isBackendError(e, "KEY_FILE_INVALID"),
  );
});

test("MRENCLAVE changes with the service, code and config; MRSIGNER follows the deployment signing key", async (t) => {
  const base = simulationMrEnclave(code);
  assert.notDeepEqual(simulationMrEnclave({ ...code, service: "management" }), base);
  assert.notDeepEqual(simulationMrEnclave({ ...code, codeDigest: "12".repeat(32) }), base);
  assert.notDeepEqual(simulationMrEnclave({ ...code, configDigest: "23".repeat(32) }), base);
  assert.throws(
    () => simulationMrEnclave({ ...code, codeDigest: "zz" }),
    (e) => isBackendError(e, "INVALID_CONFIG"),
  );

  const signer = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
  const backend = new SimulationBackend({ dir: await tempDir(t), ...code, signerPublicKey: signer });
  const raw = Buffer.from((await backend.getEvidence(Buffer.alloc(64))).raw);
  assert.deepEqual(raw.subarray(176, 208), simulationMrSigner(signer));
  assert.deepEqual(
    simulationMrSigner(signer),
    createHash("sha256")
      .update(signer.export({ type: "spki", format: "der" }))
      .digest(),
  );
});

test("report data must be exactly 64 bytes", async (t) => {
  const backend = new SimulationBackend({ dir: await tempDir(t), ...code });
  for (const bad of [Buffer.alloc(0), Buffer.alloc(32), Buffer.alloc(65)]) {
    await assert.rejects(backend.getEvidence(bad), (e) => isBackendError(e, "INVALID_ARGUMENT"));
  }
});
