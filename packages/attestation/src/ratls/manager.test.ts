import { test, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import tls from "node:tls";
import { CertificateManager } from "./manager.js";
import type { RaTlsCertificate } from "./certificate.js";
import { isRaTlsError } from "./errors.js";
import { SimDeployment } from "./testing/fixtures.js";
import type { AttestationBackend } from "../backends/types.js";

const deployment = new SimDeployment();
after(() => deployment.cleanup());

/** The renewal timer is unref'd by design; hold the event loop open while a test awaits it. */
async function awaitEvent(emitter: CertificateManager, event: string): Promise<unknown[]> {
  const hold = setInterval(() => undefined, 60_000);
  try {
    return await once(emitter, event);
  } finally {
    clearInterval(hold);
  }
}

test("rotate() issues a new key and certificate and installs it in attached servers", async () => {
  const manager = new CertificateManager({ backend: deployment.backend("frontend"), service: "frontend" });
  const first = await manager.start();
  assert.equal(await manager.start(), first, "start() is idempotent");
  const server = tls.createServer({ ...manager.secureContextOptions(), minVersion: "TLSv1.3" });
  const installed: string[] = [];
  const setSecureContext = server.setSecureContext.bind(server);
  server.setSecureContext = (options) => {
    installed.push(String(options.cert));
    assert.equal(options.minVersion, "TLSv1.3", "the server's other context options are kept");
    setSecureContext(options);
  };
  const detach = manager.attach(server, { minVersion: "TLSv1.3" });
  const [second, third] = await Promise.all([manager.rotate(), manager.rotate()]);
  assert.equal(second, third, "concurrent rotations share one issuance");
  assert.notEqual(second.serialHex, first.serialHex);
  assert.notEqual(second.spkiSha256, first.spkiSha256);
  assert.equal(manager.current(), second);
  assert.deepEqual(installed, [first.certPem, second.certPem]);
  detach();
  await manager.rotate();
  assert.equal(installed.length, 2, "a detached server is left alone");
  manager.stop();
});

test("the manager renews on its own before expiry", async () => {
  // renewBeforeMs = validity: every certificate is inside its renewal window as soon as it is issued.
  const manager = new CertificateManager({
    backend: deployment.backend("frontend"),
    service: "frontend",
    validityMs: 3600_000,
    renewBeforeMs: 3600_000,
  });
  const first = await manager.start();
  const [second] = (await awaitEvent(manager, "rotated")) as [RaTlsCertificate];
  assert.notEqual(second.serialHex, first.serialHex);
  manager.stop();
});

test("a failed renewal is reported and the current certificate stays in use", async () => {
  const sim = deployment.backend("frontend");
  let fail = false;
  const flaky: AttestationBackend = {
    kind: "simulation",
    detect: async () => true,
    getEvidence: async (rd) => {
      if (fail) throw new Error("quote provider down");
      return sim.getEvidence(rd);
    },
    sealingSecret: (b) => sim.sealingSecret(b),
  };
  const manager = new CertificateManager({
    backend: flaky,
    service: "frontend",
    validityMs: 3600_000,
    renewBeforeMs: 3600_000,
    retryDelayMs: 3600_000,
  });
  fail = false;
  const first = await manager.start();
  fail = true;
  const [err] = await awaitEvent(manager, "rotationFailed");
  assert.ok(isRaTlsError(err, "ISSUE_FAILED"));
  assert.equal(manager.current(), first);
  manager.stop();
  assert.throws(
    () => new CertificateManager({ backend: flaky, service: "frontend" }).current(),
    (e) => isRaTlsError(e, "INVALID_ARGUMENT"),
  );
});
