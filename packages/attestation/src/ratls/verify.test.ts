import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { issueRaTlsCertificate } from "./certificate.js";
import { verifyRaTlsCertificate, type EvidenceVerifier } from "./verify.js";
import { isRaTlsError, type RaTlsErrorCode } from "./errors.js";
import { encodeClaims } from "./claims.js";
import { encodeEvidenceExtension, decodeEvidenceExtension, RATLS_EVIDENCE_OID } from "./extension.js";
import { buildCertificate, parseCertificate, serialFrom, type CertExtension } from "./x509.js";
import { verifyEvidence, type EvidenceCollateral } from "../verify/evidence.js";
import { SimDeployment } from "./testing/fixtures.js";
import { isAttestationError } from "../errors.js";
import type { Policy } from "../policy/schema.js";
import type { AttestationBackend } from "../backends/types.js";

const deployment = new SimDeployment();
after(() => deployment.cleanup());

function refusedWith(code: RaTlsErrorCode, causeCode?: string) {
  return (e: unknown): boolean => {
    assert.ok(isRaTlsError(e), `expected RaTlsError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (causeCode !== undefined)
      assert.ok(isAttestationError(e.cause, causeCode as never), `cause ${String(e.cause)}`);
    return true;
  };
}

/** A certificate assembled from parts, for attacks the honest issuer never produces. */
function forge(opts: {
  extensions: CertExtension[];
  notBefore?: Date;
  notAfter?: Date;
  keys?: ReturnType<typeof generateKeyPairSync>;
}): Buffer {
  const keys = opts.keys ?? generateKeyPairSync("ec", { namedCurve: "P-256" });
  const name = [["CN", "mesatee-frontend"]] as const;
  return buildCertificate({
    serial: serialFrom(randomBytes(16)),
    subject: name,
    issuer: name,
    notBefore: opts.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: opts.notAfter ?? new Date(Date.now() + 3600_000),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: opts.extensions,
  });
}

test("an issued RA-TLS certificate verifies and names its service, TEE and measurement", async () => {
  const backend = deployment.backend("frontend");
  const policy = await deployment.policy(["frontend"]);
  const cert = await issueRaTlsCertificate({ backend, service: "frontend", dnsNames: ["localhost"] });
  const peer = await verifyRaTlsCertificate(cert.certDer, { now: new Date(), policy, service: "frontend" });
  assert.equal(peer.service, "frontend");
  assert.equal(peer.tee, "simulation");
  assert.equal(peer.measurement, backend.mrEnclave.toString("hex"));
  assert.equal(peer.signer, (await backend.mrSigner()).toString("hex"));
  assert.equal(peer.debug, true);
  assert.equal(peer.certificate.serialHex, cert.serialHex);
  assert.equal(peer.certificate.spkiSha256, cert.spkiSha256);
  // An ordinary X.509 parser reads it and the self-signature verifies. (From PEM: given DER bytes,
  // Node's X509Certificate parses the first PEM block it finds inside them, i.e. the quote's PCK cert.)
  const x509 = new X509Certificate(cert.certPem);
  assert.deepEqual(x509.raw, cert.certDer);
  assert.ok(x509.verify(x509.publicKey));
  assert.equal(x509.subjectAltName, "DNS:localhost");
});

test("the certificate follows the interoperable layout: CBOR tag([evidence, claims]), report_data = SHA-256(claims) ‖ 0³²", async () => {
  const cert = await issueRaTlsCertificate({
    backend: deployment.backend("frontend"),
    service: "frontend",
    nonce: Buffer.from("n0nce"),
  });
  const parsed = parseCertificate(cert.certDer);
  const ext = parsed.extensions.find((e) => e.oid === RATLS_EVIDENCE_OID);
  assert.ok(ext && !ext.critical);
  const { evidence, claims } = decodeEvidenceExtension(ext.value);
  assert.equal(evidence.format, "sim-v1");
  const spkiHash = createHash("sha256").update(parsed.spki).digest();
  // "pubkey-hash": bstr(CBOR [1, bstr(SHA-256(SPKI))]) exactly as Gramine and the Intel SDK write it.
  const pubkeyHash = Buffer.concat([
    Buffer.from("6b", "hex"),
    Buffer.from("pubkey-hash"),
    Buffer.from("5824820158 20".replace(" ", ""), "hex"),
    spkiHash,
  ]);
  assert.ok(Buffer.from(claims).includes(pubkeyHash));
  const reportData = Buffer.from(evidence.raw).subarray(368, 432);
  assert.deepEqual(
    reportData,
    Buffer.concat([createHash("sha256").update(claims).digest(), Buffer.alloc(32)]),
  );
  const peer = await verifyRaTlsCertificate(cert.certDer, {
    now: new Date(),
    policy: await deployment.policy(["frontend"]),
  });
  assert.equal(peer.nonce, Buffer.from("n0nce").toString("hex"));
});

test("Intel quotes are tagged 60000 (d9 ea 60), as Gramine and the Intel SGX SDK do", () => {
  const claims = encodeClaims({ pubkeyHash: { alg: 1, digest: Buffer.alloc(32) }, service: "x", tee: "sgx" });
  const quote = Buffer.alloc(48);
  quote.writeUInt16LE(3, 0);
  const value = encodeEvidenceExtension({ format: "sgx-dcap-quote", raw: quote }, claims);
  assert.equal(value.subarray(0, 4).toString("hex"), "d9ea6082");
  assert.equal(decodeEvidenceExtension(value).evidence.format, "sgx-dcap-quote");
  quote.writeUInt32LE(0x81, 4);
  assert.equal(
    decodeEvidenceExtension(encodeEvidenceExtension({ format: "tdx-dcap-quote", raw: quote }, claims))
      .evidence.format,
    "tdx-dcap-quote",
  );
});

test("evidence under a different OID is refused", async () => {
  const genuine = parseCertificate(
    (await issueRaTlsCertificate({ backend: deployment.backend("frontend"), service: "frontend" })).certDer,
  );
  const value = genuine.extensions.find((e) => e.oid === RATLS_EVIDENCE_OID)!.value;
  const policy = await deployment.policy(["frontend"]);
  for (const oid of ["1.2.840.113741.1337.6", "2.16.840.1.113730.1.13"]) {
    await assert.rejects(
      verifyRaTlsCertificate(forge({ extensions: [{ oid, value }] }), { now: new Date(), policy }),
      refusedWith("EVIDENCE_UNSUPPORTED_OID"),
    );
  }
  await assert.rejects(
    verifyRaTlsCertificate(forge({ extensions: [{ oid: "1.3.6.1.4.1.99999.1", value }] }), {
      now: new Date(),
      policy,
    }),
    refusedWith("EVIDENCE_MISSING"),
  );
});

test("a stale certificate replayed after its validity is refused, as is one not yet valid", async () => {
  const cert = await issueRaTlsCertificate({
    backend: deployment.backend("frontend"),
    service: "frontend",
    validityMs: 3600_000,
  });
  const policy = await deployment.policy(["frontend"]);
  await assert.rejects(
    verifyRaTlsCertificate(cert.certDer, { now: new Date(cert.notAfter.getTime() + 1000), policy }),
    refusedWith("CERT_EXPIRED"),
  );
  await assert.rejects(
    verifyRaTlsCertificate(cert.certDer, { now: new Date(cert.notBefore.getTime() - 1000), policy }),
    refusedWith("CERT_NOT_YET_VALID"),
  );
});

test("a certificate with an overlong lifetime is refused", async () => {
  const genuine = parseCertificate(
    (await issueRaTlsCertificate({ backend: deployment.backend("frontend"), service: "frontend" })).certDer,
  );
  const ext = genuine.extensions.find((e) => e.oid === RATLS_EVIDENCE_OID)!;
  const der = forge({ extensions: [ext], notAfter: new Date(Date.now() + 30 * 24 * 3600_000) });
  await assert.rejects(
    verifyRaTlsCertificate(der, { now: new Date(), policy: await deployment.policy(["frontend"]) }),
    refusedWith("CERT_VALIDITY_TOO_LONG"),
  );
});

test("a certificate whose self-signature is broken is refused", async () => {
  const der = Buffer.from(
    (await issueRaTlsCertificate({ backend: deployment.backend("frontend"), service: "frontend" })).certDer,
  );
  der[der.length - 5]! ^= 0x01;
  await assert.rejects(
    verifyRaTlsCertificate(der, { now: new Date(), policy: await deployment.policy(["frontend"]) }),
    refusedWith("CERT_SIGNATURE_INVALID"),
  );
});

test("genuine evidence copied into a certificate for another key is refused (pubkey-hash)", async () => {
  const genuine = parseCertificate(
    (await issueRaTlsCertificate({ backend: deployment.backend("frontend"), service: "frontend" })).certDer,
  );
  const ext = genuine.extensions.find((e) => e.oid === RATLS_EVIDENCE_OID)!;
  await assert.rejects(
    verifyRaTlsCertificate(forge({ extensions: [ext] }), {
      now: new Date(),
      policy: await deployment.policy(["frontend"]),
    }),
    refusedWith("PUBKEY_HASH_MISMATCH"),
  );
});

test("genuine evidence with rewritten claims for the attacker's key is refused (report_data binding)", async () => {
  const genuine = parseCertificate(
    (await issueRaTlsCertificate({ backend: deployment.backend("frontend"), service: "frontend" })).certDer,
  );
  const { evidence } = decodeEvidenceExtension(
    genuine.extensions.find((e) => e.oid === RATLS_EVIDENCE_OID)!.value,
  );
  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = keys.publicKey.export({ type: "spki", format: "der" });
  const claims = encodeClaims({
    pubkeyHash: { alg: 1, digest: createHash("sha256").update(spki).digest() },
    service: "frontend",
    tee: "simulation",
  });
  const der = forge({
    keys,
    extensions: [{ oid: RATLS_EVIDENCE_OID, value: encodeEvidenceExtension(evidence, claims) }],
  });
  const policy = await deployment.policy(["frontend"]);
  await assert.rejects(
    verifyRaTlsCertificate(der, { now: new Date(), policy }),
    refusedWith("EVIDENCE_REJECTED", "REPORT_DATA_MISMATCH"),
  );
  // Even an evidence verifier that forgot to compare report data cannot be tricked.
  const lax: EvidenceVerifier<Policy, EvidenceCollateral> = (ev, check) =>
    verifyEvidence(ev, { ...check, expectedReportData: Buffer.from(ev.raw).subarray(368, 432) });
  await assert.rejects(
    verifyRaTlsCertificate(der, { now: new Date(), policy, verify: lax }),
    refusedWith("REPORT_DATA_MISMATCH"),
  );
});

test("a certificate for another service than expected is refused", async () => {
  const cert = await issueRaTlsCertificate({ backend: deployment.backend("storage"), service: "storage" });
  await assert.rejects(
    verifyRaTlsCertificate(cert.certDer, {
      now: new Date(),
      policy: await deployment.policy(["storage", "frontend"]),
      service: "frontend",
    }),
    refusedWith("SERVICE_MISMATCH"),
  );
});

test("claims naming another service than the code's policy entry are refused by measurement", async () => {
  // The storage code claims to be the frontend: its MRENCLAVE is not the frontend's.
  const cert = await issueRaTlsCertificate({ backend: deployment.backend("storage"), service: "frontend" });
  await assert.rejects(
    verifyRaTlsCertificate(cert.certDer, {
      now: new Date(),
      policy: await deployment.policy(["storage", "frontend"]),
      service: "frontend",
    }),
    refusedWith("EVIDENCE_REJECTED", "MEASUREMENT_NOT_ALLOWED"),
  );
});

test("simulation evidence is refused under a production policy", async () => {
  const cert = await issueRaTlsCertificate({ backend: deployment.backend("frontend"), service: "frontend" });
  const policy = deployment.productionPolicy(["frontend"]);
  await assert.rejects(
    verifyRaTlsCertificate(cert.certDer, { now: new Date(), policy }),
    refusedWith("EVIDENCE_REJECTED", "SIMULATION_REFUSED"),
  );
});

test("simulation evidence from another deployment (another simulation root) is refused", async () => {
  const other = new SimDeployment();
  try {
    const cert = await issueRaTlsCertificate({ backend: other.backend("frontend"), service: "frontend" });
    await assert.rejects(
      verifyRaTlsCertificate(cert.certDer, {
        now: new Date(),
        policy: await deployment.policy(["frontend"]),
      }),
      refusedWith("EVIDENCE_REJECTED", "SIMULATION_REFUSED"),
    );
  } finally {
    other.cleanup();
  }
});

test("claims naming another TEE than the evidence proves are refused", async () => {
  const sim = deployment.backend("frontend");
  const pretending: AttestationBackend = {
    kind: "sgx-gramine",
    detect: sim.detect.bind(sim),
    getEvidence: sim.getEvidence.bind(sim),
    sealingSecret: sim.sealingSecret.bind(sim),
  };
  const cert = await issueRaTlsCertificate({ backend: pretending, service: "frontend" });
  // The evidence is simulation's, but the CBOR tag says Intel quote: re-tag it as sim-v1 so only the tee claim lies.
  const parsed = parseCertificate(cert.certDer);
  const { evidence, claims } = decodeEvidenceExtension(
    parsed.extensions.find((e) => e.oid === RATLS_EVIDENCE_OID)!.value,
  );
  const keyed = forge({
    keys: {
      privateKey: cert.privateKey,
      publicKey: (await import("node:crypto")).createPublicKey(cert.privateKey),
    } as never,
    extensions: [
      { oid: RATLS_EVIDENCE_OID, value: encodeEvidenceExtension({ ...evidence, format: "sim-v1" }, claims) },
    ],
  });
  await assert.rejects(
    verifyRaTlsCertificate(keyed, { now: new Date(), policy: await deployment.policy(["frontend"]) }),
    refusedWith("TEE_MISMATCH"),
  );
});

test("unknown critical extensions, garbage and oversized input are refused", async () => {
  const genuine = parseCertificate(
    (await issueRaTlsCertificate({ backend: deployment.backend("frontend"), service: "frontend" })).certDer,
  );
  const policy = await deployment.policy(["frontend"]);
  const ext = genuine.extensions.find((e) => e.oid === RATLS_EVIDENCE_OID)!;
  await assert.rejects(
    verifyRaTlsCertificate(
      forge({
        extensions: [ext, { oid: "1.3.6.1.4.1.99999.7", critical: true, value: Buffer.from([5, 0]) }],
      }),
      { now: new Date(), policy },
    ),
    refusedWith("CERT_UNKNOWN_CRITICAL_EXTENSION"),
  );
  await assert.rejects(
    verifyRaTlsCertificate(Buffer.from("not a certificate"), { now: new Date(), policy }),
    refusedWith("CERT_MALFORMED"),
  );
  await assert.rejects(
    verifyRaTlsCertificate(genuine.der.subarray(0, 200), { now: new Date(), policy }),
    refusedWith("CERT_MALFORMED"),
  );
  await assert.rejects(
    verifyRaTlsCertificate(Buffer.alloc(70_000), { now: new Date(), policy }),
    refusedWith("CERT_MALFORMED"),
  );
});

test("issuance validates its inputs", async () => {
  const backend = deployment.backend("frontend");
  await assert.rejects(
    issueRaTlsCertificate({ backend, service: "Bad Name" }),
    refusedWith("INVALID_ARGUMENT"),
  );
  await assert.rejects(
    issueRaTlsCertificate({ backend, service: "frontend", validityMs: 8 * 24 * 3600_000 }),
    refusedWith("INVALID_ARGUMENT"),
  );
  await assert.rejects(
    issueRaTlsCertificate({ backend, service: "frontend", nonce: Buffer.alloc(65) }),
    refusedWith("INVALID_ARGUMENT"),
  );
});
