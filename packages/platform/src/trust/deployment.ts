// The platform's trust setup: one attestation backend per service, the sealing key of the store, RA-TLS
// certificates for every endpoint, the signed policy clients verify us with, and Teaclave-era client files.
// Everything clients need is written to `<data-dir>/client/`.
import { generateKeyPairSync, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  AttestationServiceRole,
  CertificateManager,
  createBackend,
  deriveSealingKey,
  loadAuditorKeys,
  loadSimulationDeployment,
  loadSignedPolicyDir,
  parsePolicy,
  POLICY_FILES,
  signPolicy,
  simulationMrEnclave,
  simulationMrSigner,
  teaclaveEndorsementExtensions,
  writeTeaclaveClientFiles,
  type AttestationBackend,
  type Policy,
} from "@mesatee/attestation";
import { codeDigest } from "./code-digest.js";

import { SERVICES, type ServiceName } from "./services.js";

export { SERVICES, INBOUND, type ServiceName } from "./services.js";

const AUDITORS = ["auditor-1", "auditor-2"] as const;

export interface TrustOptions {
  /** Keys of this deployment: simulation root, attestation-service role, auditors. */
  readonly attestationDir: string;
  /** Where client files are written. */
  readonly clientDir: string;
  /** Certificate lifetime; rotated at three quarters of it. */
  readonly certificateValidityMs?: number;
  /** Each service's measured configuration (`configDigests` of measured-config.ts). */
  readonly configDigests: Readonly<Record<ServiceName, string>>;
}

export interface Deployment {
  readonly policy: Policy;
  readonly policyBytes: Buffer;
  readonly sealingKey: Buffer;
  backend(service: ServiceName): AttestationBackend;
  /** A started certificate manager for a service's endpoint (Teaclave's extension on public ones). */
  certificates(service: ServiceName, options?: { teaclave?: boolean }): Promise<CertificateManager>;
  stop(): void;
}

