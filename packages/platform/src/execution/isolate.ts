// Runs a function in its own child process with a wall-clock limit and a memory limit; cancel stops it in
// place (the process is killed; the worker and its other tasks carry on). Pools of idle processes, each
// used for one task only, hide the start-up time: built-in isolates are always kept ready; an isolate
// for user functions preloads its family's runtime (QuickJS, Pyodide) before it is handed a task, and
// those are kept ready once the family has been used (or from the start, when configured).
//
// User functions run in sandboxed isolates (@mesatee/executors, sandbox/launch.ts). Such an isolate
// never sees a staged file or the staging key: this side streams the inputs' plaintext to it, receives
// the outputs and encrypts them to staging, and checks everything it sends against the task's limits.
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { Writable } from "node:stream";
import {
  DEFAULT_EXECUTOR_LIMITS,
  isUserFamily,
  permissionFlags,
  sandboxPlan,
  type ExecutorLimits,
  type UserFamily,
} from "@mesatee/executors";
import type { ExecutorFamily } from "../domain/functions.js";
import type { IsolateInput, IsolateResult } from "./protocol.js";
import { createStaged, openStaged } from "./staging.js";

export type IsolateOutcome =
  | IsolateResult
  | { readonly ok: false; readonly reason: string; readonly log: string[]; readonly canceled?: true };

export interface IsolateLimits {
  readonly timeoutMs: number;
  /** Resident memory of the isolate process, MiB (the JS heap is capped at the same size). */
  readonly memoryMb: number;
}

export interface IsolatePoolOptions {
  /**
   * Idle isolates kept per executor family. Built-in: `size`. A user-function family not listed keeps
   * none until its first task, then `size`.
   */
  readonly warm?: Partial<Record<ExecutorFamily, number>>;
  /** Give user-function isolates a network namespace (and, as root, an unprivileged user) where possible. */
  readonly namespaces?: boolean;
  /** Largest return value of a user function, bytes. */
  readonly maxResultBytes?: number;
  /** Largest input a user function may read, bytes (it holds its inputs in memory). */
  readonly maxInputBytes?: number;
}

/** Parent → sandboxed isolate. */
export type SandboxMessage =
  | { readonly kind: "preload"; readonly snapshot?: Uint8Array; readonly makeSnapshot: boolean }
  | {
      readonly kind: "task";
      readonly functionName: string;
      readonly payload: Uint8Array;
      readonly args: Readonly<Record<string, unknown>>;
      readonly inputs: string[];
      readonly outputs: string[];
      readonly limits: ExecutorLimits;
    }
  | { readonly kind: "input"; readonly name: string; readonly chunk: Uint8Array }
  | { readonly kind: "input-end"; readonly name: string; readonly tooLarge: boolean }
  | { readonly kind: "ack" };

/** Sandboxed isolate → parent. */
export type SandboxReply =
  | { readonly kind: "snapshot"; readonly snapshot: Uint8Array | null }
  | { readonly kind: "ready" }
  | { readonly kind: "output"; readonly name: string; readonly chunk: Uint8Array }
  | { readonly kind: "output-end"; readonly name: string }
  | { readonly kind: "result"; readonly ok: true; readonly returnValue: string; readonly log: string[] }
  | { readonly kind: "result"; readonly ok: false; readonly reason: string; readonly log: string[] };

const MAIN = new URL("./isolate-main.js", import.meta.url);
const MAIN_PATH = fileURLToPath(MAIN);
const MEMORY_CHECK_MS = 50;
/** How long a user-function isolate may take to load its runtime (not counted in the task's time limit). */
const STARTUP_TIMEOUT_MS = 120_000;
const INPUT_CHUNK = 1 << 20;

function spawnBuiltinIsolate(memoryMb: number): ChildProcess {
  return spawn(
    process.execPath,
    [`--max-old-space-size=${memoryMb}`, "--disallow-code-generation-from-strings", MAIN_PATH, "builtin"],
    {
      // The function gets no environment and no terminal; stderr is kept to recognize crashes.
      env: {},
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
    },
  );
}

/**
 * A WebAssembly function is usually one long call of entrypoint, and V8 does not move a running wasm
 * function from its baseline code to optimized code; so user modules are compiled optimized up front.
 * (Not for QuickJS and Pyodide: optimizing all of their code at start-up costs more than it saves.)
 */
