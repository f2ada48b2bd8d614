// Test support: one simulated deployment (a temporary directory with its simulation root) and
// backends for its services, plus the policy that accepts exactly those services.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulationBackend } from "../../backends/simulation/backend.js";
import type { TestPolicy } from "./sim-verifier.js";

export class SimDeployment {
  readonly dir = mkdtempSync(join(tmpdir(), "mesatee-deploy-"));
  private readonly backends = new Map<string, SimulationBackend>();

  /** The backend of `service` running the given code version (a distinct MRENCLAVE per version). */
  backend(service: string, version = 1): SimulationBackend {
    const key = `${service}@${version}`;
    let backend = this.backends.get(key);
    if (!backend) {
      const digest = (label: string): string =>
        Buffer.from(`${label}:${service}:${version}`.padEnd(32, ".").slice(0, 32)).toString("hex");
      backend = new SimulationBackend({ dir: this.dir, service, codeDigest: digest("code"), configDigest: digest("conf") });
      this.backends.set(key, backend);
    }
    return backend;
  }

  /** A policy allowing simulation (pinned to this deployment's root) for version 1 of `services`. */
  async policy(services: readonly string[], overrides: Partial<TestPolicy> = {}): Promise<TestPolicy> {
    const entries: TestPolicy["services"] = {};
    for (const s of services) entries[s] = { mrenclave: [this.backend(s).mrEnclave.toString("hex")] };
    return {
      allowSimulation: true,
      simulationRootSha256: await this.backend(services[0] ?? "frontend").rootSha256(),
      services: entries,
      ...overrides,
    };
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
