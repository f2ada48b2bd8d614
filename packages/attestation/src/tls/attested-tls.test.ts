import { test, after } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import http2 from "node:http2";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createAttestedServer, PEER_REFUSED_EVENT } from "./server.js";
import { createAttestedConnector, type AttestedConnector } from "./client.js";
import { raTlsPeerVerifier } from "./verifiers.js";
import type { PeerVerifier } from "./peer.js";
import { issueRaTlsCertificate } from "../ratls/certificate.js";
import { CertificateManager } from "../ratls/manager.js";
import { isRaTlsError, RaTlsError, type RaTlsErrorCode } from "../ratls/errors.js";
import type { RaTlsPeer } from "../ratls/verify.js";
import { buildCertificate, serialFrom, toPem } from "../ratls/x509.js";
import type { Policy } from "../policy/schema.js";
import { SimDeployment } from "../ratls/testing/fixtures.js";

const deployment = new SimDeployment();
after(() => deployment.cleanup());
const SERVICES = ["frontend", "management", "scheduler", "storage"];
const policy = await deployment.policy(SERVICES);
const productionPolicy = deployment.productionPolicy(SERVICES);

function verifierFor(service?: string, p: Policy = policy): PeerVerifier<RaTlsPeer> {
  return raTlsPeerVerifier({ policy: p, ...(service ? { service } : {}) });
}

async function raTls(service: string, version = 1): Promise<{ key: string; cert: string }> {
  const c = await issueRaTlsCertificate({ backend: deployment.backend(service, version), service });
  return { key: c.keyPem, cert: c.certPem };
}

/** An ordinary self-signed certificate: TLS works, attestation does not. */
function plainCert(): { key: string; cert: string } {
  const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const name = [["CN", "localhost"]] as const;
  const der = buildCertificate({
    serial: serialFrom(randomBytes(16)),
    subject: name,
    issuer: name,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3600_000),
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    extensions: [],
  });
  return { key: keys.privateKey.export({ type: "pkcs8", format: "pem" }) as string, cert: toPem(der) };
}

async function listen(server: tls.Server | http2.Http2SecureServer): Promise<URL> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return new URL(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

async function close(server: tls.Server | http2.Http2SecureServer): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** One GET over a fresh http2 session made by `connector`; resolves with the body and the session's peer. */
async function get<I>(
  url: URL,
  connector: AttestedConnector<I>,
  session?: http2.ClientHttp2Session,
): Promise<{ body: string; peer: I | undefined }> {
  const own = session === undefined;
  const s = session ?? http2.connect(url, { createConnection: connector.createConnection });
  try {
    const body = await new Promise<string>((resolve, reject) => {
      s.once("error", reject);
      const req = s.request({ ":path": "/" });
      req.on("error", reject);
      let responded = false;
      req.on("response", () => (responded = true));
      // A server that drops the connection ends the stream with a reset code and no response.
      req.on("close", () => {
        if (!responded) reject(new Error(`stream closed without a response (code ${req.rstCode})`));
      });
      let data = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (data += chunk));
      req.on("end", () =>
        responded
          ? resolve(data)
          : reject(new Error(`stream ended without a response (code ${req.rstCode})`)),
      );
      req.end();
    });
    return { body, peer: connector.peerOf(s) };
  } finally {
    if (own) s.close();
  }
}

/** A TLS endpoint that records every application byte a client sends it. */
async function recordingServer(credentials: { key: string; cert: string }): Promise<{
  url: URL;
  received: () => number;
  firstData: Promise<void>;
  closed: Promise<void>;
  server: tls.Server;
}> {
  let received = 0;
  let closeResolve!: () => void;
  let dataResolve!: () => void;
  const closed = new Promise<void>((r) => (closeResolve = r));
  const firstData = new Promise<void>((r) => (dataResolve = r));
  const server = tls.createServer({ ...credentials, ALPNProtocols: ["h2"] }, (socket) => {
    socket.on("data", (chunk: Buffer) => {
      received += chunk.length;
      dataResolve();
    });
    socket.on("error", () => undefined);
  });
  // The TCP connection's end, whether or not the TLS handshake completed on this side.
  server.on("connection", (tcp: import("node:net").Socket) => tcp.on("close", () => closeResolve()));
  server.on("tlsClientError", () => undefined);
  return { url: await listen(server), received: () => received, firstData, closed, server };
}

