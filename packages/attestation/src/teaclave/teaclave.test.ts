import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { createHash, createPublicKey, verify, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AttestationServiceRole, iasStatusFor, QUOTE_BODY_LENGTH } from "./attestation-service.js";
import {
  decodeEndorsedReport,
  TEACLAVE_REPORT_OID,
  teaclaveEndorsementExtensions,
} from "./endorsed-extension.js";
import {
  loadAuditorKeys,
  renderEnclaveInfo,
  writeTeaclaveClientFiles,
  type TeaclaveClientFiles,
} from "./enclave-info.js";
import { verifyEnclaveInfo } from "../policy/enclave-info.js";
import { isAttestationError } from "../errors.js";
import { isTeaclaveCompatError } from "./errors.js";
import { issueRaTlsCertificate, type RaTlsCertificate } from "../ratls/certificate.js";
import { verifyRaTlsCertificate } from "../ratls/verify.js";
import { decodeEvidenceExtension, RATLS_EVIDENCE_OID } from "../ratls/extension.js";
import { parseCertificate, spkiPublicKeyBits } from "../ratls/x509.js";
import { createAttestedServer } from "../tls/server.js";
import { SimDeployment } from "../ratls/testing/fixtures.js";
import type { SimulationBackend } from "../backends/simulation/backend.js";

const run = promisify(execFile);
// Tests run from dist/; the client script stays in the source tree.
const CLIENT_SCRIPT = fileURLToPath(
  new URL("../../src/teaclave/testdata/teaclave_client_check.py", import.meta.url),
);
const PYTHON = "/usr/bin/python3";

const deployment = new SimDeployment();
let dir: string;
let as: AttestationServiceRole;
let frontend: SimulationBackend;
let cert: RaTlsCertificate;
let files: TeaclaveClientFiles;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mesatee-teaclave-"));
  as = await AttestationServiceRole.open({ dir: join(dir, "as"), modulusLength: 2048 });
  frontend = deployment.backend("frontend");
  cert = await issueRaTlsCertificate({
    backend: frontend,
    service: "frontend",
    leadingExtensions: teaclaveEndorsementExtensions({
      backend: frontend,
      attestationService: as,
      trust: { simulationRootSha256: await frontend.rootSha256() },
    }),
  });
  const identity = async (b: SimulationBackend) => ({ mrEnclave: b.mrEnclave, mrSigner: await b.mrSigner() });
  files = await writeTeaclaveClientFiles(join(dir, "client"), {
    attestationService: as,
    enclaves: {
      teaclave_authentication_service: await identity(deployment.backend("authentication")),
      teaclave_frontend_service: await identity(frontend),
      mesatee_management: await identity(deployment.backend("management")),
    },
    auditorKeys: await loadAuditorKeys(join(dir, "auditors"), undefined, 2048),
  });
});

after(async () => {
  deployment.cleanup();
  await rm(dir, { recursive: true, force: true });
});

