import assert from "node:assert/strict";
import { createDecipheriv, createHash, randomBytes, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readFile, readdir, symlink, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { FileAgent, FileAgentError, redactUrl, type FileAgentErrorCode } from "./index.js";
import {
  readBody,
  rejectsWith,
  scratch,
  selfSignedIdentity,
  serveHttp,
  serveHttps,
  serveLargeBody,
  server,
} from "./test-support.js";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Nothing at all in `dir`: no destination, no temporary file left behind. */
async function assertEmpty(dir: string): Promise<void> {
  assert.deepEqual(await readdir(dir), []);
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

test("a GET streams a large body to the file without holding it in memory", async (t) => {
  const size = 64 * MiB;
  const dir = await scratch(t);
  const { server: s, sha256, peak } = await serveLargeBody(t, size);
  const destination = join(dir, "large.bin");
  const result = await new FileAgent().download(`${s.origin}/large.bin`, destination);
  assert.equal(result.bytes, size);
  assert.equal(await sha256File(destination), sha256);
  assert.ok(
    peak() < 16 * MiB,
    `live memory grew by ${(peak() / MiB).toFixed(1)} MiB during a 64 MiB download`,
  );
  assert.deepEqual(await readdir(dir), ["large.bin"]);
});

test("a non-2xx answer fails with HTTP_STATUS naming the status and leaves no file", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, (_request, response) => {
    response.writeHead(404);
    response.end("no such object");
  });
  const error = await rejectsWith(
    new FileAgent().download(`${s.origin}/missing`, join(dir, "out")),
    "HTTP_STATUS",
  );
  assert.match(error.message, /404/);
  await assertEmpty(dir);
});

test("a body shorter than its Content-Length, or a cut chunked body, fails with SHORT_READ", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, (request, response) => {
    if (request.url === "/announced") response.writeHead(200, { "content-length": 1000 });
    else response.writeHead(200); // chunked
    response.write(Buffer.alloc(400, 1), () => request.socket.end());
  });
  const agent = new FileAgent();
  const error = await rejectsWith(agent.download(`${s.origin}/announced`, join(dir, "a")), "SHORT_READ");
  assert.match(error.message, /of 1000 bytes/);
  await rejectsWith(agent.download(`${s.origin}/chunked`, join(dir, "b")), "SHORT_READ");
  await assertEmpty(dir);
});

test("more bytes than maxDownloadBytes fail with TOO_LARGE, announced or not", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, (request, response) => {
    if (request.url === "/announced") response.writeHead(200, { "content-length": 5000 });
    else response.writeHead(200); // chunked: only counting can tell
    response.end(Buffer.alloc(5000, 2));
  });
  const agent = new FileAgent({ maxDownloadBytes: 4096 });
  const announced = await rejectsWith(agent.download(`${s.origin}/announced`, join(dir, "a")), "TOO_LARGE");
  assert.match(announced.message, /5000/);
  await rejectsWith(agent.download(`${s.origin}/chunked`, join(dir, "b")), "TOO_LARGE");
  await assertEmpty(dir);
  // Exactly the limit is fine.
  assert.equal(
    (await new FileAgent({ maxDownloadBytes: 5000 }).download(`${s.origin}/chunked`, join(dir, "c"))).bytes,
    5000,
  );
});

