// An execution worker: runs up to `slots` tasks at once, each isolated; keeps its leases alive with
// heartbeats; stops a task in place when the scheduler says it was canceled or its lease was lost.
import { randomUUID } from "node:crypto";
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

export interface TaskExecutor {
  run(staged: StagedTask, signal: AbortSignal): Promise<TaskOutcome>;
}

export class ExecutionWorker {
  readonly id: string;
  private readonly running = new Map<string, AbortController>();
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
    const c = this.running.get(taskId);
    c?.abort();
    return c !== undefined;
  }

  /**
   * Stops taking work and aborts running tasks; their leases lapse and the scheduler hands them to
   * another worker.
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearInterval(this.heartbeat);
    for (const c of this.running.values()) c.abort();
    await Promise.all(this.loops);
    this.loops = [];
  }

  private async loop(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      try {
        const lease = await this.scheduler.lease(this.id, this.config.pollMs, this.stopping.signal);
        if (!lease || this.stopping.signal.aborted) continue;
        const execution = this.execute(lease.staged);
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

  private async execute(staged: StagedTask): Promise<void> {
    const controller = new AbortController();
    this.running.set(staged.taskId, controller);
    try {
      const outcome = await this.executor.run(staged, controller.signal);
      // A canceled task or a lost lease has nobody to report to; the scheduler already moved on.
      if (controller.signal.aborted) return;
      await this.scheduler.complete(this.id, staged.taskId, outcome);
    } finally {
      this.running.delete(staged.taskId);
    }
  }

  private async beat(): Promise<void> {
    const ids = this.runningTasks;
    if (ids.length === 0) return;
    try {
      for (const id of await this.scheduler.heartbeat(this.id, ids)) this.cancel(id);
    } catch (error) {
      this.onError(error);
    }
  }
}
