// What each service's measurement covers besides its code: the settings that decide what the service
// lets through and what a task may do. A policy signed for one configuration therefore refuses a service
// run with another, as a TEE's measured manifest would. Addresses, ports, directories, pool sizes and
// timings of heartbeats are operational and not measured: they cannot widen what data may reach or leave.
import { createHash } from "node:crypto";
import type { PlatformConfig } from "../config.js";
import { DEFAULT_BLOCKED_NETWORKS } from "../file-agent/networks.js";
import { DEFAULTS as FILE_AGENT_DEFAULTS, type FileAgentOptions } from "../file-agent/options.js";
import type { IsolatePoolOptions } from "../execution/isolate.js";
import { DEFAULT_TASK_LIMITS, MAX_TASK_LIMITS, type TaskLimits } from "../execution/limits.js";
import { DEFAULT_LOGIN_THROTTLE } from "../services/authentication/throttle.js";
import { INBOUND, SERVICES, type ServiceName } from "./services.js";

/** Version of the measured layout: bump when the set of measured settings changes. */
const LAYOUT = "mesatee-measured-config-v2";

/** The execution service's measured settings, from the options its task runner and file agent get. */
export interface ExecutionSettings {
  readonly taskLimits?: TaskLimits;
  readonly maxTaskLimits?: TaskLimits;
  readonly isolates?: IsolatePoolOptions;
  readonly fileAgent?: FileAgentOptions;
}

function executionSettings(s: ExecutionSettings): unknown {
  const agent = s.fileAgent ?? {};
  const isolates = s.isolates ?? {};
  const ca = agent.ca === undefined ? [] : typeof agent.ca === "string" ? [agent.ca] : [...agent.ca];
  return {
    taskLimits: s.taskLimits ?? DEFAULT_TASK_LIMITS,
    maxTaskLimits: s.maxTaskLimits ?? MAX_TASK_LIMITS,
    sandbox: {
      namespaces: isolates.namespaces ?? null,
      maxResultBytes: isolates.maxResultBytes ?? null,
      maxInputBytes: isolates.maxInputBytes ?? null,
    },
    fileAgent: {
      timeoutMs: agent.timeoutMs ?? FILE_AGENT_DEFAULTS.timeoutMs,
      idleTimeoutMs: agent.idleTimeoutMs ?? FILE_AGENT_DEFAULTS.idleTimeoutMs,
      maxDownloadBytes: agent.maxDownloadBytes ?? FILE_AGENT_DEFAULTS.maxDownloadBytes,
      maxUploadBytes: agent.maxUploadBytes ?? FILE_AGENT_DEFAULTS.maxUploadBytes,
      maxRedirects: agent.maxRedirects ?? FILE_AGENT_DEFAULTS.maxRedirects,
      maxDataUrlBytes: agent.maxDataUrlBytes ?? FILE_AGENT_DEFAULTS.maxDataUrlBytes,
      fileRoots: [...(agent.fileRoots ?? [])],
      blockedNetworks: [...(agent.blockedNetworks ?? DEFAULT_BLOCKED_NETWORKS)],
      // Extra trusted CAs decide which https servers a task's files may come from or go to.
      ca: ca.map((pem) => createHash("sha256").update(pem).digest("hex")),
    },
  };
}

/** JSON with object keys sorted at every level, so equal settings always hash alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function digest(service: ServiceName, settings: unknown): string {
  return createHash("sha256")
    .update(canonical({ layout: LAYOUT, service, inbound: INBOUND[service] ?? [], settings }))
    .digest("hex");
}

/** The measured-configuration digest of an execution worker running with these options. */
export function executionConfigDigest(settings: ExecutionSettings): string {
  return digest("execution", executionSettings(settings));
}

/** Every service's measured-configuration digest for a platform configuration (hex SHA-256 each). */
export function configDigests(config: PlatformConfig): Record<ServiceName, string> {
  const transport = { maxMessageBytes: config.maxMessageBytes };
  const settings: Record<ServiceName, unknown> = {
    authentication: {
      ...transport,
      tokenTtlSeconds: config.authentication.tokenTtlSeconds,
      minPasswordLength: config.authentication.minPasswordLength,
      maxPasswordLength: config.authentication.maxPasswordLength,
      passwordHashing: config.authentication.passwordHashing ?? null,
      loginThrottle: config.authentication.loginThrottle ?? DEFAULT_LOGIN_THROTTLE,
    },
    frontend: transport,
    management: { ...transport, limits: config.limits },
    storage: {},
    scheduler: { ...transport, maxAttempts: config.scheduler.maxAttempts },
    execution: executionSettings(executionSettingsOf(config)),
  };
  return Object.fromEntries(SERVICES.map((s) => [s, digest(s, settings[s])])) as Record<ServiceName, string>;
}

/** The execution settings of a platform configuration, as its in-process worker runs them. */
export function executionSettingsOf(config: PlatformConfig): Required<ExecutionSettings> {
  return {
    taskLimits: config.taskLimits,
    maxTaskLimits: config.maxTaskLimits,
    isolates: config.isolates,
    fileAgent: { ...config.fileAgent, fileRoots: config.limits.fileUrlRoots },
  };
}