test("redirects are followed up to maxRedirects, with every redirect status, across servers", async (t) => {
  const dir = await scratch(t);
  const target = await server(t, (request, response) => {
    response.end(request.url === "/final?X-Amz-Signature=kept" ? "arrived" : "wrong query");
  });
  const statuses = [301, 302, 303, 307, 308];
  const s = await server(t, (request, response) => {
    const hop = Number(/^\/hop\/(\d+)$/.exec(request.url ?? "")?.[1] ?? Number.NaN);
    const location = hop === 0 ? `${target.origin}/final?X-Amz-Signature=kept` : `/hop/${hop - 1}`;
    response.writeHead(statuses[hop % statuses.length] as number, { location });
    response.end();
  });
  const destination = join(dir, "out");
  const result = await new FileAgent().download(`${s.origin}/hop/4`, destination); // 5 redirects: the default limit
  assert.equal(result.bytes, "arrived".length);
  assert.equal(await readFile(destination, "utf8"), "arrived");

  const error = await rejectsWith(
    new FileAgent().download(`${s.origin}/hop/5`, join(dir, "six")),
    "TOO_MANY_REDIRECTS",
  );
  assert.match(error.message, /more than 5/);
  await rejectsWith(
    new FileAgent({ maxRedirects: 0 }).download(`${s.origin}/hop/0`, join(dir, "none")),
    "TOO_MANY_REDIRECTS",
  );
  assert.deepEqual(await readdir(dir), ["out"]);
});

test("a redirect without Location fails with HTTP_STATUS; to another scheme with UNSUPPORTED_SCHEME", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, (request, response) => {
    response.writeHead(302, request.url === "/file" ? { location: "file:///etc/passwd" } : {});
    response.end();
  });
  const agent = new FileAgent({ fileRoots: ["/etc"] });
  await rejectsWith(agent.download(`${s.origin}/nowhere`, join(dir, "a")), "HTTP_STATUS");
  await rejectsWith(agent.download(`${s.origin}/file`, join(dir, "b")), "UNSUPPORTED_SCHEME");
  await assertEmpty(dir);
});

test("blocked networks are never contacted: directly, through DNS, or on any redirect hop", async (t) => {
  const dir = await scratch(t);
  const blocked = await server(t, (_request, response) => response.end("must not be reached"));
  // The first hop is on ::1, outside the blocked 127.0.0.0/8; it redirects into it.
  const open = await server(
    t,
    (request, response) => {
      const location =
        request.url === "/to-name"
          ? `http://localhost:${blocked.port}/x`
          : `http://127.0.0.1:${blocked.port}/x`;
      response.writeHead(302, { location });
      response.end();
    },
    "::1",
  );
  const agent = new FileAgent({ blockedNetworks: ["127.0.0.0/8"] });
  const source = join(dir, "upload-source");
  await writeFile(source, "x");
  const viaRedirect = await rejectsWith(
    agent.download(`${open.origin}/to-literal`, join(dir, "a")),
    "NOT_ALLOWED",
  );
  assert.match(viaRedirect.message, /127\.0\.0\.1/);
  await rejectsWith(agent.download(`${open.origin}/to-name`, join(dir, "b")), "NOT_ALLOWED");
  await rejectsWith(agent.download(`http://localhost:${blocked.port}/x`, join(dir, "c")), "NOT_ALLOWED");
  await rejectsWith(
    agent.download(`http://[::ffff:127.0.0.1]:${blocked.port}/x`, join(dir, "d")),
    "NOT_ALLOWED",
  );
  await rejectsWith(agent.upload(source, `http://127.0.0.1:${blocked.port}/x`), "NOT_ALLOWED");
  assert.equal(open.connections(), 2);
  assert.equal(blocked.connections(), 0);
  // The default list holds the link-local metadata address.
  await rejectsWith(
    new FileAgent().download("http://169.254.169.254/latest/meta-data/", join(dir, "e")),
    "NOT_ALLOWED",
  );
  assert.deepEqual(await readdir(dir), ["upload-source"]);
});

test("a server that never answers fails with TIMEOUT after timeoutMs, leaving no file", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, () => undefined);
  const error = await rejectsWith(
    new FileAgent({ timeoutMs: 300 }).download(`${s.origin}/slow`, join(dir, "out")),
    "TIMEOUT",
  );
  assert.match(error.message, /300 ms/);
  await assertEmpty(dir);
});