function readOrCreateKey(path: string, create: () => KeyObject): KeyObject {
  if (existsSync(path)) return createPrivateKey(readFileSync(path));
  const key = create();
  writeFileSync(path, key.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  return key;
}

/** The identity of one service in another process (e.g. an execution worker): its backend and certificate. */
export async function openServiceIdentity(options: {
  readonly attestationDir: string;
  readonly service: ServiceName;
  /** The service's measured configuration: it must be the one the deployment's policy names. */
  readonly configDigest: string;
  readonly certificateValidityMs?: number;
}): Promise<{ backend: AttestationBackend; certificates: CertificateManager }> {
  const simDir = join(options.attestationDir, "simulation");
  const backend = createBackend({
    kind: "simulation",
    dir: simDir,
    service: options.service,
    codeDigest: codeDigest(),
    configDigest: options.configDigest,
  });
  const certificates = new CertificateManager({
    backend,
    service: options.service,
    dnsNames: ["localhost"],
    ...(options.certificateValidityMs ? { validityMs: options.certificateValidityMs } : {}),
  });
  await certificates.start();
  return { backend, certificates };
}

/**
 * Opens a deployment. With `write` (the all-in-one platform, `mesatee init`), the policy and the client
 * files are (re)written for the current build; without it (a service in its own process), the signed
 * policy is read from the client directory and verified.
 */
export async function openDeployment(
  options: TrustOptions & { readonly write?: boolean },
): Promise<Deployment> {
  const write = options.write ?? true;
  const simDir = join(options.attestationDir, "simulation");
  mkdirSync(simDir, { recursive: true, mode: 0o700 });
  const sim = await loadSimulationDeployment(simDir);
  const code = codeDigest();
  const backends = new Map<ServiceName, AttestationBackend>();
  const backend = (service: ServiceName) => {
    let b = backends.get(service);
    if (!b) {
      b = createBackend({
        kind: "simulation",
        dir: simDir,
        service,
        codeDigest: code,
        configDigest: options.configDigests[service],
      });
      backends.set(service, b);
    }
    return b;
  };

  const as = await AttestationServiceRole.open({ dir: join(options.attestationDir, "attestation-service") });
  const { policy, policyBytes } = write
    ? await writeClientFiles(options, sim, code, as)
    : (() => {
        const loaded = loadSignedPolicyDir(options.clientDir);
        return { policy: loaded.policy, policyBytes: loaded.bytes };
      })();
  const sealingKey = await deriveSealingKey(backend("storage"), "platform-store");
  const managers: CertificateManager[] = [];
  return {
    policy,
    policyBytes,
    sealingKey,
    backend,
    async certificates(service, opts = {}) {
      const manager = new CertificateManager({
        backend: backend(service),
        service,
        dnsNames: ["localhost"],
        ...(options.certificateValidityMs ? { validityMs: options.certificateValidityMs } : {}),
        ...(opts.teaclave
          ? {
              leadingExtensions: teaclaveEndorsementExtensions({
                backend: backend(service),
                attestationService: as,
                trust: { simulationRootSha256: sim.rootSha256 },
              }),
            }
          : {}),
      });
      await manager.start();
      managers.push(manager);
      return manager;
    },
    stop() {
      for (const m of managers) m.stop();
    },
  };
}

/** Writes the signed policy (every service's measurement for this build) and the Teaclave-era client files. */
async function writeClientFiles(
  options: TrustOptions,
  sim: Awaited<ReturnType<typeof loadSimulationDeployment>>,
  code: string,
  as: AttestationServiceRole,
): Promise<{ policy: Policy; policyBytes: Buffer }> {
  const services: Record<string, unknown> = {};
  const measurements = new Map<ServiceName, Buffer>();
  for (const s of SERVICES) {
    const m = simulationMrEnclave({
      service: s,
      codeDigest: code,
      configDigest: options.configDigests[s],
    });
    measurements.set(s, m);
    services[s] = { tee: "sgx", mrenclave: [m.toString("hex")], mrsigner: null, allowDebug: true };
  }
  const auditorDir = join(options.attestationDir, "auditors");
  mkdirSync(auditorDir, { recursive: true, mode: 0o700 });
  const auditors = AUDITORS.map((id) => ({
    id,
    key: readOrCreateKey(join(auditorDir, `${id}.key.pem`), () => generateKeyPairSync("ed25519").privateKey),
  }));
  const policyJson = {
    version: 1,
    trustAnchors: { simulationRootSha256: sim.rootSha256 },
    allowSimulation: true,
    services,
    auditors: {
      keys: auditors.map((a) => ({
        id: a.id,
        alg: "ed25519",
        publicKey: createPublicKey(a.key).export({ type: "spki", format: "der" }).toString("base64"),
      })),
      threshold: auditors.length,
    },
  };
  const policyBytes = Buffer.from(`${JSON.stringify(policyJson, null, 2)}\n`);
  const policy = parsePolicy(policyBytes);

  mkdirSync(join(options.clientDir, POLICY_FILES.auditorsDir), { recursive: true });
  writeFileSync(join(options.clientDir, POLICY_FILES.policy), policyBytes);
  for (const a of auditors) {
    writeFileSync(join(options.clientDir, POLICY_FILES.signature(a.id)), signPolicy(policyBytes, a.key));
    writeFileSync(
      join(options.clientDir, POLICY_FILES.auditorsDir, POLICY_FILES.publicKey(a.id)),
      createPublicKey(a.key).export({ type: "spki", format: "pem" }),
    );
  }

  // Teaclave-era clients: the attestation-service role's root, enclave_info.toml and its auditor signatures.
  const teaclaveAuditors = await loadAuditorKeys(join(options.attestationDir, "teaclave-auditors"));
  const mrSigner = simulationMrSigner(sim.signerPublicKey);
  const identity = (s: ServiceName) => ({ mrEnclave: measurements.get(s)!, mrSigner });
  await writeTeaclaveClientFiles(options.clientDir, {
    attestationService: as,
    auditorKeys: teaclaveAuditors,
    enclaves: Object.fromEntries([
      ["teaclave_authentication_service", identity("authentication")],
      ["teaclave_frontend_service", identity("frontend")],
      ...SERVICES.map((s) => [`mesatee_${s}_service`, identity(s)]),
    ]),
  });

  return { policy, policyBytes };
}
