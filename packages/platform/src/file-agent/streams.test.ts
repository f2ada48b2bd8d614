// openDownload and uploadStream: the same transfers as download and upload, with a stream in place of
// the local file, and the same limits.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { FileAgent, FileAgentError, type FileAgentErrorCode } from "./index.js";
import { readBody, rejectsWith, scratch, serveLargeBody, server } from "./test-support.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Reads `stream` to its end; its bytes, or the error it failed with. */
async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test("openDownload streams a large body through a slow reader without holding it in memory", async (t) => {
  const size = 64 * MiB;
  const { server: s, sha256, peak } = await serveLargeBody(t, size);
  const body = await new FileAgent().openDownload(`${s.origin}/large.bin`);
  const hash = createHash("sha256");
  let received = 0;
  // A reader slower than the network, as a decryption writing to disk may be.
  await pipeline(
    body,
    new Writable({
      write(data: Buffer, _encoding, done) {
        hash.update(data);
        received += data.length;
        setImmediate(done);
      },
    }),
  );
  assert.equal(received, size);
  assert.equal(hash.digest("hex"), sha256);
  assert.ok(
    peak() < 16 * MiB,
    `live memory grew by ${(peak() / MiB).toFixed(1)} MiB during a 64 MiB download`,
  );
});

test("openDownload refuses a non-2xx answer, too many redirects and an announced overrun before any byte", async (t) => {
  const s = await server(t, (request, response) => {
    if (request.url === "/missing") response.writeHead(500);
    else if (request.url === "/loop") response.writeHead(302, { location: "/loop" });
    else response.writeHead(200, { "content-length": 5000 });
    response.end();
  });
  const agent = new FileAgent({ maxDownloadBytes: 4096 });
  assert.match((await rejectsWith(agent.openDownload(`${s.origin}/missing`), "HTTP_STATUS")).message, /500/);
  await rejectsWith(agent.openDownload(`${s.origin}/loop`), "TOO_MANY_REDIRECTS");
  await rejectsWith(agent.openDownload(`${s.origin}/big`), "TOO_LARGE");
  await rejectsWith(agent.openDownload("http://169.254.169.254/latest/meta-data/"), "NOT_ALLOWED");
});

test("an openDownload stream fails, never ends, when the body is short, cut, too large or stalls", async (t) => {
  const s = await server(t, (request, response) => {
    if (request.url === "/short") {
      response.writeHead(200, { "content-length": 1000 });
      response.write(Buffer.alloc(400, 1), () => request.socket.end());
    } else if (request.url === "/closed") {
      response.writeHead(200); // chunked
      response.write(Buffer.alloc(400, 1), () => request.socket.destroy());
    } else if (request.url === "/unannounced") {
      response.writeHead(200);
      response.end(Buffer.alloc(5000, 2));
    } else {
      response.writeHead(200, { "content-length": 10 * MiB });
      response.write(Buffer.alloc(MiB, 3));
    }
  });
  const agent = new FileAgent({ maxDownloadBytes: 4096, idleTimeoutMs: 300 });
  const fails = async (path: string, code: FileAgentErrorCode): Promise<FileAgentError> =>
    rejectsWith(drain(await agent.openDownload(`${s.origin}${path}`)), code);
  assert.match((await fails("/short", "SHORT_READ")).message, /after 400 of 1000 bytes/);
  await fails("/closed", "SHORT_READ");
  await fails("/unannounced", "TOO_LARGE");
  assert.match(
    (
      await rejectsWith(
        drain(await new FileAgent({ idleTimeoutMs: 300 }).openDownload(`${s.origin}/stall`)),
        "TIMEOUT",
      )
    ).message,
    /no activity/,
  );
});

test("an openDownload stream stops when aborted or destroyed, and the connection goes with it", async (t) => {
  let closed = 0;
  const s = await server(t, (request, response) => {
    request.socket.once("close", () => closed++);
    response.writeHead(200, { "content-length": 10 * MiB });
    response.write(Buffer.alloc(MiB, 4));
  });
  const agent = new FileAgent();
  const controller = new AbortController();
  const aborted = await agent.openDownload(`${s.origin}/a`, controller.signal);
  controller.abort();
  await rejectsWith(drain(aborted), "ABORTED");
  const destroyed = await agent.openDownload(`${s.origin}/b`);
  destroyed.destroy();
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(closed, 2);
  await rejectsWith(agent.openDownload(`${s.origin}/c`, AbortSignal.abort()), "ABORTED");
  assert.equal(s.connections(), 2);
});

