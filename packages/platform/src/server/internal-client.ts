// Clients of internal endpoints: mutual RA-TLS, the server attested as the expected service under the
// deployment's policy before any request byte is sent, our own RA-TLS certificate presented.
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";
import {
  createAttestedConnector,
  raTlsPeerVerifier,
  type CertificateSource,
  type Policy,
} from "@mesatee/attestation";

export interface InternalClientOptions {
  readonly url: string;
  readonly policy: Policy;
  /** The service the endpoint must be attested as. */
  readonly service: string;
  /** Our own RA-TLS certificate. */
  readonly certificates: CertificateSource;
  readonly timeoutMs?: number;
}

export interface InternalClient<S extends DescService> {
  readonly client: Client<S>;
  close(): void;
}

export function internalClient<S extends DescService>(
  desc: S,
  options: InternalClientOptions,
): InternalClient<S> {
  const connector = createAttestedConnector({
    verifyServer: raTlsPeerVerifier({ policy: options.policy, service: options.service }),
    certificates: options.certificates,
  });
  const session = new Http2SessionManager(
    options.url,
    { pingIntervalMs: 5_000 },
    { createConnection: connector.createConnection as never },
  );
  const client = createClient(
    desc,
    createGrpcTransport({
      baseUrl: options.url,
      sessionManager: session,
      defaultTimeoutMs: options.timeoutMs ?? 30_000,
    }),
  );
  return { client, close: () => session.abort() };
}
