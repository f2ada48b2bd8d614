// Platform configuration: every limit has a default; the CLI and tests override what they need.
import { DEFAULT_AUTHENTICATION_CONFIG, type AuthenticationConfig } from "./services/authentication/service.js";
import { DEFAULT_MANAGEMENT_LIMITS, type ManagementLimits } from "./services/management/limits.js";
import { systemClock, type Clock } from "./clock.js";

export interface PlatformConfig {
  readonly dataDir: string;
  readonly host: string;
  readonly authPort: number;
  readonly frontendPort: number;
  /** Password for the bootstrap `admin` on first start; random (and reported once) when absent. */
  readonly adminPassword?: string;
  /** Host names and addresses the server certificate is valid for. */
  readonly tlsHosts: readonly string[];
  /** Largest request message (bytes); Teaclave's limit is 4 MiB. */
  readonly maxMessageBytes: number;
  readonly authentication: AuthenticationConfig;
  readonly limits: ManagementLimits;
  readonly clock: Clock;
}

export const DEFAULT_AUTH_PORT = 7776;
export const DEFAULT_FRONTEND_PORT = 7777;

export function defaultConfig(overrides: Partial<PlatformConfig> & { dataDir: string }): PlatformConfig {
  return {
    host: "127.0.0.1",
    authPort: DEFAULT_AUTH_PORT,
    frontendPort: DEFAULT_FRONTEND_PORT,
    tlsHosts: ["localhost", "127.0.0.1", "::1"],
    maxMessageBytes: 4 * 1024 * 1024,
    authentication: DEFAULT_AUTHENTICATION_CONFIG,
    limits: DEFAULT_MANAGEMENT_LIMITS,
    clock: systemClock,
    ...overrides,
  };
}