test("a body that stalls fails with TIMEOUT after idleTimeoutMs and the partial file is removed", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, (_request, response) => {
    response.writeHead(200, { "content-length": 10 * MiB });
    response.write(Buffer.alloc(MiB, 3));
  });
  const error = await rejectsWith(
    new FileAgent({ idleTimeoutMs: 300 }).download(`${s.origin}/stall`, join(dir, "out")),
    "TIMEOUT",
  );
  assert.match(error.message, /no activity/);
  await assertEmpty(dir);
});

test("an AbortSignal cancels a download and removes the partial file", async (t) => {
  const dir = await scratch(t);
  let sent!: () => void;
  const bodyStarted = new Promise<void>((resolve) => (sent = resolve));
  const s = await server(t, (_request, response) => {
    response.writeHead(200, { "content-length": 10 * MiB });
    response.write(Buffer.alloc(MiB, 4), () => sent());
  });
  const agent = new FileAgent();
  const controller = new AbortController();
  const download = agent.download(`${s.origin}/big`, join(dir, "out"), controller.signal);
  await bodyStarted;
  controller.abort();
  await rejectsWith(download, "ABORTED");
  await assertEmpty(dir);
  // Already aborted: nothing is contacted.
  const connections = s.connections();
  await rejectsWith(agent.download(`${s.origin}/big`, join(dir, "out"), AbortSignal.abort()), "ABORTED");
  assert.equal(s.connections(), connections);
  await assertEmpty(dir);
});

test("a download refuses an existing destination without contacting the server", async (t) => {
  const dir = await scratch(t);
  const s = await server(t, (_request, response) => response.end("new"));
  const destination = join(dir, "out");
  await writeFile(destination, "old");
  await rejectsWith(new FileAgent().download(`${s.origin}/x`, destination), "EXISTS");
  assert.equal(await readFile(destination, "utf8"), "old");
  assert.equal(s.connections(), 0);
  await rejectsWith(new FileAgent().download(`${s.origin}/x`, join(dir, "missing-dir", "out")), "NOT_FOUND");
});

interface Received {
  readonly url: string | undefined;
  readonly headers: IncomingMessage["headers"];
  readonly body: Buffer;
}

test("a PUT streams the file with Content-Length and octet-stream, accepts 200 and 201, keeps the query", async (t) => {
  const dir = await scratch(t);
  const received: Received[] = [];
  const s = await server(t, async (request, response) => {
    received.push({ url: request.url, headers: request.headers, body: await readBody(request) });
    response.writeHead(request.url?.startsWith("/created") ? 201 : 200);
    response.end("<PutObjectResult/>");
  });
  const source = join(dir, "output.enc");
  const content = randomBytes(3 * MiB + 17);
  await writeFile(source, content);
  const presigned =
    "/bucket/output.enc?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc123";
  const agent = new FileAgent();
  assert.deepEqual(await agent.upload(source, `${s.origin}${presigned}`), { bytes: content.length });
  assert.deepEqual(await agent.upload(source, `${s.origin}/created/output.enc`), { bytes: content.length });
  const empty = join(dir, "empty");
  await writeFile(empty, "");
  assert.deepEqual(await agent.upload(empty, `${s.origin}/empty`), { bytes: 0 });

  const [ok, created, none] = received as [Received, Received, Received];
  assert.equal(ok.url, presigned, "the query string passes through untouched");
  for (const r of [ok, created]) {
    assert.ok(r.body.equals(content));
    assert.equal(r.headers["content-length"], String(content.length));
  }
  assert.equal(none.headers["content-length"], "0");
  assert.equal(none.body.length, 0);
  // Nothing beyond what a presigned URL may have signed (plus what HTTP/1.1 itself needs).
  assert.deepEqual(Object.keys(ok.headers).sort(), ["connection", "content-length", "content-type", "host"]);
  assert.equal(ok.headers["content-type"], "application/octet-stream");
  // The source is untouched and no stray files appeared.
  assert.deepEqual((await readdir(dir)).sort(), ["empty", "output.enc"]);
});

