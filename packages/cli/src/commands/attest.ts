// `mesatee attest HOST:PORT`: connects to a running service, verifies its RA-TLS certificate against the
// deployment's signed policy, and prints what it verified. Nothing is sent beyond the TLS handshake.
import { connect } from "node:tls";
import type { Command } from "commander";
import { loadSignedPolicyDir, verifyRaTlsCertificate, type RaTlsPeer } from "@mesatee/attestation";

interface AttestFlags {
  clientDir: string;
  service?: string;
  json?: boolean;
  timeout: string;
}

function splitHostPort(target: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(target);
  const port = Number(m?.[2]);
  if (!m?.[1] || !(port > 0 && port < 65536))
    throw new Error(`expected HOST:PORT, got ${JSON.stringify(target)}`);
  return { host: m[1], port };
}

function peerCertificate(host: string, port: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // The certificate is verified below by its evidence, not by a CA: TLS-layer checks are off on purpose.
    const socket = connect({
      host,
      port,
      servername: host,
      ALPNProtocols: ["h2"],
      rejectUnauthorized: false,
    });
    const timer = setTimeout(
      () => socket.destroy(new Error(`no TLS handshake with ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const raw = socket.getPeerCertificate(true).raw;
      socket.destroy();
      if (!raw) reject(new Error("the server presented no certificate"));
      else resolve(raw);
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function describe(peer: RaTlsPeer): string {
  return [
    `verified ${peer.service} (${peer.tee})`,
    `  measurement  ${peer.measurement}`,
    `  signer       ${peer.signer ?? "-"}`,
    `  debug        ${peer.debug}`,
    `  tcb status   ${peer.tcbStatus ?? "none (no collateral)"}`,
    `  certificate  valid ${peer.certificate.notBefore.toISOString()} .. ${peer.certificate.notAfter.toISOString()}`,
    `  key (spki)   sha256 ${peer.certificate.spkiSha256}`,
  ].join("\n");
}

export function registerAttestCommand(program: Command): void {
  program
    .command("attest")
    .argument("<host:port>", "a MesaTEE endpoint")
    .description("verify a running service by remote attestation and print what was verified")
    .requiredOption("--client-dir <dir>", "the deployment's signed policy (a platform's <data-dir>/client)")
    .option("--service <name>", "the service the endpoint must be (e.g. frontend)")
    .option("--json", "print one JSON object")
    .option("--timeout <ms>", "handshake timeout", "10000")
    .action(async (target: string, flags: AttestFlags) => {
      try {
        const { host, port } = splitHostPort(target);
        const { policy } = loadSignedPolicyDir(flags.clientDir);
        const der = await peerCertificate(host, port, Number(flags.timeout));
        const peer = await verifyRaTlsCertificate(der, {
          now: new Date(),
          policy,
          ...(flags.service ? { service: flags.service } : {}),
        });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ ok: true, service: peer.service, tee: peer.tee, measurement: peer.measurement, signer: peer.signer, debug: peer.debug, tcbStatus: peer.tcbStatus, notAfter: peer.certificate.notAfter.toISOString() })}\n`
            : `${describe(peer)}\n`,
        );
      } catch (error) {
        const e = error as Error & { code?: string };
        if (flags.json)
          process.stdout.write(
            `${JSON.stringify({ ok: false, error: { code: e.code ?? "ERROR", message: e.message } })}\n`,
          );
        else process.stderr.write(`mesatee attest: refused: ${e.message}\n`);
        process.exitCode = 1;
      }
    });
}
