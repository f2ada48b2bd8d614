// All-in-one platform: every service in one process, sharing one store.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PlatformConfig } from "./config.js";
import { openDataDir } from "./data-dir.js";
import { startRpcServer, type RpcServer } from "./server/rpc-server.js";
import { loadOrCreateIdentity } from "./server/tls.js";
import { AuditLog } from "./services/audit/audit-log.js";
import { authenticationRoutes } from "./services/authentication/handlers.js";
import { AuthenticationService } from "./services/authentication/service.js";
import { frontendRoutes } from "./services/frontend/handlers.js";
import { Gateway } from "./services/gateway/gateway.js";
import { ManagementService } from "./services/management/service.js";
import type { TaskEvents } from "./services/management/tasks.js";
import { createSealer, createStore, openSqliteBackend, type Store } from "./storage/index.js";
import { Scheduler } from "./scheduler/scheduler.js";
import { schedulerRoutes, workerTokenCheck } from "./scheduler/rpc.js";
import { ExecutionWorker } from "./execution/worker.js";
import { TaskRunner } from "./execution/runner.js";
import { FileAgent } from "./file-agent/index.js";

export const ADMIN_ID = "admin";

export interface Platform {
  readonly authenticationUrl: string;
  readonly frontendUrl: string;
  /** The certificate clients pin (PEM), also written to `<data-dir>/client/server-ca.pem`. */
  readonly serverCertificate: string;
  readonly serverCertificatePath: string;
  /** The bootstrap admin password when this start created the account, else null. */
  readonly createdAdminPassword: string | null;
  readonly store: Store;
  readonly authentication: AuthenticationService;
  readonly management: ManagementService;
  readonly audit: AuditLog;
  readonly scheduler: Scheduler;
  /** The in-process execution worker, when enabled. */
  readonly worker: ExecutionWorker | undefined;
  /** Internal endpoint for execution workers in other processes, and the token they present. */
  readonly schedulerUrl: string;
  readonly workerTokenPath: string;
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
  try {
    store = createStore(openSqliteBackend(dir.database), createSealer(dir.platformKey));
    const authentication = await AuthenticationService.open(store, config.clock, config.authentication);
    const createdAdminPassword = await authentication.ensureAdmin(ADMIN_ID, config.adminPassword);
    const audit = new AuditLog(store, config.clock);
    const sched = new Scheduler(store, config.clock, config.scheduler);
    scheduler = sched;
    const events: TaskEvents = { staged: () => sched.notifyStaged(), canceled: (id) => sched.notifyCanceled(id) };
    const management = new ManagementService(store, config.clock, config.limits, events);
    const tls = await loadOrCreateIdentity(dir.tlsDir, config.tlsHosts);
    const serverCertificatePath = join(dir.clientDir, "server-ca.pem");
    writeFileSync(serverCertificatePath, tls.cert);

    const common = { host: config.host, tls, maxMessageBytes: config.maxMessageBytes };
    servers.push(
      await startRpcServer({
        ...common,
        port: config.authPort,
        routes: authenticationRoutes(authentication, new Gateway(authentication, audit, "authentication")),
      }),
    );
    servers.push(
      await startRpcServer({
        ...common,
        port: config.frontendPort,
        routes: frontendRoutes(management, audit, new Gateway(authentication, audit, "frontend")),
      }),
    );
    servers.push(
      await startRpcServer({
        ...common,
        port: config.schedulerPort,
        routes: schedulerRoutes(sched, workerTokenCheck(dir.workerToken)),
      }),
    );
    sched.start();
    if (config.inProcessWorker) {
      const agent = new FileAgent({
        ...config.fileAgent,
        fileRoots: config.limits.fileUrlRoots,
        fusionDir: dir.fusionDir,
      });
      const runner = new TaskRunner(agent, {
        workDir: dir.workDir,
        defaults: config.taskLimits,
        maximum: config.maxTaskLimits,
        warmIsolates: config.worker.slots,
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
      serverCertificate: tls.cert,
      serverCertificatePath,
      createdAdminPassword,
      store: opened,
      authentication,
      management,
      audit,
      scheduler: sched,
      worker,
      schedulerUrl: servers[2]!.url,
      workerTokenPath: dir.workerTokenPath,
      fusionDir: dir.fusionDir,
      close: () =>
        (closing ??= (async () => {
          sched.stop();
          await worker?.stop();
          runners.forEach((r) => r.close());
          await Promise.all(servers.map((s) => s.close()));
          await opened.close();
          dir.release();
        })()),
    };
  } catch (error) {
    scheduler?.stop();
    await worker?.stop();
    runners.forEach((r) => r.close());
    await Promise.all(servers.map((s) => s.close()));
    await store?.close();
    dir.release();
    throw error;
  }
}