test("a PUT answered with a non-2xx status, or a redirect, fails with HTTP_STATUS", async (t) => {
  const dir = await scratch(t);
  const elsewhere = await server(t, (_request, response) => response.end());
  const s = await server(t, async (request, response) => {
    await readBody(request);
    if (request.url === "/redirect") response.writeHead(307, { location: `${elsewhere.origin}/x` });
    else response.writeHead(403);
    response.end("<Error><Code>AccessDenied</Code></Error>");
  });
  const source = join(dir, "src");
  await writeFile(source, "ciphertext");
  const agent = new FileAgent();
  const error = await rejectsWith(agent.upload(source, `${s.origin}/denied`), "HTTP_STATUS");
  assert.match(error.message, /403/);
  const redirected = await rejectsWith(agent.upload(source, `${s.origin}/redirect`), "HTTP_STATUS");
  assert.match(redirected.message, /307/);
  assert.equal(elsewhere.connections(), 0);
  await rejectsWith(agent.upload(join(dir, "absent"), `${s.origin}/x`), "NOT_FOUND");
  await rejectsWith(new FileAgent({ maxUploadBytes: 4 }).upload(source, `${s.origin}/x`), "TOO_LARGE");
});

test("https trusts a self-signed certificate given in `ca`, and refuses it otherwise", async (t) => {
  const dir = await scratch(t);
  const identity = await selfSignedIdentity("127.0.0.1");
  let uploaded: Buffer = Buffer.alloc(0);
  const s = await serveHttps(async (request, response) => {
    if (request.method === "PUT") uploaded = await readBody(request);
    response.end("over tls");
  }, identity);
  t.after(() => s.close());
  const trusting = new FileAgent({ ca: identity.cert });
  await trusting.download(`${s.origin}/x`, join(dir, "a"));
  assert.equal(await readFile(join(dir, "a"), "utf8"), "over tls");
  await trusting.upload(join(dir, "a"), `${s.origin}/up`);
  assert.equal(uploaded.toString(), "over tls");
  const error = await rejectsWith(new FileAgent().download(`${s.origin}/x`, join(dir, "b")), "UNREACHABLE");
  assert.match(error.message, /certificate/);
  await rejectsWith(new FileAgent().upload(join(dir, "a"), `${s.origin}/up`), "UNREACHABLE");
  assert.deepEqual(await readdir(dir), ["a"]);
});

test("an https redirect to http is refused", async (t) => {
  const dir = await scratch(t);
  const plain = await server(t, (_request, response) => response.end());
  const identity = await selfSignedIdentity("127.0.0.1");
  const s = await serveHttps((_request, response) => {
    response.writeHead(302, { location: `${plain.origin}/x` });
    response.end();
  }, identity);
  t.after(() => s.close());
  await rejectsWith(
    new FileAgent({ ca: identity.cert }).download(`${s.origin}/x`, join(dir, "a")),
    "NOT_ALLOWED",
  );
  assert.equal(plain.connections(), 0);
});

test("a refused connection fails with UNREACHABLE", async (t) => {
  const dir = await scratch(t);
  const s = await serveHttp(() => undefined);
  await s.close(); // the port is now (almost certainly) closed
  await rejectsWith(new FileAgent().download(`${s.origin}/x`, join(dir, "a")), "UNREACHABLE");
  await assertEmpty(dir);
});

