// An execution worker in its own process, talking to a remote scheduler (`mesatee serve execution`).
import { FileAgent, type FileAgentOptions } from "../file-agent/index.js";
import { RemoteScheduler } from "../scheduler/rpc.js";
import { DEFAULT_TASK_LIMITS, MAX_TASK_LIMITS, type TaskLimits } from "./limits.js";
import { TaskRunner } from "./runner.js";
import { DEFAULT_WORKER_CONFIG, ExecutionWorker, type WorkerConfig } from "./worker.js";

export interface StandaloneWorkerOptions {
  readonly schedulerUrl: string;
  /** PEM the scheduler's certificate must chain to. */
  readonly ca: string;
  readonly token: string;
  readonly workDir: string;
  readonly fileAgent: FileAgentOptions;
  readonly worker?: Partial<WorkerConfig>;
  readonly taskLimits?: TaskLimits;
  readonly maxTaskLimits?: TaskLimits;
  readonly onError?: (error: unknown) => void;
}

export interface StandaloneWorker {
  readonly worker: ExecutionWorker;
  stop(): Promise<void>;
}

export function startStandaloneWorker(options: StandaloneWorkerOptions): StandaloneWorker {
  const scheduler = new RemoteScheduler({ url: options.schedulerUrl, ca: options.ca, token: options.token });
  const runner = new TaskRunner(new FileAgent(options.fileAgent), {
    workDir: options.workDir,
    defaults: options.taskLimits ?? DEFAULT_TASK_LIMITS,
    maximum: options.maxTaskLimits ?? MAX_TASK_LIMITS,
    warmIsolates: options.worker?.slots ?? DEFAULT_WORKER_CONFIG.slots,
  });
  const worker = new ExecutionWorker(scheduler, runner, { ...DEFAULT_WORKER_CONFIG, ...options.worker }, options.onError);
  worker.start();
  return {
    worker,
    async stop() {
      await worker.stop();
      runner.close();
      scheduler.close();
    },
  };
}
