// Keeps a service's RA-TLS certificate fresh: issues a new key + certificate (with fresh evidence)
// before the current one expires and swaps it into every attached TLS server with
// setSecureContext, so live connections continue and new ones see the new certificate.

import { EventEmitter } from "node:events";
import type { SecureContextOptions, Server as TlsServer } from "node:tls";
import { issueRaTlsCertificate, type IssueRaTlsOptions, type RaTlsCertificate } from "./certificate.js";
import { RaTlsError } from "./errors.js";

export interface CertificateManagerOptions extends Omit<IssueRaTlsOptions, "now"> {
  /** Renew this long before notAfter; default a quarter of the validity. */
  renewBeforeMs?: number;
  /** Wait this long before retrying a failed renewal; default 60 s. */
  retryDelayMs?: number;
  clock?: () => Date;
}

interface Attachment {
  server: TlsServer;
  context: SecureContextOptions;
}

/**
 * Events: "rotated" (certificate) after each successful issuance, "rotationFailed" (error) when a
 * scheduled renewal fails (it is retried; the current certificate stays in use until it expires).
 */
export class CertificateManager extends EventEmitter {
  private cert: RaTlsCertificate | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<RaTlsCertificate> | undefined;
  private stopped = false;
  private readonly attachments = new Set<Attachment>();
  private readonly clock: () => Date;
  private readonly renewBeforeMs: number | undefined;
  private readonly retryDelayMs: number;

  constructor(private readonly options: CertificateManagerOptions) {
    super();
    this.clock = options.clock ?? (() => new Date());
    this.renewBeforeMs = options.renewBeforeMs;
    this.retryDelayMs = options.retryDelayMs ?? 60_000;
    if (
      this.renewBeforeMs !== undefined &&
      (!Number.isFinite(this.renewBeforeMs) || this.renewBeforeMs < 0)
    ) {
      throw new RaTlsError("INVALID_ARGUMENT", "renewBeforeMs must be ≥ 0");
    }
    if (!Number.isFinite(this.retryDelayMs) || this.retryDelayMs < 0) {
      throw new RaTlsError("INVALID_ARGUMENT", "retryDelayMs must be ≥ 0");
    }
  }

  get service(): string {
    return this.options.service;
  }

  /** Issues the first certificate and starts the renewal schedule. */
  async start(): Promise<RaTlsCertificate> {
    this.stopped = false;
    if (this.cert === undefined) return this.rotate();
    if (this.timer === undefined) this.schedule(this.cert);
    return this.cert;
  }

  /** The certificate in use; start() must have completed. */
  current(): RaTlsCertificate {
    if (this.cert === undefined)
      throw new RaTlsError("INVALID_ARGUMENT", "CertificateManager.start() has not completed");
    return this.cert;
  }

  /** key + cert for tls/http2 options. */
  secureContextOptions(): { key: string; cert: string } {
    const c = this.current();
    return { key: c.keyPem, cert: c.certPem };
  }

  /**
   * Installs the current certificate into `server` on every rotation. `context` must hold all of the
   * server's secure-context options except key/cert, because setSecureContext replaces them all.
   * Returns a function that detaches the server.
   */
  attach(server: TlsServer, context: SecureContextOptions = {}): () => void {
    const attachment: Attachment = { server, context };
    this.attachments.add(attachment);
    if (this.cert !== undefined) server.setSecureContext({ ...context, ...this.secureContextOptions() });
    return () => void this.attachments.delete(attachment);
  }

  /** Issues a new key + certificate now and swaps it in. Concurrent calls share one issuance. */
  rotate(): Promise<RaTlsCertificate> {
    this.pending ??= (async () => {
      try {
        const {
          renewBeforeMs: _r,
          retryDelayMs: _d,
          clock: _c,
          ...issue
        } = this.options as CertificateManagerOptions;
        const cert = await issueRaTlsCertificate({ ...issue, now: this.clock() });
        this.cert = cert;
        for (const { server, context } of this.attachments) {
          server.setSecureContext({ ...context, key: cert.keyPem, cert: cert.certPem });
        }
        this.schedule(cert);
        this.emit("rotated", cert);
        return cert;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  private schedule(cert: RaTlsCertificate): void {
    if (this.stopped) return;
    const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
    const renewBefore = this.renewBeforeMs ?? Math.floor(lifetime / 4);
    const delay = Math.max(0, cert.notAfter.getTime() - renewBefore - this.clock().getTime());
    this.arm(delay);
  }

  private arm(delay: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.rotate().catch((err: unknown) => {
          this.emit("rotationFailed", err);
          this.arm(this.retryDelayMs);
        });
      },
      Math.min(delay, 2 ** 31 - 1),
    );
    // Renewal alone must not keep a process alive.
    this.timer.unref();
  }

  /** Stops renewing; attached servers keep the current certificate. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
