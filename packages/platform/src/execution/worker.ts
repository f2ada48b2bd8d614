// An execution worker: runs up to `slots` tasks at once, each isolated; keeps its leases alive with
// heartbeats; stops a task in place when the scheduler says it was canceled or its lease was lost.
//
// A worker cut off from the scheduler also stops its tasks itself, before the scheduler can hand them to
// another worker: each lease is held only until (when the last acknowledged lease or heartbeat was
// sent) + leaseMs − margin. The scheduler starts or renews a lease no earlier than that send time, so a
// stale worker never uploads outputs while another worker holds the task.
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { SchedulerApi, TaskOutcome } from "../scheduler/scheduler.js";
import type { StagedTask } from "../domain/tasks.js";

export interface WorkerConfig {
  readonly id?: string;
  /** Tasks run at once. */
  readonly slots: number;
  /** Heartbeat period; must be well below the scheduler's lease. */
  readonly heartbeatMs: number;
  /** How long one lease request waits for work. */
  readonly pollMs: number;
}

export const DEFAULT_WORKER_CONFIG: WorkerConfig = { slots: 2, heartbeatMs: 2_000, pollMs: 10_000 };

/** Part of a lease the worker gives up early, for timer lateness and clock-rate differences. */
const LEASE_MARGIN = 0.1;

/** Why a task stopped without a report: the scheduler has moved on, or will before anything is uploaded. */
export const LEASE_EXPIRED = "the lease expired without an acknowledged heartbeat";

interface RunningTask {
  readonly controller: AbortController;
  readonly leaseMs: number;
  expiry: NodeJS.Timeout | undefined;
}

export interface TaskExecutor {
  run(staged: StagedTask, signal: AbortSignal): Promise<TaskOutcome>;
}

export class ExecutionWorker {
  readonly id: string;
  private readonly running = new Map<string, RunningTask>();
  private readonly executions = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private loops: Array<Promise<void>> = [];
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly scheduler: SchedulerApi,
    private readonly executor: TaskExecutor,
    private readonly config: WorkerConfig = DEFAULT_WORKER_CONFIG,
    private readonly onError: (error: unknown) => void = () => {},
  ) {
    this.id = config.id ?? `worker-${randomUUID()}`;
  }

  start(): void {
    if (this.loops.length) return;
    for (let i = 0; i < this.config.slots; i++) this.loops.push(this.loop());
    this.heartbeat = setInterval(() => void this.beat(), this.config.heartbeatMs);
  }

  /** Tasks running now. */
  get runningTasks(): string[] {
    return [...this.running.keys()];
  }

  /** Resolves when the worker is done with a task (finished, failed or stopped); at once if not running. */
  settled(taskId: string): Promise<void> {
    return this.executions.get(taskId) ?? Promise.resolve();
  }

  /** Stops a running task in place (the worker and its other tasks carry on). */
  cancel(taskId: string): boolean {
    const task = this.running.get(taskId);
    task?.controller.abort();
    return task !== undefined;
  }

  /**
   * Stops taking work and aborts running tasks; their leases lapse and the scheduler hands them to
   * another worker.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.heartbeat);
    for (const task of this.running.values()) task.controller.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        const asked = performance.now();
        const lease = await this.scheduler.lease(this.id, this.config.pollMs, this.stopping.signal);
        if (!lease || this.stopping.signal.aborted) continue;
        const execution = this.execute(lease.staged, lease.leaseMs, asked);
        this.executions.set(lease.staged.taskId, execution);
        await execution.finally(() => this.executions.delete(lease.staged.taskId));
      } catch (error) {
        this.onError(error);
        // Back off briefly before asking again (the scheduler may be restarting).
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 500);
          this.stopping.signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
        });
      }
    }
  }

  private async execute(staged: StagedTask, leaseMs: number, leasedAt: number): Promise<void> {
    const task: RunningTask = { controller: new AbortController(), leaseMs, expiry: undefined };
    this.running.set(staged.taskId, task);
    this.holdLease(task, leasedAt);
    try {
      // A long-polled lease may have been granted late in the wait; renew it before starting if what
      // the ask time guarantees is short.
      if (performance.now() - leasedAt > leaseMs / 2) await this.renew([staged.taskId]);
      if (task.controller.signal.aborted) return;
      const outcome = await this.executor.run(staged, task.controller.signal);
      // A canceled task or a lost lease has nobody to report to; the scheduler already moved on.
      if (task.controller.signal.aborted) return;
      await this.scheduler.complete(this.id, staged.taskId, outcome);
    } finally {
      clearTimeout(task.expiry);
      this.running.delete(staged.taskId);
    }
  }

  /** (Re)arms the task's own lease expiry from the send time of the scheduler's latest grant. */
  private holdLease(task: RunningTask, grantedNoEarlierThan: number): void {
    clearTimeout(task.expiry);
    const remaining = grantedNoEarlierThan + task.leaseMs * (1 - LEASE_MARGIN) - performance.now();
    task.expiry = setTimeout(() => task.controller.abort(new Error(LEASE_EXPIRED)), Math.max(0, remaining));
  }

  private async beat(): Promise<void> {
    const ids = this.runningTasks;
    if (ids.length === 0) return;
    try {
      await this.renew(ids);
    } catch (error) {
      this.onError(error);
    }
  }

  /** Heartbeats these tasks: stops those the scheduler no longer leases to us, extends the others. */
  private async renew(ids: readonly string[]): Promise<void> {
    const sent = performance.now();
    const stop = new Set(await this.scheduler.heartbeat(this.id, ids));
    for (const id of ids) {
      const task = this.running.get(id);
      if (!task || task.controller.signal.aborted) continue;
      if (stop.has(id)) task.controller.abort();
      else this.holdLease(task, sent);
    }
  }
}
