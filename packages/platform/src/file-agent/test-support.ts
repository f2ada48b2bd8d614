// Helpers for the file agent's tests: real servers on OS-chosen loopback ports and a self-signed
// certificate. Not exported from index.ts.
import "reflect-metadata";
import assert from "node:assert/strict";
import { createHash, webcrypto } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as x509 from "@peculiar/x509";
import { FileAgentError, type FileAgentErrorCode } from "./index.js";

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;

export interface TestServer {
  /** `http://host:port` (or https), no trailing slash. */
  readonly origin: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: () => number;
  readonly close: () => Promise<void>;
}

async function start(server: Server, scheme: "http" | "https", host: string): Promise<TestServer> {
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return {
    origin: `${scheme}://${hostPart}:${port}`,
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function serveHttp(handler: Handler, host = "127.0.0.1"): Promise<TestServer> {
  return start(createHttpServer(handler), "http", host);
}

export function serveHttps(
  handler: Handler,
  identity: { key: string; cert: string },
  host = "127.0.0.1",
): Promise<TestServer> {
  return start(createHttpsServer(identity, handler), "https", host);
}

/** A self-signed ECDSA P-256 certificate for the IP address `ip`. */
export async function selfSignedIdentity(ip: string): Promise<{ key: string; cert: string }> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "01",
    name: "CN=file agent test",
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.SubjectAlternativeNameExtension([{ type: "ip", value: ip }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, "$&\n").replace(/\n$/, "")}\n-----END PRIVATE KEY-----\n`;
  return { key, cert: cert.toString("pem") };
}

/** Reads a request body whole (test bodies are small or hashed by the caller). */
export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Awaits `promise` and asserts it failed with a FileAgentError of `code`. */
export async function rejectsWith(
  promise: Promise<unknown>,
  code: FileAgentErrorCode,
): Promise<FileAgentError> {
  const error: unknown = await promise.then(
    () => assert.fail(`expected ${code}, but it succeeded`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FileAgentError, `expected a FileAgentError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return error;
}

/** An HTTP server for one test, closed after it. */
export async function server(t: TestContext, handler: Handler, host?: string): Promise<TestServer> {
  const s = await serveHttp(handler, host);
  t.after(() => s.close());
  return s;
}

/** A scratch directory for one test, removed after it. */
export async function scratch(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "file-agent-test-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Live memory (heap plus array buffers) after a full collection, so that garbage does not count but
 * buffered data does.
 */
export function liveMemory(): () => number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  return () => {
    gc();
    const usage = process.memoryUsage();
    return usage.heapUsed + usage.arrayBuffers;
  };
}

/**
 * A server answering every GET with `size` bytes (deterministic 64 KiB chunks), sampling the process's
 * live memory as it writes: `peak()` is the most it grew above where it was when the server started.
 */
export async function serveLargeBody(
  t: TestContext,
  size: number,
): Promise<{ server: TestServer; sha256: string; peak: () => number }> {
  const live = liveMemory();
  const chunkSize = 64 * 1024;
  const chunks = Math.ceil(size / chunkSize);
  const chunk = (i: number): Buffer => Buffer.alloc(Math.min(chunkSize, size - i * chunkSize), i % 251);
  const expected = createHash("sha256");
  for (let i = 0; i < chunks; i++) expected.update(chunk(i));
  const baseline = live();
  let peak = 0;
  const s = await server(t, (_request, response) => {
    response.writeHead(200, { "content-length": size });
    let i = 0;
    const pump = (): void => {
      while (i < chunks) {
        if (i % 64 === 0) peak = Math.max(peak, live() - baseline);
        if (!response.write(chunk(i++))) {
          response.once("drain", pump);
          return;
        }
      }
      response.end();
    };
    pump();
  });
  return { server: s, sha256: expected.digest("hex"), peak: () => peak };
}
