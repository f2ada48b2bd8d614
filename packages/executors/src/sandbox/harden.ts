// Child side of the sandbox: before any function runtime loads, the isolate process removes what a
// function must never reach — starting processes, sockets, fetch, signals to other processes. The
// process-level layers (Node's permission model, a network namespace, an unprivileged user; see
// launch.ts) hold even if function code finds a way into this JavaScript; these patches are the inner
// layer and make the refusal a clear error.
import { createRequire, syncBuiltinESMExports } from "node:module";

class SandboxRefusal extends Error {
  readonly code = "ERR_ACCESS_DENIED";
}

function refuse(what: string): () => never {
  return () => {
    throw new SandboxRefusal(`${what} is not available to MesaTEE functions`);
  };
}

export function hardenProcess(): void {
  const require = createRequire(import.meta.url);
  const cp = require("node:child_process") as Record<string, unknown>;
  for (const fn of ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"])
    cp[fn] = refuse("starting processes");
  const net = require("node:net") as typeof import("node:net");
  net.Socket.prototype.connect = refuse("the network");
  net.Server.prototype.listen = refuse("the network");
  const dgram = require("node:dgram") as typeof import("node:dgram");
  for (const fn of ["bind", "send", "connect"] as const)
    (dgram.Socket.prototype as unknown as Record<string, unknown>)[fn] = refuse("the network");
  const dns = require("node:dns") as Record<string, unknown>;
  for (const fn of ["lookup", "resolve", "resolve4", "resolve6"]) dns[fn] = refuse("name resolution");
  const workers = require("node:worker_threads") as Record<string, unknown>;
  workers.Worker = refuse("starting threads");
  // ES-module views of the built-ins (`import("node:net")`) see the patched functions too.
  syncBuiltinESMExports();

  const g = globalThis as Record<string, unknown>;
  for (const name of ["fetch", "WebSocket", "EventSource", "Request", "Response", "Headers"]) delete g[name];
  process.kill = refuse("signalling processes");
  process.dlopen = refuse("native addons");
  // Under the permission model process.binding() is refused; Emscripten's file system setup still
  // asks it for the fs constants, which are harmless.
  const proc = process as unknown as { binding: (name: string) => unknown };
  const binding = proc.binding.bind(process);
  const fsConstants = (require("node:fs") as typeof import("node:fs")).constants;
  proc.binding = (name: string) => (name === "constants" ? { fs: fsConstants } : binding(name));
}