/** The RaTlsError behind an http2 failure (http2 wraps it as the cause of a stream cancel). */
function raTlsErrorIn(e: unknown): RaTlsError | undefined {
  for (let cur = e; cur instanceof Error; cur = cur.cause) if (cur instanceof RaTlsError) return cur;
  return undefined;
}

function refusedWith(code: RaTlsErrorCode, causeCode?: string) {
  return (e: unknown): boolean => {
    const err = raTlsErrorIn(e);
    assert.ok(err, `expected a RaTlsError, got ${String(e)}`);
    assert.equal(err.code, code, err.message);
    if (causeCode !== undefined) assert.equal((err.cause as { code?: string } | undefined)?.code, causeCode);
    return true;
  };
}

/** A mutual-mode attested server whose handler reports the verified caller. */
interface MutualServer {
  server: http2.Http2SecureServer;
  peerOf(target: unknown): RaTlsPeer | undefined;
  url: URL;
  handled(): number;
  sessions(): number;
  refusals: RaTlsError[];
}

async function mutualServer(
  service: string,
  allowedServices: string[],
  verifyTimeoutMs?: number,
): Promise<MutualServer> {
  let handled = 0;
  let sessions = 0;
  const refusals: RaTlsError[] = [];
  const attested: { server: http2.Http2SecureServer; peerOf(target: unknown): RaTlsPeer | undefined } =
    createAttestedServer<RaTlsPeer>(
      {
        mode: "mutual",
        certificates: await raTls(service),
        verifyPeer: verifierFor(),
        allowedServices,
        ...(verifyTimeoutMs ? { verifyTimeoutMs } : {}),
      },
      (req, res) => {
        handled++;
        const peer = attested.peerOf(req);
        assert.equal(attested.peerOf(req.socket), peer);
        assert.equal(attested.peerOf(req.stream), peer);
        res.end(JSON.stringify({ caller: peer?.service, measurement: peer?.measurement }));
      },
    );
  attested.server.on("session", () => sessions++);
  attested.server.on(PEER_REFUSED_EVENT, (err: RaTlsError) => refusals.push(err));
  const url = await listen(attested.server);
  return { ...attested, url, handled: () => handled, sessions: () => sessions, refusals };
}

test("public mode: a client that verifies the server's RA-TLS certificate gets its answer and the server's identity", async () => {
  let handled = 0;
  const attested: { server: http2.Http2SecureServer; peerOf(target: unknown): unknown } =
    createAttestedServer({ mode: "public", certificates: await raTls("frontend") }, (req, res) => {
      handled++;
      assert.equal(attested.peerOf(req), undefined, "public clients are anonymous at the TLS layer");
      res.end("hello");
    });
  const url = await listen(attested.server);
  try {
    const connector = createAttestedConnector({ verifyServer: verifierFor("frontend") });
    const { body, peer } = await get(url, connector);
    assert.equal(body, "hello");
    assert.equal(peer?.service, "frontend");
    assert.equal(peer?.measurement, deployment.backend("frontend").mrEnclave.toString("hex"));
    assert.equal(handled, 1);
  } finally {
    await close(attested.server);
  }
});

test("mutual mode: an allowed, verified service is served and the handler sees who it is", async () => {
  const srv = await mutualServer("management", ["frontend"]);
  try {
    const connector = createAttestedConnector({
      verifyServer: verifierFor("management"),
      certificates: await raTls("frontend"),
    });
    const { body, peer } = await get(srv.url, connector);
    assert.deepEqual(JSON.parse(body), {
      caller: "frontend",
      measurement: deployment.backend("frontend").mrEnclave.toString("hex"),
    });
    assert.equal(peer?.service, "management");
    assert.equal(srv.handled(), 1);
  } finally {
    await close(srv.server);
  }
});

