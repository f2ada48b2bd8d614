// Distributed mode: every service in its own process on loopback, all internal connections mutually
// attested; a task runs end to end through the public API; unattested and wrong-service callers are refused.
// Run once with each storage backend (distributed.test.ts, distributed-postgres.test.ts).
import assert from "node:assert/strict";
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { createAttestedConnector, raTlsPeerVerifier, loadSignedPolicyDir } from "@mesatee/attestation";
import {
  configDigests,
  defaultConfig,
  loadServiceConfig,
  openServiceIdentity,
  withLimits,
} from "@mesatee/platform";
import { runEcho, startPostgres, type PostgresCluster } from "@mesatee/platform/testing";
import { common, MesateeClient } from "@mesatee/sdk";

const BIN = fileURLToPath(new URL("../../bin/mesatee.js", import.meta.url));
const run = promisify(execFile);
const ADMIN_PASSWORD = "distributed-admin";

export interface DistributedSuiteOptions {
  /** Share state through PostgreSQL (database_url) instead of SQLite in the data directory. */
  readonly postgres?: boolean;
}

export function distributedSuite(options: DistributedSuiteOptions = {}): void {
  const dir = mkdtempSync(join(tmpdir(), "mesatee-distributed-"));
  const children: ChildProcess[] = [];
  const childOf: Record<string, ChildProcess> = {};
  const ports: Record<string, number> = {};
  let cluster: PostgresCluster | undefined;
  let databaseUrl: string | undefined;

  // Services listen on port 0 and announce the address they got, so no other test can take a port between
  // choosing it and binding it; the services that call others are configured once those addresses are known.
  async function start(service: string): Promise<URL[]> {
    const child = spawn(process.execPath, [BIN, "serve", service, "--config", join(dir, "mesatee.toml")], {
      env: { ...process.env, MESATEE_ADMIN_PASSWORD: ADMIN_PASSWORD },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    childOf[service] = child;
    child.stderr!.pipe(process.stderr);
    const [line] = (await Promise.race([
      once(child.stdout!, "data"),
      once(child, "exit").then(([code]) => {
        throw new Error(`${service} exited with ${code}`);
      }),
    ])) as [Buffer];
    const announced = line.toString().trim();
    assert.match(announced, new RegExp(`^${service} serving`));
    return [...announced.matchAll(/https:\/\/\S+/g)].map(([u]) => new URL(u));
  }

  const port = (u: URL | undefined): number => Number(u!.port);

  function writeConfig(): void {
    const at = (name: string) => `127.0.0.1:${ports[name] ?? 0}`;
    writeFileSync(
      join(dir, "mesatee.toml"),
      `data_dir = "${join(dir, "data")}"
${databaseUrl ? `database_url = "${databaseUrl}"\n` : ""}
  [limits]
  file_url_roots = ["${join(dir, "files")}"]
  task_timeout_ms = 120000

  [authentication]
  listen = "${at("auth")}"
  internal_listen = "${at("authInternal")}"

  [frontend]
  listen = "${at("frontend")}"
  authentication_url = "https://${at("authInternal")}"
  management_url = "https://${at("management")}"

  [management]
  internal_listen = "${at("management")}"

  [scheduler]
  internal_listen = "${at("scheduler")}"

  [execution]
  scheduler_url = "https://${at("scheduler")}"
  slots = 1
  `,
    );
  }

  before(async () => {
    if (options.postgres) {
      cluster = await startPostgres();
      databaseUrl = (await cluster.createDatabase()).url;
    }
    mkdirSync(join(dir, "files"));
    writeConfig();
    await run(process.execPath, [BIN, "init", "--config", join(dir, "mesatee.toml")]);
    // Authentication first: it creates the admin account and the token signing key.
    const [auth, authInternal] = await start("authentication");
    const [management, scheduler] = (await Promise.all(["management", "scheduler"].map(start))).map(
      (u) => u[0],
    );
    Object.assign(ports, {
      auth: port(auth),
      authInternal: port(authInternal),
      management: port(management),
      scheduler: port(scheduler),
    });
    writeConfig();
    const [frontend] = await Promise.all(["frontend", "execution"].map(start));
    ports.frontend = port(frontend?.[0]);
  });

  after(async () => {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.exitCode === null ? once(c, "exit") : undefined)));
    rmSync(dir, { recursive: true, force: true });
    await cluster?.stop();
  });

  const clientDir = () => join(dir, "data", "client");
  /** A client of the deployment's public endpoints, verifying them with its client directory. */
  const newClient = () =>
    MesateeClient.fromClientDir({
      authenticationUrl: `https://127.0.0.1:${ports.auth}`,
      frontendUrl: `https://127.0.0.1:${ports.frontend}`,
      clientDir: clientDir(),
    });

  /** The next line a service writes about a refused caller (its operator's view of a refusal). */
  function refusalReported(service: string): Promise<string> {
    const stderr = childOf[service]!.stderr!;
    return new Promise((resolve) => {
      let text = "";
      const onData = (chunk: Buffer) => {
        text += chunk.toString();
        const line = text.split("\n").find((l) => l.includes("refused a caller"));
        if (line === undefined) return;
        stderr.off("data", onData);
        resolve(line);
      };
      stderr.on("data", onData);
    });
  }

  /** What a request on an internal endpoint got: its response headers, or the error that ended it. */
  async function firstOutcome(session: http2.ClientHttp2Session): Promise<unknown> {
    const outcome = await new Promise<unknown>((resolve) => {
      session.on("error", resolve);
      session.on("close", () => resolve(new Error("the session was closed")));
      const req = session.request({
        ":path": "/teaclave_frontend_service_proto.TeaclaveFrontend/ListFunctions",
        ":method": "POST",
        "content-type": "application/grpc",
      });
      req.on("error", resolve);
      req.on("close", () => resolve(new Error("the stream was closed")));
      req.on("response", (headers) => resolve(headers));
      req.end();
    });
    session.destroy();
    return outcome;
  }

  void test("a task runs end to end across five attested processes", async () => {
    const client = newClient();
    try {
      await client.login("admin", ADMIN_PASSWORD);
      // The configuration's limits reach the management process...
      const cryptoInfo = { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) };
      const cmac = new Uint8Array(16);
      await client.frontend.registerInputFile({
        url: `file://${join(dir, "files", "in.enc")}`,
        cryptoInfo,
        cmac,
      });
      await assert.rejects(
        client.frontend.registerInputFile({ url: "file:///etc/passwd", cryptoInfo, cmac }),
        {
          code: "PERMISSION_DENIED",
        },
      );
      // ...and the worker, measured with them by `init`, is admitted by the scheduler: the task runs.
      const task = await runEcho(client, "across processes");
      assert.equal(common.TaskStatus[task.status], "Finished");
      assert.equal(
        task.result?.result.case === "Ok" && Buffer.from(task.result.result.value.returnValue).toString(),
        "across processes",
      );
      assert.equal(client.peer("frontend")?.service, "frontend");
      assert.equal(client.peer("authentication")?.service, "authentication");
      // State lives where the configuration says: one PostgreSQL database, or SQLite in the data dir.
      assert.equal(existsSync(join(dir, "data", "mesatee.db")), !options.postgres);
      // Refusals at the frontend are audited in the shared log.
      const other = newClient();
      other.setCredential({ id: "admin", token: "forged" });
      await assert.rejects(other.frontend.getTask({ taskId: task.taskId }), { code: "UNAUTHENTICATED" });
      other.close();
      const { logs } = await client.frontend.queryAuditLogs({
        query: "api:get_task result:false",
        limit: 10n,
      });
      assert.ok(logs.some((l) => l.user === "admin" && /UNAUTHENTICATED/.test(l.message)));
    } finally {
      client.close();
    }
  });

  void test("an internal endpoint refuses a caller without an RA-TLS certificate", async () => {
    const refusal = refusalReported("management");
    const session = http2.connect(`https://127.0.0.1:${ports.management}`, { rejectUnauthorized: false });
    const outcome = await firstOutcome(session);
    assert.ok(outcome instanceof Error, `the request got a response: ${JSON.stringify(outcome)}`);
    // The operator learns why; the caller only saw its connection close.
    assert.match(await refusal, /management: refused a caller \(PEER_CERT_MISSING\)/);
  });

  void test("an internal endpoint refuses an attested service that is not on its allow-list", async () => {
    const policy = loadSignedPolicyDir(clientDir()).policy;
    // An execution worker's identity may call the scheduler, not management.
    const identity = await openServiceIdentity({
      attestationDir: join(dir, "data", "attestation"),
      service: "execution",
      // A genuine execution worker of this deployment: measured with the file's limits, as `init` measured it.
      configDigest: configDigests(
        withLimits(
          defaultConfig({ dataDir: join(dir, "data") }),
          loadServiceConfig(join(dir, "mesatee.toml")).limits,
        ),
      ).execution,
    });
    try {
      const connector = createAttestedConnector({
        verifyServer: raTlsPeerVerifier({ policy, service: "management" }),
        certificates: identity.certificates,
      });
      const refusal = refusalReported("management");
      const session = http2.connect(`https://127.0.0.1:${ports.management}`, {
        createConnection: connector.createConnection as never,
      });
      const outcome = await firstOutcome(session);
      assert.ok(outcome instanceof Error, `the request got a response: ${JSON.stringify(outcome)}`);
      assert.match(await refusal, /management: refused a caller \(SERVICE_NOT_ALLOWED\).*"execution"/);
    } finally {
      identity.certificates.stop();
    }
  });

  void test("the callers internal endpoints refused are in the audit log", async () => {
    const client = newClient();
    try {
      await client.login("admin", ADMIN_PASSWORD);
      const { logs } = await client.frontend.queryAuditLogs({
        query: "api:internal_connection object:management result:false",
        limit: 100n,
      });
      const reasons = logs.map((l) => l.message);
      assert.ok(
        reasons.some((r) => r.includes("PEER_CERT_MISSING")),
        reasons.join("; "),
      );
      assert.ok(
        reasons.some((r) => r.includes("SERVICE_NOT_ALLOWED")),
        reasons.join("; "),
      );
      // The log, written by several processes, is one intact chain: management checks it for the admin.
      assert.equal((await client.auditLog.verifyAuditLog({})).intact, true);
    } finally {
      client.close();
    }
  });
}
