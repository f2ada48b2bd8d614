// @mesatee/platform: the services, the store and the all-in-one runner.
export { startPlatform, ADMIN_ID, type Platform } from "./platform.js";
export { defaultConfig, DEFAULT_AUTH_PORT, DEFAULT_FRONTEND_PORT, type PlatformConfig } from "./config.js";
export { PlatformError, type PlatformErrorCode } from "./errors.js";
export { ERROR_CODE_HEADER } from "./server/status.js";
export { systemClock, type Clock } from "./clock.js";
export {
  DEFAULT_AUTHENTICATION_CONFIG,
  type AuthenticationConfig,
} from "./services/authentication/service.js";
export { DEFAULT_MANAGEMENT_LIMITS, type ManagementLimits } from "./services/management/limits.js";
export { FRONTEND_APIS, AUTHENTICATION_APIS, isApiAllowed, type Api } from "./access-control/index.js";
export {
  verifyAuditChain,
  openPostgresBackend,
  redactDatabaseUrl,
  POSTGRES_DEFAULTS,
  type PostgresOptions,
} from "./storage/index.js";
export {
  startStandaloneWorker,
  type StandaloneWorker,
  type StandaloneWorkerOptions,
} from "./execution/standalone.js";
export { DEFAULT_TASK_LIMITS, MAX_TASK_LIMITS, type TaskLimits } from "./execution/limits.js";
export { DEFAULT_WORKER_CONFIG, type WorkerConfig } from "./execution/worker.js";
export { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from "./scheduler/scheduler.js";
export { DEFAULT_SCHEDULER_PORT } from "./config.js";
export {
  startService,
  initDeployment,
  DISTRIBUTED_SERVICES,
  type DistributedService,
  type RunningService,
} from "./distributed.js";
export {
  loadServiceConfig,
  withLimits,
  databaseSettings,
  type ServiceConfig,
  type LimitsConfig,
} from "./config-file.js";
export { openServiceIdentity, SERVICES, INBOUND, type ServiceName } from "./trust/deployment.js";
export { configDigests, executionConfigDigest, type ExecutionSettings } from "./trust/measured-config.js";
