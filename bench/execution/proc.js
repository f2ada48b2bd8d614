// Memory and CPU time of a process and of its child processes, from /proc (Linux). VmHWM is the kernel's
// own peak of the resident set, so a sampler that wakes every few tens of milliseconds still sees a peak it
// slept through, as long as it reads the process before it exits.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { clearInterval, setInterval } from "node:timers";

/** VmRSS and VmHWM of `pid` in MiB; undefined once the process is gone (or off Linux). */
export function memoryOf(pid) {
  let status;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, hwmMiB: kib("VmHWM") / 1024 };
}

/** Direct children of `pid`, from every thread's children list. */
export function childrenOf(pid) {
  const pids = new Set();
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").trim().split(/\s+/))
        if (child) pids.add(Number(child));
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return [...pids];
}

/**
 * Samples a process and its children every `intervalMs` until stopped. Reports the process's VmHWM and
 * largest sampled VmRSS, and, over its children, the largest VmHWM seen (the isolate that ran the task,
 * when the children are the platform's isolates).
 */
export class MemorySampler {
  #timer;
  #pid;
  #rssMax = 0;
  #hwm = 0;
  #children = new Map();
  #samples = 0;

  constructor(pid, intervalMs = 50) {
    this.#pid = pid;
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), intervalMs);
  }

  #sample() {
    this.#samples++;
    const own = memoryOf(this.#pid);
    if (own && Number.isFinite(own.hwmMiB)) {
      this.#rssMax = Math.max(this.#rssMax, own.rssMiB);
      this.#hwm = Math.max(this.#hwm, own.hwmMiB);
    }
    for (const child of childrenOf(this.#pid)) {
      const m = memoryOf(child);
      // A process that is exiting (or not yet exec'd) may have no VmHWM line.
      if (m && Number.isFinite(m.hwmMiB))
        this.#children.set(child, Math.max(this.#children.get(child) ?? 0, m.hwmMiB));
    }
  }

  stop() {
    this.#sample();
    clearInterval(this.#timer);
    const children = [...this.#children.values()];
    return {
      samples: this.#samples,
      rssMaxMiB: this.#rssMax,
      hwmMiB: this.#hwm,
      childHwmMiB: children.length ? Math.max(...children) : NaN,
      childrenSeen: children.length,
    };
  }
}

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * CPU time of `pid` (user + system, ms) and of its children that have exited and been waited for
 * (cutime + cstime); undefined once the process is gone. Resolution: one clock tick (usually 10 ms).
 */
export function cpuOf(pid) {
  let stat;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ms = (i) => (Number(fields[i]) * 1000) / clockTicks();
  // utime, stime, cutime, cstime are fields 14-17 of stat(5), i.e. 11-14 after the name and state.
  return { selfMs: ms(11) + ms(12), childrenMs: ms(13) + ms(14) };
}

/** Busy and total CPU time of the whole machine (all cores) since boot, ms, from /proc/stat. */
export function machineCpu() {
  const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0];
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line
    .trim()
    .split(/\s+/)
    .slice(1, 9)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  const toMs = (ticks) => (ticks * 1000) / clockTicks();
  return { busyMs: toMs(busy), totalMs: toMs(busy + idle + iowait) };
}

/**
 * Starts measuring CPU time: call the returned function to get, since then, the whole machine's busy and
 * total time and the time of `pids` (each process with its exited children), all in ms. `others` is the
 * machine's busy time not spent by those processes: load from outside the benchmark.
 */
export function cpuSince(pids) {
  const snapshot = () => ({
    machine: machineCpu(),
    ours: pids.reduce((sum, pid) => {
      const c = cpuOf(pid);
      return sum + (c ? c.selfMs + c.childrenMs : 0);
    }, 0),
  });
  const before = snapshot();
  return () => {
    const after = snapshot();
    const busyMs = after.machine.busyMs - before.machine.busyMs;
    const oursMs = after.ours - before.ours;
    return {
      busyMs,
      totalMs: after.machine.totalMs - before.machine.totalMs,
      oursMs,
      othersMs: Math.max(0, busyMs - oursMs),
    };
  };
}
