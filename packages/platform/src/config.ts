// Platform configuration: every limit has a default; the CLI and tests override what they need.
import {
  DEFAULT_AUTHENTICATION_CONFIG,
  type AuthenticationConfig,
} from "./services/authentication/service.js";
import { DEFAULT_MANAGEMENT_LIMITS, type ManagementLimits } from "./services/management/limits.js";
import { systemClock, type Clock } from "./clock.js";
import { DEFAULT_TASK_LIMITS, MAX_TASK_LIMITS, type TaskLimits } from "./execution/limits.js";
import { DEFAULT_WORKER_CONFIG, type WorkerConfig } from "./execution/worker.js";
import type { IsolatePoolOptions } from "./execution/isolate.js";
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from "./scheduler/scheduler.js";
import type { ServiceName } from "./trust/services.js";
import type { PostgresOptions } from "./storage/postgres.js";

export interface PlatformConfig {
  readonly dataDir: string;
  /** PostgreSQL URL for the store; absent: SQLite in the data directory. Holds a secret: never log it. */
  readonly databaseUrl?: string;
  /** PostgreSQL pool size and timeouts (defaults in POSTGRES_DEFAULTS). */
  readonly database?: PostgresOptions;
  readonly host: string;
  readonly authPort: number;
  readonly frontendPort: number;
  /** Password for the bootstrap `admin` on first start; random (and reported once) when absent. */
  readonly adminPassword?: string;
  /** Keys of this deployment (simulation root, attestation-service role, auditors); default `<data-dir>/attestation`. */
  readonly attestationDir?: string;
  /** Lifetime of the endpoints' RA-TLS certificates (rotated at three quarters of it). */
  readonly certificateValidityMs: number;
  /** Largest request message (bytes); Teaclave's limit is 4 MiB. */
  readonly maxMessageBytes: number;
  readonly authentication: AuthenticationConfig;
  readonly limits: ManagementLimits;
  readonly clock: Clock;
  /** Internal scheduler endpoint for execution workers in other processes. */
  readonly schedulerPort: number;
  readonly scheduler: SchedulerConfig;
  /** Run an execution worker inside the platform process (all-in-one). */
  readonly inProcessWorker: boolean;
  readonly worker: WorkerConfig;
  /**
   * Isolates: idle ones kept per executor family (e.g. `{ python: 1 }` pre-loads a Python interpreter so
   * the first Python task does not pay the start-up), sandbox namespaces, user-function I/O limits.
   */
  readonly isolates: IsolatePoolOptions;
  readonly taskLimits: TaskLimits;
  readonly maxTaskLimits: TaskLimits;
  /** File agent: per-transfer timeout, size limits, extra trusted CAs for https inputs and outputs. */
  /**
   * Told when an internal (mutual RA-TLS) endpoint refuses a caller, with the reason; the caller only
   * sees its connection close. The CLI writes these to stderr.
   */
  readonly onPeerRefused?: (service: ServiceName, error: Error) => void;
  readonly fileAgent: {
    readonly timeoutMs?: number;
    readonly maxDownloadBytes?: number;
    readonly maxUploadBytes?: number;
    readonly ca?: readonly string[];
    readonly blockedNetworks?: readonly string[];
  };
}

export const DEFAULT_AUTH_PORT = 7776;
export const DEFAULT_FRONTEND_PORT = 7777;
export const DEFAULT_SCHEDULER_PORT = 17780;

export function defaultConfig(overrides: Partial<PlatformConfig> & { dataDir: string }): PlatformConfig {
  return {
    host: "127.0.0.1",
    authPort: DEFAULT_AUTH_PORT,
    frontendPort: DEFAULT_FRONTEND_PORT,
    certificateValidityMs: 24 * 3600_000,
    maxMessageBytes: 4 * 1024 * 1024,
    authentication: DEFAULT_AUTHENTICATION_CONFIG,
    limits: DEFAULT_MANAGEMENT_LIMITS,
    clock: systemClock,
    schedulerPort: DEFAULT_SCHEDULER_PORT,
    scheduler: DEFAULT_SCHEDULER_CONFIG,
    inProcessWorker: true,
    worker: DEFAULT_WORKER_CONFIG,
    isolates: {},
    taskLimits: DEFAULT_TASK_LIMITS,
    maxTaskLimits: MAX_TASK_LIMITS,
    fileAgent: {},
    ...overrides,
  };
}