test("the public certificate carries Teaclave's endorsed report first and the interoperable evidence second, each binding its own report_data", async () => {
  const parsed = parseCertificate(cert.certDer);
  assert.equal(parsed.extensions[0]?.oid, TEACLAVE_REPORT_OID);
  assert.equal(parsed.extensions[1]?.oid, RATLS_EVIDENCE_OID);
  const point = spkiPublicKeyBits(parsed.spki).subarray(1);

  const endorsed = decodeEndorsedReport(parsed.extensions[0]!.value);
  const report = JSON.parse(endorsed.report.toString("utf8")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(report), [
    "id",
    "timestamp",
    "version",
    "isvEnclaveQuoteStatus",
    "isvEnclaveQuoteBody",
  ]);
  assert.equal(report.version, 4);
  assert.match(String(report.id), /^[0-9a-f]{32}$/);
  assert.match(String(report.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  assert.equal(report.isvEnclaveQuoteStatus, "UNSPECIFIED", "no collateral evaluated for simulation");
  const body = Buffer.from(String(report.isvEnclaveQuoteBody), "base64");
  assert.equal(body.length, QUOTE_BODY_LENGTH);
  assert.deepEqual(body.subarray(368, 432), point, "Teaclave convention: report_data = X ‖ Y");
  assert.deepEqual(body.subarray(112, 144), frontend.mrEnclave);
  assert.equal(endorsed.certs.length, 1, "the root is never shipped inside the extension");
  assert.ok(
    verify("sha256", endorsed.report, new X509Certificate(endorsed.certs[0]!).publicKey, endorsed.signature),
  );

  const { evidence, claims } = decodeEvidenceExtension(parsed.extensions[1]!.value);
  const reportData = Buffer.from(evidence.raw).subarray(368, 432);
  assert.deepEqual(
    reportData,
    Buffer.concat([createHash("sha256").update(claims).digest(), Buffer.alloc(32)]),
  );
  assert.notDeepEqual(reportData, point);

  // MesaTEE's own verifier reads only the interoperable extension and accepts the certificate.
  const peer = await verifyRaTlsCertificate(cert.certDer, {
    now: new Date(),
    policy: await deployment.policy(["frontend"]),
    service: "frontend",
  });
  assert.equal(peer.service, "frontend");
});

test("the attestation-service root is a CA generated once per deployment", async () => {
  const root = new X509Certificate(as.rootCertPem);
  assert.equal(root.ca, true);
  assert.ok(root.verify(root.publicKey));
  assert.ok(new X509Certificate(as.signingCertDer).verify(root.publicKey));
  assert.equal(await readFile(files.asRootCaCert, "utf8"), as.rootCertPem);
  const again = await AttestationServiceRole.open({ dir: join(dir, "as"), modulusLength: 2048 });
  assert.deepEqual(again.rootCertDer, as.rootCertDer);
});

async function servePublic(
  certificate: RaTlsCertificate,
): Promise<{ port: number; close: () => Promise<void> }> {
  const { server } = createAttestedServer(
    { mode: "public", certificates: { key: certificate.keyPem, cert: certificate.certPem } },
    (_req, res) => res.end(),
  );
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

async function teaclaveClient(
  port: number,
  asRoot: string,
  enclaveInfo: string,
  endpoint: string,
): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout } = await run(PYTHON, [
      CLIENT_SCRIPT,
      "127.0.0.1",
      String(port),
      asRoot,
      enclaveInfo,
      endpoint,
    ]);
    return { ok: true, out: stdout };
  } catch (err) {
    return { ok: false, out: String((err as { stderr?: string }).stderr ?? err) };
  }
}

test("a Teaclave-era Python client verifies the endpoint against as_root_ca_cert.pem and enclave_info.toml", async () => {
  const server = await servePublic(cert);
  try {
    const result = await teaclaveClient(server.port, files.asRootCaCert, files.enclaveInfo, "frontend");
    assert.ok(result.ok, result.out);
    assert.match(result.out, new RegExp(`verified mr_enclave=${frontend.mrEnclave.toString("hex")}`));
  } finally {
    await server.close();
  }
});

test("a Teaclave-era client pinning another attestation-service root refuses the endpoint", async () => {
  const other = await AttestationServiceRole.open({ dir: join(dir, "other-as"), modulusLength: 2048 });
  const otherRoot = join(dir, "other_as_root_ca_cert.pem");
  await writeFile(otherRoot, other.rootCertPem);
  const server = await servePublic(cert);
  try {
    const result = await teaclaveClient(server.port, otherRoot, files.enclaveInfo, "frontend");
    assert.equal(result.ok, false);
    assert.match(result.out, /does not chain to the AS root/);
  } finally {
    await server.close();
  }
});

test("a Teaclave-era client expecting other measurements refuses the endpoint", async () => {
  const server = await servePublic(cert);
  try {
    // The frontend certificate checked against the authentication service's entry.
    const result = await teaclaveClient(server.port, files.asRootCaCert, files.enclaveInfo, "authentication");
    assert.equal(result.ok, false);
    assert.match(result.out, /mr_enclave mismatch/);
  } finally {
    await server.close();
  }
});

