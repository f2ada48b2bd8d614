// The process-level sandbox, tried from inside: a process started the way isolates for user functions
// are started attempts each escape and reports what happened.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import { hardenProcess } from "./harden.js";
import { permissionFlags, sandboxPlan } from "./launch.js";

const run = promisify(execFile);
const ENTRY = fileURLToPath(new URL("../index.js", import.meta.url));

/** Runs `script` (an ES module body) in a sandboxed Node process; returns what it printed as JSON. */
async function inSandbox(script: string): Promise<Record<string, string>> {
  const plan = await sandboxPlan(ENTRY);
  const [command, ...args] = [
    ...plan.wrapper,
    process.execPath,
    ...permissionFlags(plan.readPaths),
    "--input-type=module",
    "-e",
    script,
  ];
  const { stdout } = await run(command!, args, { env: {} });
  return JSON.parse(stdout) as Record<string, string>;
}

const attempt = (name: string, body: string) =>
  `try { ${body}; out[${JSON.stringify(name)}] = "allowed"; } catch (e) { out[${JSON.stringify(name)}] = e.code ?? e.message; }`;

test("an isolate process reads only installed code, writes nothing, starts no process or thread", async () => {
  const out = await inSandbox(`
    import fs from "node:fs";
    import cp from "node:child_process";
    import { Worker } from "node:worker_threads";
    const out = {};
    ${attempt("read code", `fs.readFileSync(${JSON.stringify(ENTRY)})`)}
    ${attempt("read /etc/hostname", 'fs.readFileSync("/etc/hostname")')}
    ${attempt("read /proc/self/environ", 'fs.readFileSync("/proc/self/environ")')}
    ${attempt("write /tmp", 'fs.writeFileSync("/tmp/mesatee-sandbox-probe", "x")')}
    ${attempt("spawn", 'cp.spawnSync("/bin/true")')}
    ${attempt("worker", 'new Worker("1", { eval: true })')}
    ${attempt("process.binding", 'process.binding("tcp_wrap")')}
    console.log(JSON.stringify(out));`);
  assert.deepEqual(out, {
    "read code": "allowed",
    "read /etc/hostname": "ERR_ACCESS_DENIED",
    "read /proc/self/environ": "ERR_ACCESS_DENIED",
    "write /tmp": "ERR_ACCESS_DENIED",
    spawn: "ERR_ACCESS_DENIED",
    worker: "ERR_ACCESS_DENIED",
    "process.binding": "ERR_ACCESS_DENIED",
  });
});

test("with a network namespace an isolate reaches no socket on the host; as root it runs unprivileged", async () => {
  const plan = await sandboxPlan(ENTRY);
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const out = await inSandbox(`
      import net from "node:net";
      const out = { uid: String(process.getuid()) };
      ${attempt("kill parent", `process.kill(${process.pid}, 0)`)}
      out.connect = await new Promise((resolve) => {
        const s = net.connect(${port}, "127.0.0.1");
        s.once("connect", () => resolve("connected"));
        s.once("error", (e) => resolve(e.code));
      });
      console.log(JSON.stringify(out));`);
    if (plan.networkNamespace) {
      assert.notEqual(out.connect, "connected");
      assert.equal(connections, 0);
    } else
      assert.equal(
        out.connect,
        "connected",
        "without a namespace only the in-process refusals stand between functions and the network",
      );
    if (plan.unprivilegedUser) {
      assert.equal(out.uid, "65534");
      assert.equal(out["kill parent"], "EPERM");
    } else assert.equal(out.uid, String(process.getuid?.()));
  } finally {
    server.close();
  }
});

test("inside the isolate, hardening turns processes, sockets, fetch and signals into refusals", async () => {
  const script = `
    import { hardenProcess } from ${JSON.stringify(new URL("../index.js", import.meta.url).href)};
    import net from "node:net";
    import cp from "node:child_process";
    hardenProcess();
    const out = { fetch: typeof fetch };
    ${attempt("connect", 'net.connect(1, "127.0.0.1")')}
    ${attempt("spawn", 'cp.spawnSync("/bin/true")')}
    ${attempt("kill", "process.kill(process.pid, 0)")}
    ${attempt("constants", 'if (!process.binding("constants").fs.O_RDONLY === undefined) throw new Error("no constants")')}
    console.log(JSON.stringify(out));`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { env: {} });
  assert.deepEqual(JSON.parse(stdout), {
    fetch: "undefined",
    connect: "ERR_ACCESS_DENIED",
    spawn: "ERR_ACCESS_DENIED",
    kill: "ERR_ACCESS_DENIED",
    constants: "allowed",
  });
  assert.equal(typeof hardenProcess, "function");
});