test("file: URLs read and write only inside fileRoots, symlinks resolved", async (t) => {
  const dir = await scratch(t);
  const root = join(dir, "root");
  const outside = join(dir, "outside");
  const staging = join(dir, "staging");
  await Promise.all([mkdir(root), mkdir(outside), mkdir(staging)]);
  await writeFile(join(root, "input.enc"), "inside");
  await writeFile(join(outside, "secret"), "outside");
  await symlink(join(outside, "secret"), join(root, "link"));
  await symlink(outside, join(root, "linkdir"));
  const agent = new FileAgent({ fileRoots: [root] });

  await agent.download(pathToFileURL(join(root, "input.enc")).href, join(staging, "a"));
  assert.equal(await readFile(join(staging, "a"), "utf8"), "inside");
  await rejectsWith(
    agent.download(pathToFileURL(join(outside, "secret")).href, join(staging, "b")),
    "NOT_ALLOWED",
  );
  await rejectsWith(
    agent.download(pathToFileURL(join(root, "link")).href, join(staging, "c")),
    "NOT_ALLOWED",
  );
  await rejectsWith(
    agent.download(pathToFileURL(join(root, "linkdir", "secret")).href, join(staging, "d")),
    "NOT_ALLOWED",
  );
  await rejectsWith(agent.download(`file://${root}/../outside/secret`, join(staging, "e")), "NOT_ALLOWED");
  await rejectsWith(
    agent.download(`file://${root}/%2e%2E/outside/secret`, join(staging, "f")),
    "NOT_ALLOWED",
  );
  await rejectsWith(
    agent.download(pathToFileURL(join(root, "absent")).href, join(staging, "g")),
    "NOT_FOUND",
  );
  await rejectsWith(agent.download(pathToFileURL(root).href, join(staging, "h")), "NOT_ALLOWED");
  await rejectsWith(agent.download(`file://elsewhere${root}/input.enc`, join(staging, "i")), "INVALID_URL");
  assert.deepEqual(await readdir(staging), ["a"]);

  await agent.upload(join(staging, "a"), pathToFileURL(join(root, "output.enc")).href);
  assert.equal(await readFile(join(root, "output.enc"), "utf8"), "inside");
  await writeFile(join(staging, "other"), "other");
  await rejectsWith(
    agent.upload(join(staging, "other"), pathToFileURL(join(root, "output.enc")).href),
    "EXISTS",
  );
  assert.equal(await readFile(join(root, "output.enc"), "utf8"), "inside");
  await rejectsWith(
    agent.upload(join(staging, "a"), pathToFileURL(join(root, "linkdir", "escaped")).href),
    "NOT_ALLOWED",
  );
  await rejectsWith(
    agent.upload(join(staging, "a"), pathToFileURL(join(outside, "escaped")).href),
    "NOT_ALLOWED",
  );
  assert.deepEqual(await readdir(outside), ["secret"]);
  assert.deepEqual((await readdir(root)).sort(), ["input.enc", "link", "linkdir", "output.enc"]);

  await rejectsWith(
    new FileAgent().download(pathToFileURL(join(root, "input.enc")).href, join(staging, "j")),
    "NOT_ALLOWED",
  );
});

test("data: URLs decode base64 and percent-encoding, bounded in size, download only", async (t) => {
  const dir = await scratch(t);
  const agent = new FileAgent();
  // Teaclave's password-check input (spec §4.1): AES-GCM-128 of "password" under key 0, iv 0, AAD 0^8.
  const teaclave = "data:text/plain;base64,c+mpvRfZ0fboR0j3rTgOGDBiubSzlCt9";
  assert.deepEqual(await agent.download(teaclave, join(dir, "password.enc")), { bytes: 24 });
  const sealed = await readFile(join(dir, "password.enc"));
  const decipher = createDecipheriv("aes-128-gcm", Buffer.alloc(16), Buffer.alloc(12));
  decipher.setAAD(Buffer.alloc(8));
  decipher.setAuthTag(sealed.subarray(-16));
  assert.equal(
    Buffer.concat([decipher.update(sealed.subarray(0, -16)), decipher.final()]).toString(),
    "password",
  );

  await agent.download("data:,hello%20world%00%ff", join(dir, "plain"));
  assert.deepEqual(await readFile(join(dir, "plain")), Buffer.from("hello world\u0000\u00ff", "latin1"));
  await agent.download("data:application/octet-stream;BASE64,aGk", join(dir, "unpadded"));
  assert.equal(await readFile(join(dir, "unpadded"), "utf8"), "hi");

  await rejectsWith(agent.download("data:;base64,not*base64", join(dir, "x")), "INVALID_URL");
  await rejectsWith(agent.download("data:,bad%zzescape", join(dir, "x")), "INVALID_URL");
  await rejectsWith(agent.download("data:text/plain;base64", join(dir, "x")), "INVALID_URL");
  await rejectsWith(
    new FileAgent({ maxDataUrlBytes: 4 }).download("data:,12345", join(dir, "x")),
    "TOO_LARGE",
  );
  await rejectsWith(agent.upload(join(dir, "plain"), "data:,"), "UNSUPPORTED_SCHEME");
  assert.deepEqual((await readdir(dir)).sort(), ["password.enc", "plain", "unpadded"]);
});

