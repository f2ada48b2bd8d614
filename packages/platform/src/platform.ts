// All-in-one platform: every service in one process, sharing one store.
import type { PlatformConfig } from "./config.js";
import { openDataDir } from "./data-dir.js";
import { startRpcServer, type RpcServer } from "./server/rpc-server.js";
import { openDeployment, INBOUND, type Deployment } from "./trust/deployment.js";
import { configDigests, executionSettingsOf } from "./trust/measured-config.js";
import { refusedConnection } from "./services/audit/refusals.js";
import { raTlsPeerVerifier } from "@mesatee/attestation";
import { AuditLog } from "./services/audit/audit-log.js";
import { authenticationRoutes } from "./services/authentication/handlers.js";
import { AuthenticationService } from "./services/authentication/service.js";
import { frontendRoutes } from "./services/frontend/handlers.js";
import { Gateway } from "./services/gateway/gateway.js";
import { ManagementService } from "./services/management/service.js";
import type { TaskEvents } from "./services/management/tasks.js";
import { createSealer, createStore, openBackend, type Store } from "./storage/index.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { schedulerRoutes } from "./scheduler/rpc.js";
import { ExecutionWorker } from "./execution/worker.js";
import { TaskRunner } from "./execution/runner.js";
import { FileAgent } from "./file-agent/index.js";

export const ADMIN_ID = "admin";

export interface Platform {
  readonly authenticationUrl: string;
  readonly frontendUrl: string;
  /** What clients need to verify the platform: the signed policy, auditor keys, Teaclave files. */
  readonly clientDir: string;
  readonly deployment: Deployment;
  /** The bootstrap admin password when this start created the account, else null. */
  readonly createdAdminPassword: string | null;
  readonly store: Store;
  readonly authentication: AuthenticationService;
  readonly management: ManagementService;
  readonly audit: AuditLog;
  readonly scheduler: Scheduler;
  /** The in-process execution worker, when enabled. */
  readonly worker: ExecutionWorker | undefined;
  /** Internal endpoint (mutual RA-TLS) for execution workers in other processes. */
  readonly schedulerUrl: string;
  readonly attestationDir: string;
  readonly fusionDir: string;
  close(): Promise<void>;
}

export async function startPlatform(config: PlatformConfig): Promise<Platform> {
  const dir = openDataDir(config.dataDir);
  const servers: RpcServer[] = [];
  let store: Store | undefined;
  let scheduler: Scheduler | undefined;
  let worker: ExecutionWorker | undefined;
  const runners: TaskRunner[] = [];
  let deployment: Deployment | undefined;
  try {
    const attestationDir = config.attestationDir ?? dir.attestationDir;
    deployment = await openDeployment({
      attestationDir,
      clientDir: dir.clientDir,
      certificateValidityMs: config.certificateValidityMs,
      configDigests: configDigests(config),
    });
    const trust = deployment;
    store = createStore(
      await openBackend({
        databaseUrl: config.databaseUrl,
        postgres: config.database,
        sqlitePath: dir.database,
      }),
      createSealer(deployment.sealingKey),
    );
    const authentication = await AuthenticationService.open(store, config.clock, config.authentication);
    const createdAdminPassword = await authentication.ensureAdmin(ADMIN_ID, config.adminPassword);
    const audit = new AuditLog(store, config.clock);
    const sched = new Scheduler(store, config.clock, config.scheduler);
    scheduler = sched;
    const events: TaskEvents = {
      staged: () => sched.notifyStaged(),
      canceled: (id) => sched.notifyCanceled(id),
    };
    const management = new ManagementService(store, config.clock, config.limits, events);
    const common = { host: config.host, maxMessageBytes: config.maxMessageBytes };
    servers.push(
      await startRpcServer({
        ...common,
        security: {
          mode: "public",
          certificates: await trust.certificates("authentication", { teaclave: true }),
        },
        port: config.authPort,
        routes: authenticationRoutes(authentication, new Gateway(authentication, audit, "authentication")),
      }),
    );
    servers.push(
      await startRpcServer({
        ...common,
        security: { mode: "public", certificates: await trust.certificates("frontend", { teaclave: true }) },
        port: config.frontendPort,
        routes: frontendRoutes(management, audit, new Gateway(authentication, audit, "frontend")),
      }),
    );
    servers.push(
      await startRpcServer({
        ...common,
        security: {
          mode: "mutual",
          certificates: await trust.certificates("scheduler"),
          verifyPeer: raTlsPeerVerifier({ policy: trust.policy }),
          allowedServices: INBOUND.scheduler ?? [],
          onRefused: (e: Error, ip: string | undefined) => {
            config.onPeerRefused?.("scheduler", e);
            audit.record(refusedConnection("scheduler", e, ip)).catch(() => undefined);
          },
        },
        port: config.schedulerPort,
        routes: schedulerRoutes(sched),
      }),
    );
    sched.start();
    if (config.inProcessWorker) {
      // The worker runs exactly the settings its measurement covers.
      const settings = executionSettingsOf(config);
      const agent = new FileAgent({ ...settings.fileAgent, fusionDir: dir.fusionDir });
      const runner = new TaskRunner(agent, {
        workDir: dir.workDir,
        defaults: settings.taskLimits,
        maximum: settings.maxTaskLimits,
        warmIsolates: config.worker.slots,
        isolates: config.isolates,
      });
      runners.push(runner);
      const w = new ExecutionWorker(sched, runner, config.worker);
      worker = w;
      sched.onCancel((taskId) => w.cancel(taskId));
      w.start();
    }
    const opened = store;
    let closing: Promise<void> | undefined;
    return {
      authenticationUrl: servers[0]!.url,
      frontendUrl: servers[1]!.url,
      clientDir: dir.clientDir,
      deployment: trust,
      createdAdminPassword,
      store: opened,
      authentication,
      management,
      audit,
      scheduler: sched,
      worker,
      schedulerUrl: servers[2]!.url,
      attestationDir,
      fusionDir: dir.fusionDir,
      close: () =>
        (closing ??= (async () => {
          sched.stop();
          await worker?.stop();
          runners.forEach((r) => r.close());
          await Promise.all(servers.map((s) => s.close()));
          trust.stop();
          await opened.close();
          dir.release();
        })()),
    };
  } catch (error) {
    scheduler?.stop();
    await worker?.stop();
    runners.forEach((r) => r.close());
    await Promise.all(servers.map((s) => s.close()));
    deployment?.stop();
    await store?.close();
    dir.release();
    throw error;
  }
}
