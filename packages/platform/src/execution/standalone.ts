// An execution worker in its own process, talking to a remote scheduler (`mesatee serve execution`).
import { loadSignedPolicyDir } from "@mesatee/attestation";
import { FileAgent, type FileAgentOptions } from "../file-agent/index.js";
import { openServiceIdentity } from "../trust/deployment.js";
import { executionConfigDigest } from "../trust/measured-config.js";
import { RemoteScheduler } from "../scheduler/rpc.js";
import { DEFAULT_TASK_LIMITS, MAX_TASK_LIMITS, type TaskLimits } from "./limits.js";
import type { IsolatePoolOptions } from "./isolate.js";
import { TaskRunner } from "./runner.js";
import { DEFAULT_WORKER_CONFIG, ExecutionWorker, type WorkerConfig } from "./worker.js";

export interface StandaloneWorkerOptions {
  readonly schedulerUrl: string;
  /** The deployment's keys (the worker's own attestation evidence comes from here in simulation). */
  readonly attestationDir: string;
  /** The deployment's signed policy (the platform's `<data-dir>/client`). */
  readonly clientDir: string;
  readonly workDir: string;
  readonly fileAgent: FileAgentOptions;
  readonly worker?: Partial<WorkerConfig>;
  readonly taskLimits?: TaskLimits;
  readonly maxTaskLimits?: TaskLimits;
  readonly isolates?: IsolatePoolOptions;
  readonly onError?: (error: unknown) => void;
}

export interface StandaloneWorker {
  readonly worker: ExecutionWorker;
  stop(): Promise<void>;
}

export async function startStandaloneWorker(options: StandaloneWorkerOptions): Promise<StandaloneWorker> {
  const { policy } = loadSignedPolicyDir(options.clientDir);
  const identity = await openServiceIdentity({
    attestationDir: options.attestationDir,
    service: "execution",
    configDigest: executionConfigDigest(options),
  });
  const scheduler = new RemoteScheduler({
    url: options.schedulerUrl,
    policy,
    certificates: identity.certificates,
  });
  const runner = new TaskRunner(new FileAgent(options.fileAgent), {
    workDir: options.workDir,
    defaults: options.taskLimits ?? DEFAULT_TASK_LIMITS,
    maximum: options.maxTaskLimits ?? MAX_TASK_LIMITS,
    warmIsolates: options.worker?.slots ?? DEFAULT_WORKER_CONFIG.slots,
    ...(options.isolates ? { isolates: options.isolates } : {}),
  });
  const worker = new ExecutionWorker(
    scheduler,
    runner,
    { ...DEFAULT_WORKER_CONFIG, ...options.worker },
    options.onError,
  );
  worker.start();
  return {
    worker,
    async stop() {
      await worker.stop();
      runner.close();
      scheduler.close();
      identity.certificates.stop();
    },
  };
}