test("fusion: URLs round-trip through fusionDir and refuse unsafe names", async (t) => {
  const dir = await scratch(t);
  const fusionDir = join(dir, "fusion");
  await mkdir(fusionDir);
  const agent = new FileAgent({ fusionDir });
  const source = join(dir, "mixed.enc");
  await writeFile(source, "fused ciphertext");
  const url = `fusion:///TEACLAVE_FUSION_BASE/${randomUUID()}.fusion`;
  assert.deepEqual(await agent.upload(source, url), { bytes: 16 });
  await rejectsWith(agent.upload(source, url), "EXISTS");
  await agent.download(url, join(dir, "back.enc"));
  assert.equal(await readFile(join(dir, "back.enc"), "utf8"), "fused ciphertext");
  assert.equal((await readdir(fusionDir)).length, 1);

  for (const name of ["../x", "a/b", "..", ".", ".hidden", "", "a%2Fb", "a\\b"]) {
    await rejectsWith(agent.upload(source, `fusion:///TEACLAVE_FUSION_BASE/${name}`), "NOT_ALLOWED");
    await rejectsWith(
      agent.download(`fusion:///TEACLAVE_FUSION_BASE/${name}`, join(dir, "refused")),
      "NOT_ALLOWED",
    );
  }
  await rejectsWith(
    agent.download("fusion:///TEACLAVE_FUSION_BASE/absent.fusion", join(dir, "refused")),
    "NOT_FOUND",
  );
  await rejectsWith(agent.download("fusion:///ELSEWHERE/x.fusion", join(dir, "refused")), "INVALID_URL");
  await symlink(source, join(fusionDir, "escape.fusion"));
  await rejectsWith(
    agent.download("fusion:///TEACLAVE_FUSION_BASE/escape.fusion", join(dir, "refused")),
    "NOT_ALLOWED",
  );
  await rejectsWith(new FileAgent().upload(source, "fusion:///TEACLAVE_FUSION_BASE/x.fusion"), "NOT_ALLOWED");
  assert.deepEqual((await readdir(dir)).sort(), ["back.enc", "fusion", "mixed.enc"]);
});

test("other schemes fail with UNSUPPORTED_SCHEME and non-URLs with INVALID_URL", async (t) => {
  const dir = await scratch(t);
  await writeFile(join(dir, "src"), "x");
  const agent = new FileAgent({ fileRoots: [dir], fusionDir: dir });
  for (const url of [
    "s3://bucket/key",
    "ftp://example.com/file",
    "javascript:alert(1)",
    "gopher://h/x",
    "HTTPX://h/",
  ]) {
    await rejectsWith(agent.download(url, join(dir, "out")), "UNSUPPORTED_SCHEME");
    await rejectsWith(agent.upload(join(dir, "src"), url), "UNSUPPORTED_SCHEME");
  }
  for (const url of ["", "relative/path", "://no-scheme", "http://[::1", "http://user%zz:pw@example.com/"]) {
    await rejectsWith(agent.download(url, join(dir, "out")), "INVALID_URL");
  }
  assert.deepEqual(await readdir(dir), ["src"]);
});

