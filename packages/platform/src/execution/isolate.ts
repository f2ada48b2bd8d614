// Runs a function in its own child process with a wall-clock limit and a memory limit; cancel stops it in
// place (the process is killed; the worker and its other tasks carry on). A small pool of idle processes,
// each used for one task only, hides the start-up time.
import { fork, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { IsolateInput, IsolateResult } from "./protocol.js";

export type IsolateOutcome = IsolateResult | { readonly ok: false; readonly reason: string; readonly log: string[]; readonly canceled?: true };

export interface IsolateLimits {
  readonly timeoutMs: number;
  /** Resident memory of the isolate process, MiB (the JS heap is capped at the same size). */
  readonly memoryMb: number;
}

const MAIN = new URL("./isolate-main.js", import.meta.url);
const MEMORY_CHECK_MS = 50;

function spawnIsolate(memoryMb: number): ChildProcess {
  return fork(MAIN, [], {
    execArgv: [`--max-old-space-size=${memoryMb}`, "--disallow-code-generation-from-strings"],
    // The function gets no environment and no terminal; stderr is kept to recognize crashes.
    env: {},
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    serialization: "advanced",
  });
}

/** Resident set size of a process in MiB, from /proc (Linux); undefined where unavailable. */
async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const statm = await readFile(`/proc/${pid}/statm`, "utf8");
    return (Number(statm.split(" ")[1]) * 4096) / (1024 * 1024);
  } catch {
    return undefined;
  }
}

export class IsolatePool {
  private readonly idle: ChildProcess[] = [];
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly defaultMemoryMb: number,
  ) {
    this.refill();
  }

  private refill(): void {
    while (!this.closed && this.idle.length < this.size) {
      const child = spawnIsolate(this.defaultMemoryMb);
      child.once("exit", () => {
        const i = this.idle.indexOf(child);
        if (i >= 0) this.idle.splice(i, 1);
      });
      child.stderr?.resume();
      // An idle isolate must not keep its parent alive.
      child.unref();
      child.channel?.unref();
      (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
      this.idle.push(child);
    }
  }

  private take(memoryMb: number): ChildProcess {
    if (memoryMb === this.defaultMemoryMb) {
      const child = this.idle.shift();
      this.refill();
      if (child && child.exitCode === null && child.signalCode === null) return child;
    }
    return spawnIsolate(memoryMb);
  }

  async run(input: IsolateInput, limits: IsolateLimits, signal: AbortSignal): Promise<IsolateOutcome> {
    if (signal.aborted) return { ok: false, reason: "canceled", log: [], canceled: true };
    const child = this.take(limits.memoryMb);
    child.ref();
    child.channel?.ref();
    let stderr = "";
    child.stderr?.removeAllListeners("data");
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    return new Promise<IsolateOutcome>((resolve) => {
      let settled = false;
      let killedFor: "time" | "memory" | "cancel" | undefined;
      const finish = (outcome: IsolateOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(watch);
        signal.removeEventListener("abort", onAbort);
        if (child.exitCode === null) child.kill("SIGKILL");
        resolve(outcome);
      };
      const kill = (why: "time" | "memory" | "cancel") => {
        killedFor ??= why;
        child.kill("SIGKILL");
      };
      const timer = setTimeout(() => kill("time"), limits.timeoutMs);
      const watch = setInterval(() => {
        if (child.pid === undefined) return;
        void rssMb(child.pid).then((mb) => {
          if (mb !== undefined && mb > limits.memoryMb) kill("memory");
        });
      }, MEMORY_CHECK_MS);
      const onAbort = () => kill("cancel");
      signal.addEventListener("abort", onAbort, { once: true });
      child.once("message", (result: IsolateResult) => finish(result));
      child.once("error", (error) => finish({ ok: false, reason: `the function's process failed: ${error.message}`, log: [] }));
      child.once("exit", (code, sig) => {
        if (killedFor === "cancel") return finish({ ok: false, reason: "canceled", log: [], canceled: true });
        if (killedFor === "time") return finish({ ok: false, reason: `time limit exceeded (${limits.timeoutMs} ms)`, log: [] });
        if (killedFor === "memory" || /heap out of memory|Allocation failed/i.test(stderr))
          return finish({ ok: false, reason: `memory limit exceeded (${limits.memoryMb} MiB)`, log: [] });
        finish({ ok: false, reason: `the function crashed (${sig ?? `exit code ${code}`})`, log: [] });
      });
      child.send(input);
    });
  }

  close(): void {
    this.closed = true;
    for (const child of this.idle.splice(0)) child.kill("SIGKILL");
  }
}
