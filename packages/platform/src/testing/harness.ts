// Test harness: a real platform on loopback ports chosen by the OS, in a fresh data directory, with
// helpers to create users and clients. Tests only (not exported from the package's front door).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MesateeClient } from "@mesatee/sdk";
import type { Clock } from "../clock.js";
import { defaultConfig, type PlatformConfig } from "../config.js";
import { ADMIN_ID, startPlatform, type Platform } from "../platform.js";
import { DEFAULT_AUTHENTICATION_CONFIG } from "../services/authentication/service.js";

export const ADMIN_PASSWORD = "admin-password";
export const USER_PASSWORD = "user-password";

/** A clock tests can move. */
export class FakeClock implements Clock {
  constructor(private ms = Date.UTC(2026, 11, 1)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface TestPlatform {
  readonly platform: Platform;
  readonly dataDir: string;
  readonly config: PlatformConfig;
  /** A client logged in as the bootstrap admin. */
  readonly admin: MesateeClient;
  /** A client with no credential. */
  client(): MesateeClient;
  /** Registers a user (through the admin) and returns a client logged in as it. */
  user(id: string, role: string, attribute?: string): Promise<MesateeClient>;
  /** Stops the platform (keeping the data directory). */
  stop(): Promise<void>;
  /** Starts the platform again on the same data directory and ports. */
  restart(): Promise<TestPlatform>;
  /** Stops the platform and deletes the data directory. */
  dispose(): Promise<void>;
}

export interface TestPlatformOptions {
  readonly clock?: Clock;
  readonly config?: Partial<PlatformConfig>;
  readonly dataDir?: string;
}

/**
 * One deployment's keys (simulation root, attestation-service role, auditors) shared by every platform a
 * test process starts: generating RSA keys for each would dominate test time.
 */
let sharedAttestationDir: string | undefined;
function attestationDir(): string {
  sharedAttestationDir ??= mkdtempSync(join(tmpdir(), "mesatee-attestation-"));
  return sharedAttestationDir;
}
process.once("exit", () => {
  if (sharedAttestationDir) rmSync(sharedAttestationDir, { recursive: true, force: true });
});

// Cheap argon2 parameters keep tests fast; the default parameters are tested on their own.
const FAST_HASHING = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export async function startTestPlatform(options: TestPlatformOptions = {}): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "mesatee-test-"));
  const config = defaultConfig({
    dataDir,
    authPort: 0,
    frontendPort: 0,
    schedulerPort: 0,
    adminPassword: ADMIN_PASSWORD,
    attestationDir: attestationDir(),
    authentication: { ...DEFAULT_AUTHENTICATION_CONFIG, passwordHashing: FAST_HASHING },
    ...(options.clock ? { clock: options.clock } : {}),
    ...options.config,
  });
  return open(config, options);
}

async function open(config: PlatformConfig, options: TestPlatformOptions): Promise<TestPlatform> {
  const platform = await startPlatform(config);
  const clients: MesateeClient[] = [];
  const client = () => {
    const c = MesateeClient.fromClientDir({
      authenticationUrl: platform.authenticationUrl,
      frontendUrl: platform.frontendUrl,
      clientDir: platform.clientDir,
    });
    clients.push(c);
    return c;
  };
  const admin = client();
  await admin.login(ADMIN_ID, ADMIN_PASSWORD);
  const stop = async () => {
    clients.forEach((c) => c.close());
    await platform.close();
  };
  const self: TestPlatform = {
    platform,
    dataDir: config.dataDir,
    config,
    admin,
    client,
    async user(id, role, attribute = "") {
      await admin.authentication.userRegister({ id, password: USER_PASSWORD, role, attribute });
      const c = client();
      await c.login(id, USER_PASSWORD);
      return c;
    },
    stop,
    async restart() {
      await stop();
      const port = (url: string) => Number(new URL(url).port);
      return open(
        {
          ...config,
          authPort: port(platform.authenticationUrl),
          frontendPort: port(platform.frontendUrl),
          schedulerPort: port(platform.schedulerUrl),
        },
        options,
      );
    },
    async dispose() {
      await stop();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
  return self;
}
