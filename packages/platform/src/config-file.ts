// The deployment's configuration file (TOML): where each service listens and whom it calls
// (`mesatee serve`), and the limits every service applies (`mesatee up --config` and `mesatee serve`).
// Every field is validated here, at the boundary; limits left out keep their defaults.
import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { defaultConfig, type PlatformConfig } from "./config.js";
import { PlatformError } from "./errors.js";
import { NetworkBlockList } from "./file-agent/networks.js";
import { isDatabaseUrl } from "./storage/open.js";
import type { PostgresOptions } from "./storage/postgres.js";

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, "expected HOST:PORT");
const url = z.string().url();
const int = (min: number, max: number) => z.number().int().min(min).max(max);
const absolutePath = z.string().refine(isAbsolute, "expected an absolute path");
const DAY_MS = 24 * 3_600_000;

const LimitsSchema = z
  .object({
    /** Largest request message, bytes. */
    max_message_bytes: int(1024, 64 * 1024 ** 2).optional(),
    token_ttl_seconds: int(60, 30 * 24 * 3600).optional(),
    /** A task's wall-clock and memory limits when its function sets none... */
    task_timeout_ms: int(1000, 7 * DAY_MS).optional(),
    task_memory_mb: int(16, 1024 * 1024).optional(),
    /** ...and the most any function may ask for. */
    max_task_timeout_ms: int(1000, 7 * DAY_MS).optional(),
    max_task_memory_mb: int(16, 1024 * 1024).optional(),
    /** Directories `file:` input and output URLs may point into; none by default. */
    file_url_roots: z.array(absolutePath).max(64).optional(),
    /** Networks the file agent never contacts (CIDR); replaces the default link-local list. */
    blocked_networks: z.array(z.string().min(1)).max(256).optional(),
    max_download_bytes: int(0, Number.MAX_SAFE_INTEGER).optional(),
    max_upload_bytes: int(0, Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

// The message never echoes the value: a database URL may carry a password.
const databaseUrl = z
  .string()
  .refine(
    isDatabaseUrl,
    "expected postgres://[user[:password]@]host[:port]/database or postgresql:///database?host=/socket/dir",
  );

const DatabaseSchema = z
  .object({
    /** Connections each process keeps open to the database. */
    pool_size: int(1, 1000).optional(),
    /** Longest a single statement may run. */
    statement_timeout_ms: int(100, 3_600_000).optional(),
    /** Longest to wait for a connection. */
    connect_timeout_ms: int(100, 600_000).optional(),
  })
  .strict();

const ConfigSchema = z
  .object({
    data_dir: z.string().min(1),
    /** PostgreSQL shared by every service; without it each service opens SQLite in data_dir. */
    database_url: databaseUrl.optional(),
    database: DatabaseSchema.optional(),
    attestation_dir: z.string().min(1).optional(),
    client_dir: z.string().min(1).optional(),
    limits: LimitsSchema.optional(),
    authentication: z.object({ listen: hostPort, internal_listen: hostPort }).strict().optional(),
    frontend: z
      .object({ listen: hostPort, authentication_url: url, management_url: url })
      .strict()
      .optional(),
    management: z.object({ internal_listen: hostPort }).strict().optional(),
    scheduler: z.object({ internal_listen: hostPort }).strict().optional(),
    execution: z
      .object({ scheduler_url: url, slots: z.number().int().min(1).max(256).default(2) })
      .strict()
      .optional(),
  })
  .strict();

export type ServiceConfig = z.infer<typeof ConfigSchema>;
export type LimitsConfig = z.infer<typeof LimitsSchema>;

/** The file's database settings as platform configuration (absent: SQLite in the data directory). */
export function databaseSettings(config: ServiceConfig): {
  databaseUrl?: string;
  database?: PostgresOptions;
} {
  if (!config.database_url) return {};
  const d = config.database ?? {};
  const options: { -readonly [K in keyof PostgresOptions]: PostgresOptions[K] } = {};
  if (d.pool_size !== undefined) options.poolSize = d.pool_size;
  if (d.statement_timeout_ms !== undefined) options.statementTimeoutMs = d.statement_timeout_ms;
  if (d.connect_timeout_ms !== undefined) options.connectTimeoutMs = d.connect_timeout_ms;
  return { databaseUrl: config.database_url, database: options };
}

export function loadServiceConfig(path: string): ServiceConfig {
  let raw: unknown;
  try {
    raw = parseToml(readFileSync(path, "utf8"));
  } catch (error) {
    throw new PlatformError("INVALID_ARGUMENT", `cannot read ${path}: ${(error as Error).message}`);
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new PlatformError(
      "INVALID_ARGUMENT",
      `${path}: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  // The limits' cross-field rules (a default above its maximum, bad networks) are checked now too, so
  // a bad file stops `init` and every `serve` before anything starts.
  withLimits(defaultConfig({ dataDir: parsed.data.data_dir }), parsed.data.limits, path);
  return parsed.data;
}

/**
 * A platform configuration with the file's limits applied over `base`. Defaults above the operator's
 * maximum are refused rather than silently capped: the operator meant one of the two numbers.
 */
export function withLimits(
  base: PlatformConfig,
  limits: LimitsConfig | undefined,
  source = "the configuration",
): PlatformConfig {
  if (!limits) return base;
  const taskLimits = {
    ...base.taskLimits,
    ...(limits.task_timeout_ms !== undefined ? { timeoutMs: limits.task_timeout_ms } : {}),
    ...(limits.task_memory_mb !== undefined ? { memoryMb: limits.task_memory_mb } : {}),
  };
  const maxTaskLimits = {
    ...base.maxTaskLimits,
    ...(limits.max_task_timeout_ms !== undefined ? { timeoutMs: limits.max_task_timeout_ms } : {}),
    ...(limits.max_task_memory_mb !== undefined ? { memoryMb: limits.max_task_memory_mb } : {}),
  };
  for (const [key, what] of [
    ["timeoutMs", "task_timeout_ms"],
    ["memoryMb", "task_memory_mb"],
  ] as const)
    if (taskLimits[key] > maxTaskLimits[key])
      throw new PlatformError(
        "INVALID_ARGUMENT",
        `${source}: limits.${what} (${taskLimits[key]}) is above limits.max_${what} (${maxTaskLimits[key]})`,
      );
  if (limits.blocked_networks)
    try {
      new NetworkBlockList(limits.blocked_networks);
    } catch (error) {
      throw new PlatformError(
        "INVALID_ARGUMENT",
        `${source}: limits.blocked_networks: ${(error as Error).message}`,
      );
    }
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    ...base,
    ...optional("maxMessageBytes", limits.max_message_bytes),
    authentication: {
      ...base.authentication,
      ...optional("tokenTtlSeconds", limits.token_ttl_seconds),
    },
    limits: { ...base.limits, ...optional("fileUrlRoots", limits.file_url_roots) },
    taskLimits,
    maxTaskLimits,
    fileAgent: {
      ...base.fileAgent,
      ...optional("blockedNetworks", limits.blocked_networks),
      ...optional("maxDownloadBytes", limits.max_download_bytes),
      ...optional("maxUploadBytes", limits.max_upload_bytes),
    },
  };
}
