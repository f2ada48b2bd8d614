// The worker's own lease bound: cut off from the scheduler, it stops a task before the lease the
// scheduler granted can expire, so it never reports or uploads while another worker holds the task.
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import type { StagedTask } from "../domain/tasks.js";
import type { Lease, SchedulerApi, TaskOutcome } from "../scheduler/scheduler.js";
import { ExecutionWorker, LEASE_EXPIRED, type TaskExecutor } from "./worker.js";

const staged = { taskId: "task-1" } as StagedTask;
const LEASE_MS = 400;

/** A scheduler that hands out one task, then answers heartbeats as told. */
class FakeScheduler implements SchedulerApi {
  given = false;
  heartbeats = 0;
  readonly completed: TaskOutcome[] = [];
  private reported: () => void = () => {};
  /** Settles when the worker reports an outcome. */
  readonly report = new Promise<void>((resolve) => (this.reported = resolve));
  constructor(private readonly answer: () => Promise<string[]>) {}
  async lease(_worker: string, waitMs: number, signal?: AbortSignal): Promise<Lease | undefined> {
    if (!this.given) {
      this.given = true;
      return { staged, attempt: 1, leaseMs: LEASE_MS };
    }
    // Nothing more to hand out: wait out the poll like the real scheduler.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, waitMs);
      signal?.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
    });
    return undefined;
  }
  heartbeat(): Promise<string[]> {
    this.heartbeats++;
    return this.answer();
  }
  async complete(_worker: string, _taskId: string, outcome: TaskOutcome): Promise<boolean> {
    this.completed.push(outcome);
    this.reported();
    return true;
  }
}

/** Runs until aborted (reporting why), or until `finish` is called. */
function controllableTask() {
  let finish: () => void = () => {};
  let aborted: (reason: unknown) => void = () => {};
  const abortedWith = new Promise<unknown>((resolve) => (aborted = resolve));
  const executor: TaskExecutor = {
    run: (_staged, signal) =>
      new Promise<TaskOutcome>((resolve) => {
        signal.addEventListener("abort", () => {
          aborted(signal.reason);
          resolve({ kind: "err", reason: "canceled", log: [] });
        });
        finish = () => resolve({ kind: "ok", returnValue: new Uint8Array(), tags: {}, log: [] });
      }),
  };
  return { executor, abortedWith, finish: () => finish() };
}

test("a worker whose heartbeats get no answer stops the task itself and reports nothing", async () => {
  const scheduler = new FakeScheduler(() => new Promise<string[]>(() => {}));
  const task = controllableTask();
  const worker = new ExecutionWorker(scheduler, task.executor, { slots: 1, heartbeatMs: 100, pollMs: 50 });
  worker.start();
  try {
    const reason = await task.abortedWith;
    assert.ok(reason instanceof Error && reason.message === LEASE_EXPIRED);
    await worker.settled("task-1");
    assert.deepEqual(scheduler.completed, []);
    assert.ok(scheduler.heartbeats >= 1, "the worker did try to renew");
  } finally {
    await worker.stop();
  }
});

test("a worker whose heartbeats fail stops the task itself too", async () => {
  const scheduler = new FakeScheduler(() => Promise.reject(new Error("unreachable")));
  const task = controllableTask();
  const errors: unknown[] = [];
  const worker = new ExecutionWorker(
    scheduler,
    task.executor,
    { slots: 1, heartbeatMs: 100, pollMs: 50 },
    (e) => errors.push(e),
  );
  worker.start();
  try {
    assert.equal(((await task.abortedWith) as Error).message, LEASE_EXPIRED);
    await worker.settled("task-1");
    assert.deepEqual(scheduler.completed, []);
    assert.ok(errors.length >= 1);
  } finally {
    await worker.stop();
  }
});

test("acknowledged heartbeats keep a task running well past one lease, and it reports", async () => {
  const acked = new (class extends EventTarget {})();
  const scheduler = new FakeScheduler(async () => {
    queueMicrotask(() => acked.dispatchEvent(new Event("ack")));
    return [];
  });
  const task = controllableTask();
  const worker = new ExecutionWorker(scheduler, task.executor, { slots: 1, heartbeatMs: 50, pollMs: 50 });
  worker.start();
  try {
    // Twenty acknowledged heartbeats 50 ms apart span 1 s, more than two leases of 400 ms.
    while (scheduler.heartbeats < 20) await once(acked, "ack");
    task.finish();
    await scheduler.report;
    assert.equal(scheduler.completed.length, 1);
    assert.equal(scheduler.completed[0]?.kind, "ok");
  } finally {
    await worker.stop();
  }
});

test("a task the scheduler says to stop is stopped at the next heartbeat", async () => {
  const scheduler = new FakeScheduler(async () => ["task-1"]);
  const task = controllableTask();
  const worker = new ExecutionWorker(scheduler, task.executor, { slots: 1, heartbeatMs: 50, pollMs: 50 });
  worker.start();
  try {
    const reason = (await task.abortedWith) as Error;
    assert.equal(reason.name, "AbortError", "stopped by the scheduler's answer, not by expiry");
    await worker.settled("task-1");
    assert.deepEqual(scheduler.completed, []);
  } finally {
    await worker.stop();
  }
});

test("a lease granted late in a long poll is renewed before the task starts", async () => {
  const scheduler = new FakeScheduler(async () => []);
  const lease = scheduler.lease.bind(scheduler);
  // The grant arrives after most of what the ask time guarantees has passed.
  scheduler.lease = async (...args) => {
    const first = !scheduler.given;
    const granted = await lease(...args);
    if (first) await new Promise((resolve) => setTimeout(resolve, LEASE_MS * 0.6));
    return granted;
  };
  let heartbeatsAtStart = -1;
  const worker = new ExecutionWorker(
    scheduler,
    {
      run: async () => {
        heartbeatsAtStart = scheduler.heartbeats;
        return { kind: "ok", returnValue: new Uint8Array(), tags: {}, log: [] };
      },
    },
    { slots: 1, heartbeatMs: 60_000, pollMs: 50 },
  );
  worker.start();
  try {
    await scheduler.report;
    assert.equal(heartbeatsAtStart, 1);
  } finally {
    await worker.stop();
  }
});
