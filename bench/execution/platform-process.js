// Starts platform-server.js in a child process and talks to it: readiness, timing traces, memory peaks, stop.
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { clearTimeout, setTimeout } from "node:timers";
import { fileURLToPath } from "node:url";

const SERVER = fileURLToPath(new URL("./platform-server.js", import.meta.url));

/**
 * @param {{ tmp: string, slots?: number, cpuProfDir?: string }} options
 *   tmp: where the data directory is made; slots: worker slots (default: the platform's);
 *   cpuProfDir: write a V8 CPU profile of the platform process there.
 */
export async function startPlatformProcess({ tmp, slots, cpuProfDir }) {
  const dataDir = mkdtempSync(join(tmp, "mesatee-bench-data-"));
  const args = ["--data-dir", dataDir, ...(slots === undefined ? [] : ["--slots", String(slots)])];
  const child = fork(SERVER, args, {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`] : [],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const pending = new Map();
  let nextId = 0;
  child.on("message", (m) => {
    if (m?.type !== "reply") return;
    pending.get(m.id)?.(m.value);
    pending.delete(m.id);
  });
  let ready;
  try {
    ready = await new Promise((resolve, reject) => {
      child.once("message", resolve);
      child.once("exit", (code, signal) =>
        reject(new Error(`the platform process exited (${signal ?? code})`)),
      );
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const request = (type, extra = {}) =>
    new Promise((resolve, reject) => {
      if (!child.connected) return reject(new Error("the platform process is gone"));
      const id = nextId++;
      pending.set(id, resolve);
      child.send({ type, id, ...extra });
    });
  let stopped;
  return {
    ...ready,
    dataDir,
    /** Timestamps (epoch ms) of each step of the given tasks; forgotten by the platform once read. */
    traces: (taskIds) => request("traces", { taskIds }),
    /** Peaks of process.memoryUsage() since start or the last reset, bytes. */
    memory: () => request("memory"),
    resetMemory: () => request("reset-memory"),
    /** Stops the platform, waits for the process to exit, and removes the data directory. */
    stop: () =>
      (stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          if (child.connected) child.send({ type: "stop" });
          const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dataDir, { recursive: true, force: true });
      })()),
    /** Last resort (process exit): kill without waiting. */
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