test("mutual mode: a verified service that is not on the allow-list is refused before any session starts", async () => {
  const srv = await mutualServer("management", ["frontend"]);
  try {
    const connector = createAttestedConnector({
      verifyServer: verifierFor("management"),
      certificates: await raTls("scheduler"),
    });
    const refused = once(srv.server, PEER_REFUSED_EVENT);
    await assert.rejects(get(srv.url, connector));
    const [err] = await refused;
    assert.ok(isRaTlsError(err, "SERVICE_NOT_ALLOWED"));
    assert.equal(srv.handled(), 0);
    assert.equal(srv.sessions(), 0);
  } finally {
    await close(srv.server);
  }
});

test("mutual mode: clients without a certificate, with an unattested one, or with simulation evidence under a production policy are refused", async () => {
  const srv = await mutualServer("management", ["frontend"]);
  const strict = createAttestedServer<RaTlsPeer>(
    {
      mode: "mutual",
      certificates: await raTls("management"),
      verifyPeer: verifierFor(undefined, productionPolicy),
      allowedServices: ["frontend"],
    },
    () => assert.fail("handler must not run"),
  );
  const strictUrl = await listen(strict.server);
  try {
    const cases: [
      URL,
      tls.Server | http2.Http2SecureServer,
      { key: string; cert: string } | undefined,
      RaTlsErrorCode,
    ][] = [
      [srv.url, srv.server, undefined, "PEER_CERT_MISSING"],
      [srv.url, srv.server, plainCert(), "EVIDENCE_MISSING"],
      [strictUrl, strict.server, await raTls("frontend"), "EVIDENCE_REJECTED"],
    ];
    for (const [url, server, certificates, code] of cases) {
      const connector = createAttestedConnector({
        verifyServer: verifierFor("management"),
        ...(certificates ? { certificates } : {}),
      });
      const refused = once(server, PEER_REFUSED_EVENT);
      await assert.rejects(get(url, connector));
      const [err] = await refused;
      assert.ok(isRaTlsError(err, code), `${code}: ${String(err)}`);
    }
    assert.equal(srv.handled(), 0);
    assert.equal(srv.sessions(), 0);
  } finally {
    await close(srv.server);
    await close(strict.server);
  }
});

test("client: unattested server, wrong service, wrong measurement and simulation under a production policy are refused with no request byte sent", async () => {
  const cases: [string, { key: string; cert: string }, PeerVerifier<RaTlsPeer>, RaTlsErrorCode, string?][] = [
    ["unattested server", plainCert(), verifierFor("frontend"), "EVIDENCE_MISSING"],
    ["wrong service", await raTls("storage"), verifierFor("frontend"), "SERVICE_MISMATCH"],
    [
      "wrong measurement",
      await raTls("frontend", 2),
      verifierFor("frontend"),
      "EVIDENCE_REJECTED",
      "MEASUREMENT_NOT_ALLOWED",
    ],
    [
      "simulation under production policy",
      await raTls("frontend"),
      verifierFor("frontend", productionPolicy),
      "EVIDENCE_REJECTED",
      "SIMULATION_REFUSED",
    ],
  ];
  for (const [name, credentials, verifyServer, code, cause] of cases) {
    const endpoint = await recordingServer(credentials);
    try {
      const connector = createAttestedConnector({ verifyServer });
      await assert.rejects(get(endpoint.url, connector), refusedWith(code, cause), name);
      await endpoint.closed;
      assert.equal(endpoint.received(), 0, `${name}: bytes reached the server`);
    } finally {
      await close(endpoint.server);
    }
  }
});

