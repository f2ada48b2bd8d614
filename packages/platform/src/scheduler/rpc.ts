// The scheduler over RPC, for execution workers in other processes. The endpoint is mutual RA-TLS:
// only peers attested as the `execution` service reach these handlers (the server's allow-list); the
// handlers check the peer once more, so a misconfigured endpoint cannot serve staged tasks to others.
import {
  Code,
  ConnectError,
  createClient,
  type ConnectRouter,
  type HandlerContext,
} from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  createAttestedConnector,
  raTlsPeerVerifier,
  type CertificateSource,
  type Policy,
} from "@mesatee/attestation";
import { scheduler as proto } from "@mesatee/protocol";
import type { StagedTask } from "../domain/tasks.js";
import { kPeer } from "../server/rpc-server.js";
import type { Lease, SchedulerApi, TaskOutcome } from "./scheduler.js";

const MAX_WAIT_MS = 30_000;
const WORKER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

function authorizeWorker(ctx: HandlerContext): void {
  if (ctx.values.get(kPeer)?.service !== "execution")
    throw new ConnectError("only attested execution workers may call the scheduler", Code.PermissionDenied);
}

function checkWorker(id: string): void {
  if (!WORKER_ID.test(id)) throw new ConnectError("invalid worker id", Code.InvalidArgument);
}

export function schedulerRoutes(scheduler: SchedulerApi) {
  return (router: ConnectRouter) =>
    router.service(proto.Scheduler, {
      async lease(req, ctx) {
        authorizeWorker(ctx);
        checkWorker(req.workerId);
        const lease = await scheduler.lease(req.workerId, Math.min(req.waitMs, MAX_WAIT_MS), ctx.signal);
        if (!lease) return {};
        return {
          stagedTask: Buffer.from(JSON.stringify(lease.staged)),
          attempt: lease.attempt,
          leaseMs: lease.leaseMs,
        };
      },
      async heartbeat(req, ctx) {
        authorizeWorker(ctx);
        checkWorker(req.workerId);
        return { stopTaskIds: await scheduler.heartbeat(req.workerId, req.taskIds.slice(0, 1024)) };
      },
      async complete(req, ctx) {
        authorizeWorker(ctx);
        checkWorker(req.workerId);
        let outcome: TaskOutcome;
        if (req.outcome.case === "ok") {
          const v = req.outcome.value;
          outcome = {
            kind: "ok",
            returnValue: v.returnValue,
            tags: Object.fromEntries(
              Object.entries(v.tags).map(([k, t]) => [k, Buffer.from(t).toString("hex")]),
            ),
            log: v.log,
          };
        } else if (req.outcome.case === "failed") {
          outcome = { kind: "err", reason: req.outcome.value.reason, log: req.outcome.value.log };
        } else throw new ConnectError("missing outcome", Code.InvalidArgument);
        return { accepted: await scheduler.complete(req.workerId, req.taskId, outcome) };
      },
    });
}

export interface RemoteSchedulerOptions {
  readonly url: string;
  /** The deployment's policy: the scheduler must be attested as the `scheduler` service under it. */
  readonly policy: Policy;
  /** This worker's own RA-TLS certificate (service `execution`). */
  readonly certificates: CertificateSource;
}

/** A SchedulerApi that talks to a scheduler in another process. */
export class RemoteScheduler implements SchedulerApi {
  private readonly client;
  private readonly session: Http2SessionManager;

  constructor(options: RemoteSchedulerOptions) {
    const connector = createAttestedConnector({
      verifyServer: raTlsPeerVerifier({ policy: options.policy, service: "scheduler" }),
      certificates: options.certificates,
    });
    this.session = new Http2SessionManager(
      options.url,
      { pingIntervalMs: 5_000 },
      { createConnection: connector.createConnection as never },
    );
    this.client = createClient(
      proto.Scheduler,
      createGrpcTransport({ baseUrl: options.url, sessionManager: this.session }),
    );
  }

  async lease(worker: string, waitMs: number, signal?: AbortSignal): Promise<Lease | undefined> {
    const res = await this.client.lease(
      { workerId: worker, waitMs },
      { signal, timeoutMs: Math.min(waitMs, MAX_WAIT_MS) + 10_000 },
    );
    if (res.stagedTask.length === 0) return undefined;
    return {
      staged: JSON.parse(Buffer.from(res.stagedTask).toString("utf8")) as StagedTask,
      attempt: res.attempt,
      leaseMs: res.leaseMs,
    };
  }

  async heartbeat(worker: string, taskIds: readonly string[]): Promise<string[]> {
    return (await this.client.heartbeat({ workerId: worker, taskIds: [...taskIds] }, { timeoutMs: 10_000 }))
      .stopTaskIds;
  }

  async complete(worker: string, taskId: string, outcome: TaskOutcome): Promise<boolean> {
    const res = await this.client.complete(
      {
        workerId: worker,
        taskId,
        outcome:
          outcome.kind === "ok"
            ? {
                case: "ok",
                value: {
                  returnValue: outcome.returnValue,
                  tags: Object.fromEntries(
                    Object.entries(outcome.tags).map(([k, t]) => [k, Buffer.from(t, "hex")]),
                  ),
                  log: [...outcome.log],
                },
              }
            : { case: "failed", value: { reason: outcome.reason, log: [...outcome.log] } },
      },
      { timeoutMs: 30_000 },
    );
    return res.accepted;
  }

  close(): void {
    this.session.abort();
  }
}
