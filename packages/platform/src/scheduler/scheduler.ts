// The scheduler: hands staged tasks to execution workers under leases, renews them on heartbeats, takes
// them back from workers that stop heartbeating (retry, bounded, then Failed), and records outcomes —
// each task finishes at most once, and only by the worker holding its lease.
import type { Clock } from "../clock.js";
import { isTerminal, transition } from "../domain/task-state.js";
import type { StagedTask, Task } from "../domain/tasks.js";
import type { Store, Transaction } from "../storage/index.js";

export interface SchedulerConfig {
  /** How long a lease lasts without a heartbeat. */
  readonly leaseMs: number;
  /** How many times a task is handed out before it fails for good. */
  readonly maxAttempts: number;
  /** How often expired leases are collected. */
  readonly reapIntervalMs: number;
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = {
  leaseMs: 15_000,
  maxAttempts: 3,
  reapIntervalMs: 1_000,
};

export interface Lease {
  readonly staged: StagedTask;
  readonly attempt: number;
  readonly leaseMs: number;
}

export type TaskOutcome =
  | {
      readonly kind: "ok";
      readonly returnValue: Uint8Array;
      readonly tags: Readonly<Record<string, string>>;
      readonly log: readonly string[];
    }
  | { readonly kind: "err"; readonly reason: string; readonly log: readonly string[] };

/** What an execution worker needs from the scheduler, in process or over RPC. */
export interface SchedulerApi {
  /** The next task for `worker`, waiting up to `waitMs` for one; undefined if none came. */
  lease(worker: string, waitMs: number, signal?: AbortSignal): Promise<Lease | undefined>;
  /** Renews the worker's leases; returns the tasks it must stop (canceled, or lease lost). */
  heartbeat(worker: string, taskIds: readonly string[]): Promise<string[]>;
  /** Records a task's outcome; false if the worker no longer holds the lease (the outcome is dropped). */
  complete(worker: string, taskId: string, outcome: TaskOutcome): Promise<boolean>;
}

export const LOST_WORKER_REASON = "the execution worker stopped responding";

export class Scheduler implements SchedulerApi {
  private readonly waiters = new Set<() => void>();
  private readonly cancelListeners = new Set<(taskId: string) => void>();
  private reaper: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly config: SchedulerConfig = DEFAULT_SCHEDULER_CONFIG,
  ) {}

  start(): void {
    this.reaper ??= setInterval(() => {
      this.reap().catch(() => {
        // The next round retries; a failing store also fails every other call loudly.
      });
    }, this.config.reapIntervalMs);
    this.reaper.unref();
  }

  stop(): void {
    clearInterval(this.reaper);
    this.reaper = undefined;
    for (const wake of this.waiters) wake();
  }

  /** A task was staged: wake waiting workers. */
  notifyStaged(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** A task was canceled: in-process workers stop it at once (remote ones on their next heartbeat). */
  notifyCanceled(taskId: string): void {
    for (const listener of this.cancelListeners) listener(taskId);
  }

  onCancel(listener: (taskId: string) => void): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }

  async lease(worker: string, waitMs: number, signal?: AbortSignal): Promise<Lease | undefined> {
    const deadline = this.clock.now() + waitMs;
    for (;;) {
      const lease = await this.tryLease(worker);
      if (lease || signal?.aborted || !this.reaper) return lease;
      const remaining = deadline - this.clock.now();
      if (remaining <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(remaining, this.config.reapIntervalMs));
        this.waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  private tryLease(worker: string): Promise<Lease | undefined> {
    return this.store.transaction(async (tx) => {
      for (;;) {
        const now = this.clock.now();
        const leased = await tx.lease(worker, now, this.config.leaseMs);
        if (!leased) return undefined;
        const task = await tx.get("task", leased.entry.taskId);
        if (!task || isTerminal(task.status)) {
          await tx.dequeue(leased.entry.taskId);
          continue;
        }
        if (leased.entry.attempts > this.config.maxAttempts) {
          await this.fail(tx, task, `${LOST_WORKER_REASON} (${this.config.maxAttempts} attempts)`, now);
          continue;
        }
        // A task whose previous worker vanished is still Running: requeue it first.
        const staged = task.status === "Running" ? transition(task, "requeue", now) : task;
        await tx.update("task", task.id, transition(staged, "start", now));
        return { staged: leased.staged, attempt: leased.entry.attempts, leaseMs: this.config.leaseMs };
      }
    });
  }

  async heartbeat(worker: string, taskIds: readonly string[]): Promise<string[]> {
    return this.store.transaction(async (tx) => {
      const stop: string[] = [];
      const now = this.clock.now();
      for (const id of taskIds)
        if (!(await tx.renewLease(id, worker, now, this.config.leaseMs))) stop.push(id);
      return stop;
    });
  }

  async complete(worker: string, taskId: string, outcome: TaskOutcome): Promise<boolean> {
    return this.store.transaction(async (tx) => {
      const entry = await tx.queueEntry(taskId);
      const now = this.clock.now();
      if (!entry || entry.leaseOwner !== worker || (entry.leaseExpiresAt ?? 0) < now) return false;
      const task = await tx.get("task", taskId);
      if (!task || task.status !== "Running") {
        await tx.dequeue(taskId);
        return false;
      }
      if (outcome.kind === "err") {
        await this.fail(tx, task, outcome.reason, now, outcome.log);
        return true;
      }
      // Each output's tag is set once: an output that already holds a result fails the task instead.
      for (const [name, fileId] of Object.entries(task.assignedOutputs)) {
        const tag = outcome.tags[name];
        const file = await tx.get("output", fileId);
        if (!file || !tag) {
          await this.fail(tx, task, `output ${name} was not produced`, now, outcome.log);
          return true;
        }
        if (file.cmac) {
          await this.fail(tx, task, `output file ${fileId} already holds a result`, now, outcome.log);
          return true;
        }
        await tx.update("output", fileId, { ...file, cmac: tag });
      }
      await tx.update("task", taskId, {
        ...transition(task, "finish", now),
        result: {
          kind: "ok",
          returnValue: Buffer.from(outcome.returnValue).toString("base64"),
          tags: { ...outcome.tags },
          log: [...outcome.log],
        },
      });
      await tx.dequeue(taskId);
      return true;
    });
  }

  /** Takes back tasks whose workers stopped heartbeating: retried, or Failed after maxAttempts. */
  async reap(): Promise<void> {
    // Decided per attempt: a transaction may run again, and only the committed attempt counts.
    const requeued = await this.store.transaction(async (tx) => {
      let released = false;
      const now = this.clock.now();
      for (const entry of await tx.expiredLeases(now)) {
        const task = await tx.get("task", entry.taskId);
        if (!task || isTerminal(task.status)) {
          await tx.dequeue(entry.taskId);
        } else if (entry.attempts >= this.config.maxAttempts) {
          await this.fail(tx, task, `${LOST_WORKER_REASON} (${entry.attempts} attempts)`, now);
        } else {
          await tx.releaseLease(entry.taskId);
          if (task.status === "Running") await tx.update("task", task.id, transition(task, "requeue", now));
          released = true;
        }
      }
      return released;
    });
    if (requeued) this.notifyStaged();
  }

  private async fail(
    tx: Transaction,
    task: Task,
    reason: string,
    now: number,
    log: readonly string[] = [],
  ): Promise<void> {
    await tx.update("task", task.id, {
      ...transition(task, "fail", now),
      result: { kind: "err", reason, log: [...log] },
    });
    await tx.dequeue(task.id);
  }
}
