#!/usr/bin/env node
// Per-connection cost of attested TLS next to plain TLS, on the same http2 server stack, same run.
//
//   npx tsc -b packages/attestation && node bench/ratls-handshake.js [--connections 200] [--warmup 30] [--rounds 5]
//
// Every sample is one new connection: TCP + TLS 1.3 handshake + one http2 GET + close, client and
// server in this process on loopback. Modes:
//   plain   http2.createSecureServer + http2.connect with no certificate checks (the reference);
//   ra-tls  the same server built by createAttestedServer (public mode), the client verifying the
//           server's RA-TLS certificate (simulation evidence: PCK chain, QE report, quote signature,
//           claims binding, policy) before http2 starts;
//   mutual  both sides present RA-TLS certificates and each verifies the other.
// All modes use the same ECDSA P-256 RA-TLS certificate (~4.4 KiB with its quote), so the
// difference is verification and the held handshake events, not certificate size. Modes alternate
// in rounds so machine noise hits each alike; the table reports the median and p90 per connection.
import { Buffer } from "node:buffer";
import http2 from "node:http2";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import {
  SimulationBackend,
  createAttestedConnector,
  createAttestedServer,
  issueRaTlsCertificate,
  parsePolicy,
  raTlsPeerVerifier,
  verifyRaTlsCertificate,
} from "../packages/attestation/dist/index.js";

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const CONNECTIONS = arg("connections", 200);
const WARMUP = arg("warmup", 30);
const ROUNDS = arg("rounds", 5);

const dir = mkdtempSync(join(tmpdir(), "mesatee-bench-ratls-"));
const backend = (service) =>
  new SimulationBackend({ dir, service, codeDigest: "11".repeat(32), configDigest: "22".repeat(32) });
const frontend = backend("frontend");
const management = backend("management");
const policy = parsePolicy({
  version: 1,
  allowSimulation: true,
  trustAnchors: { simulationRootSha256: await frontend.rootSha256() },
  services: {
    frontend: { tee: "sgx", mrenclave: [frontend.mrEnclave.toString("hex")], allowDebug: true },
    management: { tee: "sgx", mrenclave: [management.mrEnclave.toString("hex")], allowDebug: true },
  },
});
const creds = async (b, service) => {
  const c = await issueRaTlsCertificate({ backend: b, service });
  return { key: c.keyPem, cert: c.certPem };
};
const serverCert = await creds(frontend, "frontend");
const serverDer = Buffer.from(serverCert.cert.replace(/-----[^-]+-----|\s/g, ""), "base64");
const clientCert = await creds(management, "management");

async function listen(server) {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return new URL(`https://127.0.0.1:${server.address().port}`);
}
const handler = (_req, res) => res.end("ok");

// plain: the stack without attestation.
const plainServer = http2.createSecureServer({ ...serverCert, minVersion: "TLSv1.3" }, handler);
const plainUrl = await listen(plainServer);
// ra-tls: public mode, client verifies the server.
const publicServer = createAttestedServer(
  { mode: "public", certificates: serverCert, http2: { minVersion: "TLSv1.3" } },
  handler,
).server;
const publicUrl = await listen(publicServer);
const publicConnector = createAttestedConnector({
  verifyServer: raTlsPeerVerifier({ policy, service: "frontend" }),
});
// mutual: both sides verify.
const mutualServer = createAttestedServer(
  {
    mode: "mutual",
    certificates: serverCert,
    verifyPeer: raTlsPeerVerifier({ policy }),
    allowedServices: ["management"],
  },
  handler,
).server;
const mutualUrl = await listen(mutualServer);
const mutualConnector = createAttestedConnector({
  verifyServer: raTlsPeerVerifier({ policy, service: "frontend" }),
  certificates: clientCert,
});

const modes = {
  plain: () => http2.connect(plainUrl, { rejectUnauthorized: false, minVersion: "TLSv1.3" }),
  "ra-tls": () => http2.connect(publicUrl, { createConnection: publicConnector.createConnection }),
  mutual: () => http2.connect(mutualUrl, { createConnection: mutualConnector.createConnection }),
};

async function oneConnection(connect) {
  const session = connect();
  try {
    await new Promise((resolve, reject) => {
      session.once("error", reject);
      const req = session.request({ ":path": "/" });
      req.on("error", reject);
      req.on("response", (h) =>
        h[":status"] === 200 ? undefined : reject(new Error(`status ${h[":status"]}`)),
      );
      req.resume();
      req.on("end", resolve);
      req.end();
    });
  } finally {
    session.close();
  }
}

const samples = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
for (const connect of Object.values(modes)) for (let i = 0; i < WARMUP; i++) await oneConnection(connect);
const perRound = Math.ceil(CONNECTIONS / ROUNDS);
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, connect] of Object.entries(modes)) {
    for (let i = 0; i < perRound; i++) {
      const t0 = performance.now();
      await oneConnection(connect);
      samples[name].push(performance.now() - t0);
    }
  }
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const p50 = Object.fromEntries(Object.entries(samples).map(([m, xs]) => [m, pct(xs, 50)]));
console.log(
  `attested TLS, per connection (TCP + TLS 1.3 + one http2 GET), ms: ${perRound * ROUNDS} connections per mode after ${WARMUP} warm-up; ${cpus().length} x ${cpus()[0]?.model.trim()}; node ${process.version}`,
);
console.log("mode      p50     p90     ratio p50 vs plain");
for (const [m, xs] of Object.entries(samples)) {
  console.log(
    `${m.padEnd(8)} ${pct(xs, 50).toFixed(2).padStart(6)}  ${pct(xs, 90).toFixed(2).padStart(6)}   ${(p50[m] / p50.plain).toFixed(2)}x`,
  );
}

// For scale: the verification alone (certificate checks + verifyEvidence), no network.
const verifySamples = [];
for (let i = 0; i < WARMUP + CONNECTIONS; i++) {
  const t0 = performance.now();
  await verifyRaTlsCertificate(serverDer, { now: new Date(), policy, service: "frontend" });
  if (i >= WARMUP) verifySamples.push(performance.now() - t0);
}
console.log(
  `verifyRaTlsCertificate alone: p50 ${pct(verifySamples, 50).toFixed(2)} ms, p90 ${pct(verifySamples, 90).toFixed(2)} ms`,
);

for (const s of [plainServer, publicServer, mutualServer]) s.close();
rmSync(dir, { recursive: true, force: true });
