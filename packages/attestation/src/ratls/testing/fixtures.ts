// Test support: one simulated deployment (a temporary directory with its simulation root) and
// backends for its services, plus verifier policies that accept exactly those services.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulationBackend } from "../../backends/simulation/backend.js";
import { parsePolicy, type Policy } from "../../policy/schema.js";

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
      backend = new SimulationBackend({
        dir: this.dir,
        service,
        codeDigest: digest("code"),
        configDigest: digest("conf"),
      });
      this.backends.set(key, backend);
    }
    return backend;
  }

  private services(services: readonly string[], allowDebug: boolean): Record<string, unknown> {
    return Object.fromEntries(
      services.map((s) => [
        s,
        {
          tee: "sgx",
          mrenclave: [this.backend(s).mrEnclave.toString("hex")],
          ...(allowDebug ? { allowDebug } : {}),
        },
      ]),
    );
  }

  /** A development policy: simulation allowed from this deployment's pinned root, version 1 of `services`. */
  async policy(services: readonly string[]): Promise<Policy> {
    return parsePolicy({
      version: 1,
      allowSimulation: true,
      trustAnchors: { simulationRootSha256: await this.backend(services[0] ?? "frontend").rootSha256() },
      services: this.services(services, true),
    });
  }

  /** A production policy for the same measurements: simulation is not allowed. */
  productionPolicy(services: readonly string[]): Policy {
    return parsePolicy({ version: 1, services: this.services(services, false) });
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
