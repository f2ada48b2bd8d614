// Distributed mode: one service per process (`mesatee serve <service> --config FILE`). Every internal
// connection is mutual RA-TLS with per-service inbound allow-lists; public endpoints present RA-TLS
// certificates. Services that keep state share the store.
import { resolve } from "node:path";
import { raTlsPeerVerifier } from "@mesatee/attestation";
import {
  auditLog as auditLogProto,
  frontend as frontendProto,
  functions as functionsProto,
} from "@mesatee/protocol";
import { systemClock } from "./clock.js";
import { defaultConfig } from "./config.js";
import { databaseSettings, withLimits, type ServiceConfig } from "./config-file.js";
import { openDataDir } from "./data-dir.js";
import { PlatformError } from "./errors.js";
import { startStandaloneWorker } from "./execution/standalone.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { schedulerRoutes } from "./scheduler/rpc.js";
import { internalClient, type InternalClient } from "./server/internal-client.js";
import { startRpcServer, type EndpointSecurity, type RpcServer } from "./server/rpc-server.js";
import { AuditLog } from "./services/audit/audit-log.js";
import { refusedConnection } from "./services/audit/refusals.js";
import { auditInternalRoutes, RemoteAuditSink } from "./services/audit/internal.js";
import { authenticationRoutes } from "./services/authentication/handlers.js";
import { authenticationInternalRoutes, RemoteAuthenticator } from "./services/authentication/internal.js";
import { AuthenticationService } from "./services/authentication/service.js";
import { frontendRoutes } from "./services/frontend/handlers.js";
import { frontendProxyRoutes, type ForwardedService } from "./services/frontend/proxy.js";
import { Gateway } from "./services/gateway/gateway.js";
import { ManagementService } from "./services/management/service.js";
import { createSealer, createStore, openBackend, type StorageBackend, type Store } from "./storage/index.js";
import { INBOUND, openDeployment, type ServiceName } from "./trust/deployment.js";
import { configDigests, executionSettingsOf } from "./trust/measured-config.js";
import { ADMIN_ID } from "./platform.js";

export const DISTRIBUTED_SERVICES = [
  "authentication",
  "frontend",
  "management",
  "scheduler",
  "execution",
] as const;
export type DistributedService = (typeof DISTRIBUTED_SERVICES)[number];

function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(":");
  return { host: address.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(address.slice(i + 1)) };
}

export interface RunningService {
  readonly service: DistributedService;
  /** URLs of the endpoints this process serves. */
  readonly urls: readonly string[];
  close(): Promise<void>;
}

/** The store's backend for a service: the file's database_url (PostgreSQL) or SQLite in the data dir. */
export function openServiceBackend(config: ServiceConfig, sqlitePath: string): Promise<StorageBackend> {
  const { databaseUrl, database } = databaseSettings(config);
  return openBackend({ databaseUrl, postgres: database, sqlitePath });
}

/** Writes the deployment (keys, signed policy, client files) before its services start. */
export async function initDeployment(config: ServiceConfig): Promise<{ clientDir: string }> {
  const dir = openDataDir(config.data_dir, { lock: false });
  const clientDir = resolve(config.client_dir ?? dir.clientDir);
  const deployment = await openDeployment({
    attestationDir: resolve(config.attestation_dir ?? dir.attestationDir),
    clientDir,
    write: true,
    configDigests: configDigests(withLimits(defaultConfig({ dataDir: dir.root }), config.limits)),
  });
  deployment.stop();
  return { clientDir };
}