test("error messages never carry a URL's query string or credentials", async (t) => {
  const dir = await scratch(t);
  const secret = "?X-Amz-Credential=AKIDSECRET&X-Amz-Signature=secret-signature";
  const s = await server(t, (request, response) => {
    if (request.url?.startsWith("/redirect")) response.writeHead(302, { location: `/redirect${secret}` });
    else if (request.url?.startsWith("/large")) response.writeHead(200, { "content-length": 1e6 });
    else if (request.url?.startsWith("/slow")) return;
    else response.writeHead(403);
    response.end();
  });
  const closed = await serveHttp(() => undefined);
  await closed.close();
  const source = join(dir, "src");
  await writeFile(source, "x");
  const agent = new FileAgent({ maxDownloadBytes: 10, timeoutMs: 500, blockedNetworks: ["192.0.2.0/24"] });
  const withCredentials = (origin: string): string => origin.replace("//", "//user:pw-secret@");
  const failures: Array<[() => Promise<unknown>, FileAgentErrorCode]> = [
    [() => agent.download(`${s.origin}/denied${secret}`, join(dir, "a")), "HTTP_STATUS"],
    [() => agent.download(`${withCredentials(s.origin)}/denied${secret}`, join(dir, "a")), "HTTP_STATUS"],
    [() => agent.upload(source, `${s.origin}/denied${secret}`), "HTTP_STATUS"],
    [() => agent.download(`${s.origin}/redirect${secret}`, join(dir, "a")), "TOO_MANY_REDIRECTS"],
    [() => agent.download(`${s.origin}/large${secret}`, join(dir, "a")), "TOO_LARGE"],
    [() => agent.download(`${s.origin}/slow${secret}`, join(dir, "a")), "TIMEOUT"],
    [() => agent.download(`${closed.origin}/x${secret}`, join(dir, "a")), "UNREACHABLE"],
    [() => agent.download(`http://192.0.2.1/x${secret}`, join(dir, "a")), "NOT_ALLOWED"],
    [() => agent.download(`s3://bucket/key${secret}`, join(dir, "a")), "UNSUPPORTED_SCHEME"],
    [() => agent.download(`http://exa mple.com/${secret}`, join(dir, "a")), "INVALID_URL"],
  ];
  for (const [failure, code] of failures) {
    const error = await rejectsWith(failure(), code);
    const text = `${error.message}\n${error.stack ?? ""}\n${String((error.cause as Error | undefined)?.message)}`;
    for (const leak of ["secret", "AKID", "X-Amz", "pw-"])
      assert.ok(!text.includes(leak), `${code} leaks: ${error.message}`);
  }
  assert.deepEqual(await readdir(dir), ["src"]);
});

test("redactUrl keeps scheme, host and path only", () => {
  assert.equal(
    redactUrl("https://u:p@bucket.s3.amazonaws.com:8443/a/b.enc?X-Amz-Signature=s#f"),
    "https://bucket.s3.amazonaws.com:8443/a/b.enc",
  );
  assert.equal(
    redactUrl("fusion:///TEACLAVE_FUSION_BASE/x.fusion"),
    "fusion:///TEACLAVE_FUSION_BASE/x.fusion",
  );
  assert.equal(redactUrl("data:text/plain;base64,c2VjcmV0"), "data:…");
  assert.equal(redactUrl("javascript:alert(document.cookie)"), "javascript:…");
  assert.equal(redactUrl("not a url"), "(invalid URL)");
});

test("options are validated when the agent is built", () => {
  const bad: unknown[] = [
    { timeoutMs: 0 },
    { maxDownloadBytes: -1 },
    { maxRedirects: 1.5 },
    { blockedNetworks: ["10.0.0.0/33"] },
    { blockedNetworks: ["example.com"] },
    { fileRoots: ["relative/dir"] },
    { fusionDir: "" },
    { ca: "not a certificate" },
  ];
  for (const options of bad) {
    assert.throws(
      () => new FileAgent(options as never),
      (e: unknown) => e instanceof FileAgentError && e.code === "INVALID_OPTIONS",
      JSON.stringify(options),
    );
  }
});