test("openDownload reads data: and file: URLs within their limits", async (t) => {
  const dir = await scratch(t);
  const agent = new FileAgent({ fileRoots: [dir], maxDownloadBytes: 10 });
  assert.equal((await drain(await agent.openDownload("data:,hello"))).toString(), "hello");
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(dir, "small"), "0123456789");
  await writeFile(join(dir, "large"), "0123456789a");
  assert.equal(
    (await drain(await agent.openDownload(pathToFileURL(join(dir, "small")).href))).toString(),
    "0123456789",
  );
  await rejectsWith(agent.openDownload(pathToFileURL(join(dir, "large")).href), "TOO_LARGE");
  await rejectsWith(agent.openDownload(pathToFileURL(join(dir, "absent")).href), "NOT_FOUND");
});

test("uploadStream sends exactly the announced length as Content-Length", async (t) => {
  const received: Array<{ length: string | undefined; body: Buffer }> = [];
  const s = await server(t, async (request, response) => {
    received.push({ length: request.headers["content-length"], body: await readBody(request) });
    response.writeHead(201);
    response.end();
  });
  const content = randomBytes(3 * MiB + 5);
  const result = await new FileAgent().uploadStream(
    Readable.from([content.subarray(0, MiB), content.subarray(MiB)]),
    content.length,
    `${s.origin}/out?X-Amz-Signature=x`,
  );
  assert.deepEqual(result, { bytes: content.length });
  assert.equal(received.length, 1);
  assert.equal(received[0]!.length, String(content.length));
  assert.equal(received[0]!.body.length, content.length);
  assert.ok(received[0]!.body.equals(content));
});

test("uploadStream fails with IO when the body is longer or shorter than announced, or fails itself", async (t) => {
  const complete: number[] = [];
  const s = await server(t, (request, response) => {
    readBody(request).then(
      (body) => {
        complete.push(body.length);
        response.end();
      },
      () => undefined,
    );
  });
  const agent = new FileAgent();
  await rejectsWith(agent.uploadStream(Readable.from([Buffer.alloc(11)]), 10, `${s.origin}/long`), "IO");
  await rejectsWith(agent.uploadStream(Readable.from([Buffer.alloc(9)]), 10, `${s.origin}/short`), "IO");
  const failing = new PassThrough();
  failing.write(Buffer.alloc(5));
  setTimeout(() => failing.destroy(new Error("the encryption failed")), 50);
  const error = await rejectsWith(agent.uploadStream(failing, 10, `${s.origin}/failing`), "IO");
  assert.match(error.message, /the encryption failed/);
  assert.deepEqual(complete, [], "the server never received a complete body");
});

test("uploadStream refuses a non-2xx answer, a too-large length and a blocked address, and destroys the body", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, async (request, response) => {
    await readBody(request);
    response.writeHead(500);
    response.end();
  });
  const body = (): PassThrough => {
    const stream = new PassThrough();
    stream.end(Buffer.alloc(10));
    return stream;
  };
  const agent = new FileAgent({ maxUploadBytes: 10, fileRoots: [dir] });
  const refused = body();
  assert.match(
    (await rejectsWith(agent.uploadStream(refused, 10, `${s.origin}/x`), "HTTP_STATUS")).message,
    /500/,
  );
  assert.ok(refused.destroyed);
  const large = body();
  await rejectsWith(agent.uploadStream(large, 11, `${s.origin}/x`), "TOO_LARGE");
  assert.ok(large.destroyed);
  const blocked = body();
  await rejectsWith(agent.uploadStream(blocked, 10, "http://169.254.169.254/x"), "NOT_ALLOWED");
  assert.ok(blocked.destroyed);
  await rejectsWith(agent.uploadStream(body(), 10, "data:,x"), "UNSUPPORTED_SCHEME");
  // file: targets get the same length check and atomic write.
  const target = pathToFileURL(join(dir, "out")).href;
  assert.deepEqual(await agent.uploadStream(body(), 10, target), { bytes: 10 });
  assert.equal((await readFile(join(dir, "out"))).length, 10);
  await rejectsWith(
    agent.uploadStream(Readable.from([Buffer.alloc(9)]), 10, pathToFileURL(join(dir, "short")).href),
    "IO",
  );
  assert.deepEqual(await readdir(dir), ["out"]);
});