test("the control: an attested server receives the request once verification passes", async () => {
  const endpoint = await recordingServer(await raTls("frontend"));
  try {
    const connector = createAttestedConnector({ verifyServer: verifierFor("frontend") });
    const s = http2.connect(endpoint.url, { createConnection: connector.createConnection });
    s.on("error", () => undefined);
    await once(s, "connect");
    assert.equal(connector.peerOf(s)?.service, "frontend");
    s.request({ ":path": "/" })
      .on("error", () => undefined)
      .end();
    await endpoint.firstData;
    // The http2 connection preface is the first thing a verified client sends.
    assert.ok(endpoint.received() >= 24);
    s.destroy();
  } finally {
    await close(endpoint.server);
  }
});

test("a verifier that never answers is cut off after verifyTimeoutMs", async () => {
  const endpoint = await recordingServer(await raTls("frontend"));
  try {
    const connector = createAttestedConnector({
      verifyServer: () => new Promise(() => undefined),
      verifyTimeoutMs: 50,
    });
    await assert.rejects(get(endpoint.url, connector), refusedWith("VERIFY_TIMEOUT"));
    assert.equal(endpoint.received(), 0);
  } finally {
    await close(endpoint.server);
  }
});

test("a client offering a saved TLS session still gets a full handshake and a fresh verification", async () => {
  let verifications = 0;
  const counting: PeerVerifier<RaTlsPeer> = async (der, socket) => {
    verifications++;
    return verifierFor()(der, socket);
  };
  const attested = createAttestedServer<RaTlsPeer>({
    mode: "mutual",
    certificates: await raTls("management"),
    verifyPeer: counting,
    allowedServices: ["frontend"],
  });
  const url = await listen(attested.server);
  try {
    const creds = await raTls("frontend");
    const connect = (session?: Buffer): tls.TLSSocket =>
      tls.connect({
        host: "127.0.0.1",
        port: Number(url.port),
        ...creds,
        rejectUnauthorized: false,
        ALPNProtocols: ["h2"],
        ...(session ? { session } : {}),
      });
    let admitted = once(attested.server, "session");
    const first = connect();
    // OpenSSL still hands out a (stateful) TLS 1.3 ticket; the point is that it never resumes.
    const [saved] = (await once(first, "session")) as [Buffer];
    await admitted;
    first.destroy();
    admitted = once(attested.server, "session");
    const second = connect(saved);
    await once(second, "secureConnect");
    assert.equal(second.isSessionReused(), false);
    await admitted;
    second.destroy();
    assert.equal(verifications, 2);
  } finally {
    await close(attested.server);
  }
});

test("certificate rotation under a live connection loop fails no request, and new connections see the new certificate", async () => {
  const manager = new CertificateManager({ backend: deployment.backend("frontend"), service: "frontend" });
  await manager.start();
  const attested = createAttestedServer({ mode: "public", certificates: manager }, (_req, res) =>
    res.end("ok"),
  );
  const url = await listen(attested.server);
  const connector = createAttestedConnector({ verifyServer: verifierFor("frontend") });
  const longLived = http2.connect(url, { createConnection: connector.createConnection });
  try {
    const serials = new Set<string>();
    let failures = 0;
    let requests = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        // Alternate fresh connections with requests on one long-lived connection.
        for (const session of [undefined, longLived]) {
          try {
            const { body, peer } = await get(url, connector, session);
            assert.equal(body, "ok");
            if (peer) serials.add(peer.certificate.serialHex);
            requests++;
          } catch {
            failures++;
          }
        }
      }
    })();
    for (let i = 0; i < 3; i++) {
      const target = requests + 4;
      await manager.rotate();
      while (requests < target) await new Promise((r) => setImmediate(r));
    }
    running = false;
    await loop;
    assert.equal(failures, 0);
    assert.ok(requests >= 12);
    assert.ok(serials.size >= 3, `saw ${serials.size} certificates`);
    assert.ok(serials.has(manager.current().serialHex));
  } finally {
    manager.stop();
    longLived.close();
    await close(attested.server);
  }
});