const WASM_FLAGS: Partial<Record<UserFamily, string[]>> = { wasm: ["--no-liftoff"] };

async function spawnSandboxedIsolate(
  family: UserFamily,
  memoryMb: number,
  namespaces: boolean,
): Promise<ChildProcess> {
  const plan = await sandboxPlan(MAIN_PATH, { namespaces });
  const node = [
    `--max-old-space-size=${memoryMb}`,
    "--disallow-code-generation-from-strings",
    ...(WASM_FLAGS[family] ?? []),
    ...permissionFlags(plan.readPaths),
    MAIN_PATH,
    family,
  ];
  const [command, ...args] = [...plan.wrapper, process.execPath, ...node];
  return spawn(command!, args, {
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

// One Pyodide snapshot per worker process, made by the first Python isolate before its task arrives.
let pythonSnapshot: Uint8Array | undefined;
let pythonSnapshotMaker: ChildProcess | undefined;

/** A task whose isolate may exit before its outcome is final (outputs still being staged). */
interface Settling {
  settling(): boolean;
}

interface Sandboxed {
  readonly child: ChildProcess;
  /** Resolves when the runtime is loaded; rejects (with the isolate's last error line) if it died first. */
  readonly ready: Promise<void>;
  loaded(): boolean;
}

function isolated(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Lets an idle isolate exist without keeping its parent alive. */
function unrefIdle(child: ChildProcess): void {
  child.stderr?.resume();
  child.unref();
  child.channel?.unref();
  (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
}

export class IsolatePool {
  private readonly idle: ChildProcess[] = [];
  private readonly idleSandboxed = new Map<UserFamily, Sandboxed[]>();
  /** Sandboxed isolates being spawned for the idle pools. */
  private readonly starting = new Map<UserFamily, Set<Promise<Sandboxed>>>();
  private readonly warm: Map<ExecutorFamily, number>;
  private readonly namespaces: boolean;
  private readonly maxResultBytes: number;
  private readonly maxInputBytes: number;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly defaultMemoryMb: number,
    options: IsolatePoolOptions = {},
  ) {
    this.warm = new Map(Object.entries(options.warm ?? {}) as Array<[ExecutorFamily, number]>);
    this.namespaces = options.namespaces ?? true;
    this.maxResultBytes = options.maxResultBytes ?? DEFAULT_EXECUTOR_LIMITS.maxResultBytes;
    this.maxInputBytes = options.maxInputBytes ?? DEFAULT_EXECUTOR_LIMITS.maxInputBytes;
    this.refill();
    for (const family of this.warm.keys()) if (isUserFamily(family)) this.refillSandboxed(family);
  }

  private refill(): void {
    const want = this.warm.get("builtin") ?? this.size;
    while (!this.closed && this.idle.length < want) {
      const child = spawnBuiltinIsolate(this.defaultMemoryMb);
      child.once("exit", () => {
        const i = this.idle.indexOf(child);
        if (i >= 0) this.idle.splice(i, 1);
      });
      unrefIdle(child);
      this.idle.push(child);
    }
  }

  private take(memoryMb: number): ChildProcess {
    if (memoryMb === this.defaultMemoryMb) {
      const child = this.idle.shift();
      this.refill();
      if (child && isolated(child)) return child;
    }
    return spawnBuiltinIsolate(memoryMb);
  }

  /** Starts a sandboxed isolate and its preload; the python snapshot is made once and then shared. */
  private async startSandboxed(family: UserFamily, memoryMb: number): Promise<Sandboxed> {
    const child = await spawnSandboxedIsolate(family, memoryMb, this.namespaces);
    // Until it is ready the isolate runs only platform code; its errors explain a failed start.
    let startupErrors = "";
    const collect = (d: Buffer) => void (startupErrors = (startupErrors + d.toString()).slice(-4096));
    child.stderr?.on("data", collect);
    let makeSnapshot = false;
    if (family === "python" && !pythonSnapshot && !pythonSnapshotMaker) {
      pythonSnapshotMaker = child;
      makeSnapshot = true;
    }
    const ready = new Promise<void>((resolve, reject) => {
      let first = true;
      const onMessage = (m: SandboxReply) => {
        const wasFirst = first;
        first = false;
        if (m?.kind === "snapshot") {
          // Accepted only as the first message of the isolate asked to make it: nothing sent later can
          // replace the interpreter image every later Python task starts from.
          if (wasFirst && makeSnapshot && m.snapshot instanceof Uint8Array) pythonSnapshot ??= m.snapshot;
          return;
        }
        if (m?.kind === "ready") {
          child.off("message", onMessage);
          child.stderr?.off("data", collect);
          resolve();
        }
      };
      child.on("message", onMessage);
      child.once("exit", (code, signal) => {
        if (pythonSnapshotMaker === child) pythonSnapshotMaker = undefined;
        const last = startupErrors
          .trim()
          .split("\n")
          .filter((l) => /error/i.test(l))
          .pop();
        reject(new Error(last ?? `the isolate exited while loading (${signal ?? `exit code ${code}`})`));
      });
    });
    ready.catch(() => {});
    ready.then(
      () => {
        if (pythonSnapshotMaker === child) pythonSnapshotMaker = undefined;
      },
      () => {},
    );
    let loaded = false;
    ready.then(
      () => (loaded = true),
      () => {},
    );
    const preload: SandboxMessage = {
      kind: "preload",
      makeSnapshot,
      ...(pythonSnapshot && family === "python" ? { snapshot: pythonSnapshot } : {}),
    };
    child.send(preload);
    return { child, ready, loaded: () => loaded };
  }

  private refillSandboxed(family: UserFamily): void {
    const want = this.warm.get(family) ?? 0;
    const idle = this.idleSandboxed.get(family) ?? [];
    this.idleSandboxed.set(family, idle);
    const starting = this.starting.get(family) ?? new Set<Promise<Sandboxed>>();
    this.starting.set(family, starting);
    while (!this.closed && idle.length + starting.size < want) {
      const start = this.startSandboxed(family, this.defaultMemoryMb);
      starting.add(start);
      start.then(
        (s) => {
          starting.delete(start);
          if (this.closed) return void s.child.kill("SIGKILL");
          s.child.once("exit", () => {
            const i = idle.indexOf(s);
            if (i >= 0) idle.splice(i, 1);
          });
          unrefIdle(s.child);
          idle.push(s);
        },
        () => starting.delete(start),
      );
    }
  }

  /**
   * Resolves once an idle isolate of a user-function family has loaded its runtime, i.e. the next
   * task of that family starts warm (benchmarks and tests wait on this instead of sleeping).
   */
  async warmed(family: UserFamily): Promise<void> {
    // Idle isolates do not keep the process alive; whoever waits for one does.
    const keepAlive = setInterval(() => {}, 60_000);
    try {
      for (;;) {
        const idle = this.idleSandboxed.get(family) ?? [];
        if (idle.some((s) => s.loaded())) return;
        const waits = [...idle.map((s) => s.ready), ...(this.starting.get(family) ?? [])];
        if (waits.length === 0) throw new Error(`no ${family} isolate is warming`);
        await Promise.race(
          waits.map((p) =>
            p.then(
              () => undefined,
              () => undefined,
            ),
          ),
        );
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  private async takeSandboxed(family: UserFamily, memoryMb: number): Promise<Sandboxed> {
    // The first task of a family turns on warm isolates for it.
    if (!this.warm.has(family)) this.warm.set(family, this.size);
    let taken: Sandboxed | undefined;
    if (memoryMb === this.defaultMemoryMb) {
      const idle = this.idleSandboxed.get(family) ?? [];
      while (!taken && idle.length > 0) {
        const s = idle.shift()!;
        if (isolated(s.child)) taken = s;
      }
    }
    return taken ?? (await this.startSandboxed(family, memoryMb));
  }

  async run(input: IsolateInput, limits: IsolateLimits, signal: AbortSignal): Promise<IsolateOutcome> {
    if (signal.aborted) return { ok: false, reason: "canceled", log: [], canceled: true };
    if (isUserFamily(input.family)) {
      const family = input.family;
      try {
        const isolate = await this.takeSandboxed(family, limits.memoryMb);
        const notStarted = await this.started(isolate, signal);
        if (notStarted) return notStarted;
        return await this.supervise(isolate.child, limits, signal, (finish, kill) =>
          this.serveSandboxed(isolate, input, limits, finish, kill),
        );
      } finally {
        // Replacements start once the task is done: loading a runtime (Pyodide: about half a second of
        // CPU, and its snapshot to copy) would otherwise compete with the task for the same cores.
        this.refillSandboxed(family);
      }
    }
    const child = this.take(limits.memoryMb);
    return this.supervise(child, limits, signal, (finish) => {
      child.once("message", (result: IsolateResult) => finish(result));
      child.send(input);
    });
  }

  /**
   * Waits until a user-function isolate has loaded its runtime, so that the task's time limit measures
   * the function and not the start-up; undefined when it is ready.
   */
  private async started(isolate: Sandboxed, signal: AbortSignal): Promise<IsolateOutcome | undefined> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const outcome = await Promise.race([
      isolate.ready.then(
        () => undefined,
        (error: Error): IsolateOutcome => ({
          ok: false,
          reason: `the function's isolate failed to start: ${error.message}`,
          log: [],
        }),
      ),
      new Promise<IsolateOutcome>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, reason: "the function's isolate did not start in time", log: [] }),
          STARTUP_TIMEOUT_MS,
        );
        onAbort = () => resolve({ ok: false, reason: "canceled", log: [], canceled: true });
        signal.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort!);
    if (outcome) isolate.child.kill("SIGKILL");
    return outcome;
  }

  /**
   * Watches an isolate running one task: the wall-clock limit, resident memory and cancel kill it;
   * `start` sends the task and calls `finish` with the isolate's outcome.
   */
  private supervise(
    child: ChildProcess,
    limits: IsolateLimits,
    signal: AbortSignal,
    start: (finish: (outcome: IsolateOutcome) => void, fail: (reason: string) => void) => Settling | void,
  ): Promise<IsolateOutcome> {
    child.ref();
    child.channel?.ref();
    let stderr = "";
    child.stderr?.removeAllListeners("data");
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    return new Promise<IsolateOutcome>((resolve) => {
      let settled = false;
      let killedFor: "time" | "memory" | "cancel" | { reason: string } | undefined;
      const finish = (outcome: IsolateOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(watch);
        signal.removeEventListener("abort", onAbort);
        if (child.exitCode === null) child.kill("SIGKILL");
        resolve(outcome);
      };
      const kill = (why: "time" | "memory" | "cancel" | { reason: string }) => {
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
      child.once("error", (error) =>
        finish({ ok: false, reason: `the function's process failed: ${error.message}`, log: [] }),
      );
      // "close", not "exit": the last messages may still be in the channel when the process exits.
      child.once("close", (code, sig) => {
        if (killedFor === "cancel") return finish({ ok: false, reason: "canceled", log: [], canceled: true });
        if (killedFor === "time")
          return finish({ ok: false, reason: `time limit exceeded (${limits.timeoutMs} ms)`, log: [] });
        if (killedFor === "memory" || /heap out of memory|Allocation failed/i.test(stderr))
          return finish({ ok: false, reason: `memory limit exceeded (${limits.memoryMb} MiB)`, log: [] });
        if (typeof killedFor === "object") return finish({ ok: false, reason: killedFor.reason, log: [] });
        // The result arrived and its outputs are still being staged: that finishes the task.
        if (settling?.()) return;
        finish({ ok: false, reason: `the function crashed (${sig ?? `exit code ${code}`})`, log: [] });
      });
      const settling = start(finish, (reason) => kill({ reason }))?.settling;
    });
  }

  /** Feeds a sandboxed isolate its task and inputs, and stages the outputs it sends back. */
  private serveSandboxed(
    isolate: Sandboxed,
    input: IsolateInput,
    limits: IsolateLimits,
    finish: (outcome: IsolateOutcome) => void,
    fail: (reason: string) => void,
  ): Settling {
    const { child } = isolate;
    let resulted = false;
    const key = Buffer.from(input.stagingKey, "hex");
    const executorLimits: ExecutorLimits = {
      timeoutMs: limits.timeoutMs,
      memoryMb: limits.memoryMb,
      maxOutputBytes: input.maxOutputBytes,
      maxInputBytes: this.maxInputBytes,
      maxResultBytes: this.maxResultBytes,
      maxLogLines: input.maxLogLines,
      maxLogLineBytes: input.maxLogLineBytes,
    };
    const outputs = new Map<
      string,
      { stream: Writable; done: Promise<unknown>; bytes: number; ended: boolean }
    >();
    const staged = (name: string) => {
      let out = outputs.get(name);
      if (!out) {
        const s = createStaged(input.outputs[name]!, key);
        s.done.catch(() => {});
        out = { ...s, bytes: 0, ended: false };
        outputs.set(name, out);
      }
      return out;
    };
    const invalid = (what: string) => fail(`the function's isolate broke its protocol (${what})`);
    const sendChecked = (m: SandboxMessage) =>
      new Promise<void>((resolve, reject) => {
        if (!child.connected) return reject(new Error("the isolate is gone"));
        child.send(m, (error) => (error ? reject(error) : resolve()));
      });

    // Everything from the isolate is untrusted: the function may have taken over its process.
    child.on("message", (m: SandboxReply) => {
      if (typeof m !== "object" || m === null) return invalid("not an object");
      switch (m.kind) {
        case "output": {
          if (
            typeof m.name !== "string" ||
            !Object.hasOwn(input.outputs, m.name) ||
            !(m.chunk instanceof Uint8Array) ||
            // Every chunk costs this process work; empty ones would cost it for nothing.
            m.chunk.length === 0
          )
            return invalid("output");
          const out = staged(m.name);
          if (out.ended) return invalid(`output ${m.name} after its end`);
          out.bytes += m.chunk.length;
          if (out.bytes > input.maxOutputBytes)
            return fail(`output ${m.name} is larger than ${input.maxOutputBytes} bytes`);
          out.stream.write(m.chunk, () => void sendChecked({ kind: "ack" }).catch(() => {}));
          return;
        }
        case "output-end": {
          if (typeof m.name !== "string" || !Object.hasOwn(input.outputs, m.name))
            return invalid("output-end");
          const out = staged(m.name);
          if (out.ended) return invalid(`output ${m.name} ended twice`);
          out.ended = true;
          out.stream.end();
          return;
        }
        case "result": {
          const log = Array.isArray(m.log) ? m.log.filter((l): l is string => typeof l === "string") : [];
          const bounded = log
            .slice(0, input.maxLogLines)
            .map((l) => Buffer.from(l).subarray(0, input.maxLogLineBytes).toString());
          if (!m.ok)
            return finish({
              ok: false,
              reason: typeof m.reason === "string" ? m.reason.slice(0, 4096) : "the function failed",
              log: bounded,
            });
          if (typeof m.returnValue !== "string") return invalid("result");
          if (Buffer.byteLength(m.returnValue) > this.maxResultBytes)
            return fail(`the return value is larger than ${this.maxResultBytes} bytes`);
          if ([...outputs.values()].some((o) => !o.ended)) return invalid("result before its outputs ended");
          resulted = true;
          void Promise.all([...outputs.values()].map((o) => o.done)).then(
            () =>
              finish({ ok: true, returnValue: m.returnValue, log: bounded, written: [...outputs.keys()] }),
            (error: Error) =>
              finish({
                ok: false,
                reason: `internal error: staging an output failed: ${error.message}`,
                log: bounded,
              }),
          );
          return;
        }
        default:
          return invalid(`unexpected ${String((m as { kind?: unknown }).kind)}`);
      }
    });
    child.once("exit", () => {
      for (const out of outputs.values()) if (!out.ended) out.stream.destroy();
    });

    const task: SandboxMessage = {
      kind: "task",
      functionName: input.functionName,
      payload: Buffer.from(input.payload, "base64"),
      args: input.args,
      inputs: Object.keys(input.inputs),
      outputs: Object.keys(input.outputs),
      limits: executorLimits,
    };
    void (async () => {
      await sendChecked(task);
      for (const [name, path] of Object.entries(input.inputs)) {
        let size = 0;
        let tooLarge = false;
        for await (const chunk of openStaged(path, key)) {
          size += (chunk as Buffer).length;
          if (size > this.maxInputBytes) {
            tooLarge = true;
            break;
          }
          for (let at = 0; at < (chunk as Buffer).length; at += INPUT_CHUNK)
            await sendChecked({
              kind: "input",
              name,
              chunk: (chunk as Buffer).subarray(at, at + INPUT_CHUNK),
            });
        }
        await sendChecked({ kind: "input-end", name, tooLarge });
      }
    })().catch((error: Error) => {
      if (child.connected) fail(`internal error: reading an input failed: ${error.message}`);
    });
    return { settling: () => resulted };
  }

  close(): void {
    this.closed = true;
    for (const child of this.idle.splice(0)) child.kill("SIGKILL");
    for (const idle of this.idleSandboxed.values()) for (const s of idle.splice(0)) s.child.kill("SIGKILL");
  }
}