test("endorsement refuses a quote that does not chain to a trusted root", async () => {
  const other = new SimDeployment();
  try {
    const stranger = other.backend("frontend");
    await assert.rejects(
      issueRaTlsCertificate({
        backend: stranger,
        service: "frontend",
        leadingExtensions: teaclaveEndorsementExtensions({
          backend: stranger,
          attestationService: as,
          trust: { simulationRootSha256: await frontend.rootSha256() },
        }),
      }),
      (e: unknown) => isTeaclaveCompatError((e as Error).cause, "ENDORSEMENT_REFUSED"),
    );
  } finally {
    other.cleanup();
  }
});

test("enclave_info.toml uses Teaclave's table format and every auditor signs its exact bytes", async () => {
  const text = await readFile(files.enclaveInfo, "utf8");
  assert.match(
    text,
    /^\[teaclave_authentication_service\]\nmr_enclave = "[0-9a-f]{64}"\nmr_signer = "[0-9a-f]{64}"\n/,
  );
  assert.match(text, /\[teaclave_frontend_service\]\nmr_enclave = "[0-9a-f]{64}"/);
  assert.match(text, /\[mesatee_management\]/);
  assert.equal(files.auditors.length, 3);
  assert.match(await readFile(files.auditors[0]!.publicKey, "utf8"), /^-----BEGIN RSA PUBLIC KEY-----/);
  const bytes = Buffer.from(text, "utf8");
  const keys = await Promise.all(files.auditors.map((a) => readFile(a.publicKey, "utf8")));
  const sigs = await Promise.all(files.auditors.map((a) => readFile(a.signature)));
  // The policy layer's checker: three distinct auditors, and the entries read back as written.
  const info = verifyEnclaveInfo(bytes, keys, sigs, 3);
  assert.equal(info.teaclave_frontend_service?.mrEnclave, frontend.mrEnclave.toString("hex"));
  assert.equal(info.teaclave_frontend_service?.mrSigner, (await frontend.mrSigner()).toString("hex"));
  // The same signatures checked by OpenSSL, as an auditor would (openssl dgst -sha256 -verify).
  const a = files.auditors[0]!;
  const { stdout } = await run("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    a.publicKey,
    "-signature",
    a.signature,
    files.enclaveInfo,
  ]);
  assert.match(stdout, /Verified OK/);
  // Any edit of the file invalidates the signatures.
  assert.throws(
    () => verifyEnclaveInfo(Buffer.concat([bytes, Buffer.from("\n")]), keys, sigs, 1),
    (e) => isAttestationError(e, "POLICY_SIGNATURES"),
  );
  assert.throws(
    () => renderEnclaveInfo({ "bad-name": { mrEnclave: "00".repeat(32), mrSigner: "00".repeat(32) } }),
    (e) => isTeaclaveCompatError(e, "INVALID_ARGUMENT"),
  );
});

test("auditor keys are generated once per deployment and kept private", async () => {
  const again = await loadAuditorKeys(join(dir, "auditors"), undefined, 2048);
  const first = files.auditors.map((a) => a.name);
  assert.deepEqual([...again.keys()], first);
  for (const name of first) {
    const info = await import("node:fs/promises").then((fs) =>
      fs.stat(join(dir, "auditors", name, `${name}.private.pem`)),
    );
    assert.equal(info.mode & 0o777, 0o600);
  }
  const pub = createPublicKey(again.get(first[0]!)!).export({ type: "pkcs1", format: "pem" });
  assert.equal(pub, await readFile(files.auditors[0]!.publicKey, "utf8"));
});

test("Intel TCB statuses map onto the IAS statuses Teaclave's DCAP server reports", () => {
  assert.equal(iasStatusFor("UpToDate"), "OK");
  assert.equal(iasStatusFor("ConfigurationAndSWHardeningNeeded"), "CONFIGURATION_AND_SW_HARDENING_NEEDED");
  assert.equal(iasStatusFor("OutOfDateConfigurationNeeded"), "OUT_OF_DATE_CONFIGURATION_NEEDED");
  assert.equal(iasStatusFor("Revoked"), "KEY_REVOKED");
  assert.equal(iasStatusFor(null), "UNSPECIFIED");
});
