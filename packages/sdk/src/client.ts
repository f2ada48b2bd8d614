// A typed client for every public RPC (Teaclave-compatible wire API), over gRPC on HTTP/2 + TLS.
import { Code, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  createAttestedConnector,
  loadSignedPolicyDir,
  raTlsPeerVerifier,
  type Policy,
  type RaTlsPeer,
} from "@mesatee/attestation";
import { auditLog, authentication, common, frontend, functions } from "@mesatee/protocol";

const FINAL = new Set([common.TaskStatus.Finished, common.TaskStatus.Failed, common.TaskStatus.Canceled]);
import { MesateeError } from "./errors.js";
import { FileHelpers } from "./files.js";

export type AuthenticationClient = Client<typeof authentication.TeaclaveAuthenticationApi>;
export type FrontendClient = Client<typeof frontend.TeaclaveFrontend>;
/** MesaTEE's additions for functions (e.g. per-function resource limits), on the frontend endpoint. */
export type FunctionsClient = Client<typeof functions.MesateeFunctions>;
/** MesaTEE's audit log check (PlatformAdmin), on the frontend endpoint. */
export type AuditLogClient = Client<typeof auditLog.MesateeAuditLog>;

export interface ClientOptions {
  /** e.g. https://localhost:7776 */
  readonly authenticationUrl: string;
  /** e.g. https://localhost:7777 */
  readonly frontendUrl: string;
  /**
   * The signed policy the platform's services must satisfy: every connection is verified by remote
   * attestation (the endpoint's RA-TLS certificate) before any request byte is sent. Load it with
   * `loadSignedPolicyDir(<the platform's client dir>)` or `MesateeClient.fromClientDir`.
   */
  readonly policy: Policy;
  /** Wire protocol: gRPC (Teaclave's) or Connect; both run over HTTP/2. */
  readonly protocol?: "grpc" | "connect";
  /** Per-call timeout, milliseconds (default 30 s). */
  readonly timeoutMs?: number;
}

export interface Credential {
  readonly id: string;
  readonly token: string;
}

/**
 * One user's connection to a platform. `login` (or `setCredential`) stores the credential that every
 * later call carries in the `id` and `token` metadata. Errors are `MesateeError`s.
 */
export class MesateeClient {
  readonly authentication: AuthenticationClient;
  readonly frontend: FrontendClient;
  readonly functions: FunctionsClient;
  readonly auditLog: AuditLogClient;
  /** Client-side encryption: upload inputs, register outputs under fresh keys, download outputs. */
  readonly files: FileHelpers;
  private credential: Credential | undefined;
  private readonly sessions: Http2SessionManager[] = [];
  private readonly peers = new Map<"authentication" | "frontend", () => RaTlsPeer | undefined>();

  constructor(private readonly options: ClientOptions) {
    const credentials: Interceptor = (next) => async (req) => {
      if (this.credential) {
        req.header.set("id", this.credential.id);
        req.header.set("token", this.credential.token);
      }
      return next(req);
    };
    this.authentication = typedErrors(
      createClient(
        authentication.TeaclaveAuthenticationApi,
        this.transport(options.authenticationUrl, credentials, "authentication"),
      ),
    );
    const frontendTransport = this.transport(options.frontendUrl, credentials, "frontend");
    this.frontend = typedErrors(createClient(frontend.TeaclaveFrontend, frontendTransport));
    this.functions = typedErrors(createClient(functions.MesateeFunctions, frontendTransport));
    this.auditLog = typedErrors(createClient(auditLog.MesateeAuditLog, frontendTransport));
    this.files = new FileHelpers(() => this.frontend);
  }

  get userId(): string | undefined {
    return this.credential?.id;
  }

  setCredential(credential: Credential | undefined): void {
    this.credential = credential;
  }

  /** Logs in and keeps the credential for later calls; returns the token. */
  async login(id: string, password: string): Promise<string> {
    const { token } = await this.authentication.userLogin({ id, password });
    this.credential = { id, token };
    return token;
  }

  /**
   * Waits until a task reaches a final status (Finished, Failed or Canceled) and returns it. Polls
   * GetTask with a growing interval (20 ms up to 500 ms).
   */
  async waitForTask(taskId: string, timeoutMs = 120_000): Promise<frontend.GetTaskResponse> {
    const deadline = Date.now() + timeoutMs;
    let interval = 20;
    for (;;) {
      const task = await this.frontend.getTask({ taskId });
      if (FINAL.has(task.status)) return task;
      if (Date.now() + interval > deadline)
        throw new MesateeError(
          "TIMEOUT",
          Code.DeadlineExceeded,
          `task ${taskId} is still ${common.TaskStatus[task.status]}`,
        );
      await new Promise((resolve) => setTimeout(resolve, interval));
      interval = Math.min(interval * 2, 500);
    }
  }

  /** A client for the same platform that carries no credential yet (e.g. for another user). */
  fork(): MesateeClient {
    return new MesateeClient(this.options);
  }

  close(): void {
    for (const s of this.sessions) s.abort();
  }

  /** A client trusting the signed policy in a platform's client directory (verified on load). */
  static fromClientDir(options: Omit<ClientOptions, "policy"> & { clientDir: string }): MesateeClient {
    const { clientDir, ...rest } = options;
    return new MesateeClient({ ...rest, policy: loadSignedPolicyDir(clientDir).policy });
  }

  /** The attested identity of the service behind an endpoint, once connected. */
  peer(endpoint: "authentication" | "frontend"): RaTlsPeer | undefined {
    return this.peers.get(endpoint)?.();
  }

  private transport(
    baseUrl: string,
    credentials: Interceptor,
    service: "authentication" | "frontend",
  ): Transport {
    const verify = raTlsPeerVerifier({ policy: this.options.policy, service });
    let verified: RaTlsPeer | undefined;
    const connector = createAttestedConnector({
      verifyServer: async (certificate, socket) => (verified = await verify(certificate, socket)),
    });
    const session = new Http2SessionManager(
      baseUrl,
      { idleConnectionTimeoutMs: 15_000 },
      { createConnection: connector.createConnection as never },
    );
    this.peers.set(service, () => verified);
    this.sessions.push(session);
    const common = {
      baseUrl,
      httpVersion: "2" as const,
      sessionManager: session,
      interceptors: [credentials],
      defaultTimeoutMs: this.options.timeoutMs ?? 30_000,
    };
    return this.options.protocol === "connect" ? createConnectTransport(common) : createGrpcTransport(common);
  }
}

/** Wraps every method of a Connect client so that failures reject with MesateeError. */
function typedErrors<C extends object>(client: C): C {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).catch((error: unknown) => {
          throw MesateeError.from(error);
        });
    },
  });
}