export async function startService(
  service: DistributedService,
  config: ServiceConfig,
  events: { readonly onPeerRefused?: (service: ServiceName, error: Error) => void } = {},
): Promise<RunningService> {
  const dir = openDataDir(config.data_dir, { lock: false });
  const attestationDir = resolve(config.attestation_dir ?? dir.attestationDir);
  const clientDir = resolve(config.client_dir ?? dir.clientDir);
  const section = <K extends keyof ServiceConfig>(key: K): NonNullable<ServiceConfig[K]> => {
    const value = config[key];
    if (!value)
      throw new PlatformError("INVALID_ARGUMENT", `the configuration has no [${String(key)}] section`);
    return value as NonNullable<ServiceConfig[K]>;
  };

  // Every service runs the settings `init` measured into the policy.
  const defaults = withLimits(defaultConfig({ dataDir: dir.root }), config.limits);
  if (service === "execution") {
    const settings = executionSettingsOf(defaults);
    const worker = await startStandaloneWorker({
      ...settings,
      schedulerUrl: section("execution").scheduler_url,
      attestationDir,
      clientDir,
      workDir: dir.workDir,
      fileAgent: { ...settings.fileAgent, fusionDir: dir.fusionDir },
      worker: { slots: section("execution").slots },
    });
    return { service, urls: [], close: () => worker.stop() };
  }

  const deployment = await openDeployment({
    attestationDir,
    clientDir,
    write: false,
    configDigests: configDigests(defaults),
  });
  const servers: RpcServer[] = [];
  const closers: Array<() => Promise<void> | void> = [];
  let store: Store | undefined;
  const openStore = (): Store => {
    if (!store) throw new PlatformError("INTERNAL", `the ${service} service keeps no state`);
    return store;
  };
  const serve = async (
    address: string,
    security: EndpointSecurity,
    routes: Parameters<typeof startRpcServer>[0]["routes"],
  ) => {
    const { host, port } = split(address);
    const server = await startRpcServer({
      host,
      port,
      security,
      routes,
      maxMessageBytes: defaults.maxMessageBytes,
    });
    servers.push(server);
    return server;
  };
  // Every service with an internal endpoint keeps state, so it can audit the callers it refuses.
  let refusalAudit: AuditLog | undefined;
  const mutual = async (name: ServiceName): Promise<EndpointSecurity> => ({
    mode: "mutual",
    certificates: await deployment.certificates(name),
    verifyPeer: raTlsPeerVerifier({ policy: deployment.policy }),
    allowedServices: INBOUND[name] ?? [],
    onRefused: (e: Error, ip: string | undefined) => {
      events.onPeerRefused?.(name, e);
      (refusalAudit ??= new AuditLog(openStore(), systemClock))
        .record(refusedConnection(name, e, ip))
        .catch(() => undefined);
    },
  });
  const internal = async <S extends Parameters<typeof internalClient>[0]>(
    desc: S,
    urlOf: string,
    target: ServiceName,
    self: ServiceName,
  ) => {
    const c = internalClient(desc, {
      url: urlOf,
      policy: deployment.policy,
      service: target,
      certificates: await deployment.certificates(self),
    });
    closers.push(() => c.close());
    return c;
  };

  try {
    // Every service but the frontend keeps state; all of them share one database.
    if (service !== "frontend")
      store = createStore(
        await openServiceBackend(config, dir.database),
        createSealer(deployment.sealingKey),
      );
    switch (service) {
      case "authentication": {
        const s = openStore();
        const auth = await AuthenticationService.open(s, systemClock, defaults.authentication);
        await auth.ensureAdmin(ADMIN_ID, process.env.MESATEE_ADMIN_PASSWORD);
        const audit = new AuditLog(s, systemClock);
        const c = section("authentication");
        await serve(
          c.listen,
          {
            mode: "public",
            certificates: await deployment.certificates("authentication", { teaclave: true }),
          },
          authenticationRoutes(auth, new Gateway(auth, audit, "authentication")),
        );
        await serve(c.internal_listen, await mutual("authentication"), authenticationInternalRoutes(auth));
        break;
      }
      case "management": {
        const s = openStore();
        const auth = await AuthenticationService.open(s, systemClock, defaults.authentication);
        const audit = new AuditLog(s, systemClock);
        // Staged tasks are picked up by the scheduler process on its next poll.
        const management = new ManagementService(s, systemClock, defaults.limits, {
          staged: () => {},
          canceled: () => {},
        });
        const gateway = new Gateway(auth, audit, "frontend");
        await serve(section("management").internal_listen, await mutual("management"), (router) => {
          frontendRoutes(management, audit, gateway)(router);
          auditInternalRoutes(audit)(router);
        });
        break;
      }
      case "frontend": {
        const c = section("frontend");
        const authenticator = new RemoteAuthenticator({
          url: c.authentication_url,
          policy: deployment.policy,
          certificates: await deployment.certificates("frontend"),
        });
        closers.push(() => authenticator.close());
        const auditSink = new RemoteAuditSink({
          url: c.management_url,
          policy: deployment.policy,
          certificates: await deployment.certificates("frontend"),
        });
        closers.push(() => auditSink.close());
        const teaclave = await internal(
          frontendProto.TeaclaveFrontend,
          c.management_url,
          "management",
          "frontend",
        );
        const mesatee = await internal(
          functionsProto.MesateeFunctions,
          c.management_url,
          "management",
          "frontend",
        );
        const auditChecks = await internal(
          auditLogProto.MesateeAuditLog,
          c.management_url,
          "management",
          "frontend",
        );
        await serve(
          c.listen,
          { mode: "public", certificates: await deployment.certificates("frontend", { teaclave: true }) },
          frontendProxyRoutes(new Gateway(authenticator, auditSink, "frontend"), [
            {
              desc: frontendProto.TeaclaveFrontend,
              management: teaclave as InternalClient<ForwardedService>,
            },
            {
              desc: functionsProto.MesateeFunctions,
              management: mesatee as InternalClient<ForwardedService>,
            },
            {
              desc: auditLogProto.MesateeAuditLog,
              management: auditChecks as InternalClient<ForwardedService>,
            },
          ]),
        );
        break;
      }
      case "scheduler": {
        const scheduler = new Scheduler(openStore(), systemClock, defaults.scheduler);
        scheduler.start();
        closers.push(() => scheduler.stop());
        await serve(
          section("scheduler").internal_listen,
          await mutual("scheduler"),
          schedulerRoutes(scheduler),
        );
        break;
      }
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()));
    for (const c of closers) await c();
    deployment.stop();
    await store?.close();
    throw error;
  }
  return {
    service,
    urls: servers.map((s) => s.url),
    async close() {
      await Promise.all(servers.map((s) => s.close()));
      for (const c of closers) await c();
      deployment.stop();
      await store?.close();
    },
  };
}
