// `mesatee attestation verify`, `mesatee attest`, `mesatee policy sign|verify`, and Teaclave's
// `mesatee verify` (enclave info). Thin wrappers: every decision is made by @mesatee/attestation;
// this file reads files, picks the time, and prints results.

import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { registerAttestCommand } from "./attest.js";
import {
  AttestationError,
  detectEvidence,
  extractRaTlsEvidence,
  fromVerifiedQuote,
  fromVerifiedSnp,
  parsePolicy,
  parseQuote,
  parseSnpCollateral,
  parseSnpReport,
  signPolicy,
  verifyEnclaveInfo,
  verifyEvidence,
  verifyQuote,
  verifySignedPolicy,
  verifySnpReport,
  type Evidence,
  type Policy,
  type TeeType,
  type VerifiedEvidence,
} from "@mesatee/attestation";

/** Where the commands read and write; tests substitute their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  setExitCode(code: number): void;
  readFile(path: string): Promise<Buffer>;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
  readFile: (path) => readFile(path),
};

const MAX_INPUT_FILE = 16 * 1024 * 1024;

async function read(io: CliIo, path: string, what: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await io.readFile(path);
  } catch (cause) {
    throw new AttestationError(
      "INVALID_ARGUMENT",
      `cannot read ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`,
    );
  }
  if (bytes.length > MAX_INPUT_FILE)
    throw new AttestationError("INVALID_ARGUMENT", `${what} ${path} is larger than ${MAX_INPUT_FILE} bytes`);
  return bytes;
}

function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value)) {
    throw new AttestationError(
      "INVALID_ARGUMENT",
      `--now must be an ISO 8601 date-time with a time zone, e.g. 2025-07-01T00:00:00Z (got "${value}")`,
    );
  }
  const now = new Date(value);
  if (!Number.isFinite(now.getTime()))
    throw new AttestationError("INVALID_ARGUMENT", `--now "${value}" is not a valid date`);
  return now;
}

function hexOption(value: string | undefined, bytes: number, name: string): Buffer | undefined {
  if (value === undefined) return undefined;
  if (!new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`).test(value))
    throw new AttestationError("INVALID_ARGUMENT", `${name} must be ${bytes} bytes of hex`);
  return Buffer.from(value, "hex");
}

/** A detached signature file: base64 text (what `policy sign` writes) or raw bytes. */
function signatureBytes(file: Buffer): Buffer {
  const text = file.toString("latin1").trim();
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(text) && text.length % 4 === 0) return Buffer.from(text, "base64");
  return file;
}

// ------------------------------------------------------------------------------- attestation verify

interface VerifyFlags {
  collateral?: string;
  policy?: string;
  service?: string;
  reportData?: string;
  simulationRoot?: string;
  now?: string;
  json?: boolean;
}

interface Outcome {
  ok: boolean;
  tee: TeeType | null;
  tcbStatus: string | null;
  advisoryIds: string[];
  measurement: string | null;
  signer: string | null;
  reportData: string | null;
  debug: boolean | null;
  error?: { code: string; message: string };
}

function outcomeOf(v: VerifiedEvidence): Outcome {
  return {
    ok: true,
    tee: v.tee,
    tcbStatus: v.tcbStatus,
    advisoryIds: v.advisoryIds,
    measurement: v.measurement,
    signer: v.signer,
    reportData: v.reportData,
    debug: v.debug,
  };
}

function onlyService(policy: Policy, requested: string | undefined): string {
  if (requested !== undefined) return requested;
  const names = Object.keys(policy.services);
  if (names.length !== 1)
    throw new AttestationError(
      "INVALID_ARGUMENT",
      `the policy lists ${names.length} services: choose one with --service (${names.join(", ")})`,
    );
  return names[0]!;
}

function carriedReportData(evidence: Evidence): Buffer {
  return Buffer.from(
    evidence.format === "snp-report"
      ? parseSnpReport(evidence.raw).reportData
      : parseQuote(evidence.raw).reportData,
  );
}

async function verifyFile(io: CliIo, file: string, flags: VerifyFlags): Promise<VerifiedEvidence> {
  const now = parseNow(flags.now);
  const detected = detectEvidence(await read(io, file, "evidence"));
  let evidence: Evidence;
  let expected = hexOption(flags.reportData, 64, "--report-data");
  if (detected.kind === "ratls-certificate") {
    // The certificate fixes what the evidence must carry: SHA-256(claims) ‖ 0³².
    const extracted = extractRaTlsEvidence(detected.der, { now });
    evidence = extracted.evidence;
    if (expected && !expected.equals(extracted.expectedReportData)) {
      throw new AttestationError(
        "REPORT_DATA_MISMATCH",
        "--report-data differs from what the certificate's claims bind",
      );
    }
    expected = extracted.expectedReportData;
  } else {
    const format =
      detected.kind === "snp-report"
        ? "snp-report"
        : detected.kind === "tdx-quote"
          ? "tdx-dcap-quote"
          : "sgx-dcap-quote";
    evidence = { format, raw: detected.bytes };
  }
  const snp = evidence.format === "snp-report";
  const collateralFile =
    flags.collateral === undefined ? undefined : await read(io, flags.collateral, "collateral");

  if (flags.policy !== undefined) {
    const policy = parsePolicy(await read(io, flags.policy, "policy"));
    return verifyEvidence(evidence, {
      // Without --report-data or a certificate there is nothing to bind against: the carried value is used.
      expectedReportData: expected ?? carriedReportData(evidence),
      now,
      policy,
      service: onlyService(policy, flags.service),
      collateral:
        collateralFile === undefined
          ? null
          : snp
            ? { snp: parseSnpCollateral(collateralFile) }
            : { dcap: collateralFile },
    });
  }

  const simulationRootSha256 =
    hexOption(flags.simulationRoot, 32, "--simulation-root")?.toString("hex") ?? null;
  const verified = snp
    ? fromVerifiedSnp(
        verifySnpReport(evidence.raw, {
          now,
          collateral: collateralFile === undefined ? null : parseSnpCollateral(collateralFile),
          aux: evidence.aux ?? null,
        }),
      )
    : fromVerifiedQuote(
        verifyQuote(evidence.raw, {
          now,
          collateral: collateralFile ?? null,
          trust: { simulationRootSha256 },
        }),
      );
  if (expected && !expected.equals(Buffer.from(verified.reportData, "hex"))) {
    throw new AttestationError(
      "REPORT_DATA_MISMATCH",
      "the evidence's report data differs from the expected value",
    );
  }
  return verified;
}

function printOutcome(io: CliIo, outcome: Outcome, json: boolean): void {
  if (json) {
    io.stdout(`${JSON.stringify(outcome)}\n`);
    return;
  }
  if (!outcome.ok) {
    io.stderr(`verification failed: ${outcome.error!.code}: ${outcome.error!.message}\n`);
    return;
  }
  const lines = [
    `verified: ${outcome.tee}`,
    `measurement: ${outcome.measurement}`,
    `signer: ${outcome.signer ?? "-"}`,
    `report data: ${outcome.reportData}`,
    `debug: ${outcome.debug}`,
    `TCB status: ${outcome.tcbStatus ?? "none (no collateral)"}`,
    `advisories: ${outcome.advisoryIds.length > 0 ? outcome.advisoryIds.join(", ") : "-"}`,
  ];
  io.stdout(`${lines.join("\n")}\n`);
}

function failure(error: unknown, guess: TeeType | null): Outcome {
  const e =
    error instanceof AttestationError
      ? error
      : new AttestationError("INVALID_ARGUMENT", error instanceof Error ? error.message : String(error));
  return {
    ok: false,
    tee: guess,
    tcbStatus: null,
    advisoryIds: [],
    measurement: null,
    signer: null,
    reportData: null,
    debug: null,
    error: { code: e.code, message: e.message },
  };
}

// ------------------------------------------------------------------------------------ registration

export function registerAttestationCommands(program: Command, io: CliIo = processIo): void {
  const attestation = program
    .command("attestation")
    .description("verify TEE evidence (SGX, TDX, SEV-SNP quotes and reports, RA-TLS certificates)");
  attestation
    .command("verify")
    .description(
      "verify an SGX/TDX quote, an SEV-SNP report (binary or hex) or an RA-TLS certificate (PEM or DER)",
    )
    .argument("<file>", "evidence file")
    .option(
      "--collateral <file>",
      "Intel collateral bundle (JSON), or for SEV-SNP the VCEK or a {vcek, cert_chain, crl} bundle",
    )
    .option(
      "--policy <file>",
      "apply this policy file (unsigned; use `mesatee policy verify` to check its signatures)",
    )
    .option("--service <name>", "policy service to check against (default: the policy's only service)")
    .option("--report-data <hex>", "the 64 bytes the evidence must carry")
    .option(
      "--simulation-root <sha256>",
      "without --policy: accept simulation evidence chaining to this root",
    )
    .option("--now <iso8601>", "verification time (default: the current time)")
    .option("--json", "print one JSON object")
    .action(async (file: string, flags: VerifyFlags) => {
      let outcome: Outcome;
      try {
        outcome = outcomeOf(await verifyFile(io, file, flags));
      } catch (error) {
        outcome = failure(error, null);
      }
      printOutcome(io, outcome, flags.json === true);
      io.setExitCode(outcome.ok ? 0 : 1);
    });

  // `mesatee attest HOST:PORT`: an RA-TLS handshake with a running service.
  registerAttestCommand(program);

  const policy = program.command("policy").description("sign and verify verifier policy files");
  policy
    .command("sign")
    .description("write a detached signature (base64) over the exact bytes of a policy file")
    .argument("<policy>", "policy JSON file")
    .requiredOption("--key <file>", "auditor private key (PEM, Ed25519 or ECDSA P-256)")
    .action(async (file: string, flags: { key: string }) => {
      await run(io, async () => {
        const bytes = await read(io, file, "policy");
        parsePolicy(bytes);
        const signature = signPolicy(bytes, (await read(io, flags.key, "key")).toString("latin1"));
        io.stdout(`${signature.toString("base64")}\n`);
      });
    });
  policy
    .command("verify")
    .description("check a policy file's schema and its auditor signatures")
    .argument("<policy>", "policy JSON file")
    .requiredOption("--signature <files...>", "detached signature files")
    .requiredOption("--auditor <files...>", "auditor public keys (PEM)")
    .option("--threshold <n>", "distinct auditor signatures required (default: every listed auditor)")
    .action(async (file: string, flags: { signature: string[]; auditor: string[]; threshold?: string }) => {
      await run(io, async () => {
        const bytes = await read(io, file, "policy");
        const keys = await Promise.all(
          flags.auditor.map(async (f) => (await read(io, f, "auditor key")).toString("latin1")),
        );
        const signatures = await Promise.all(
          flags.signature.map(async (f) => signatureBytes(await read(io, f, "signature"))),
        );
        const threshold =
          flags.threshold === undefined ? new Set(keys.map((k) => k.trim())).size : Number(flags.threshold);
        const check = verifySignedPolicy(bytes, signatures, keys, threshold);
        const parsed = parsePolicy(bytes);
        io.stdout(
          `policy verified: ${check.signers.length} auditor signature(s), threshold ${check.threshold}; services: ${Object.keys(parsed.services).join(", ")}\n`,
        );
      });
    });

  program
    .command("verify")
    .description("verify enclave info signed by auditors (Teaclave-compatible)")
    .requiredOption("-e, --enclave-info <file>", "enclave_info.toml")
    .requiredOption("-p, --public-keys <files...>", "auditor RSA public keys (PEM)")
    .requiredOption("-s, --signatures <files...>", "auditor signatures (RSA PKCS#1 v1.5, SHA-256)")
    .option("--threshold <n>", "distinct auditor signatures required (default 1)")
    .action(
      async (flags: {
        enclaveInfo: string;
        publicKeys: string[];
        signatures: string[];
        threshold?: string;
      }) => {
        await run(io, async () => {
          const bytes = await read(io, flags.enclaveInfo, "enclave info");
          const keys = await Promise.all(
            flags.publicKeys.map(async (f) => (await read(io, f, "public key")).toString("latin1")),
          );
          const signatures = await Promise.all(flags.signatures.map((f) => read(io, f, "signature")));
          verifyEnclaveInfo(
            bytes,
            keys,
            signatures,
            flags.threshold === undefined ? 1 : Number(flags.threshold),
          );
          io.stdout("Verify successfully.\n");
        });
      },
    );
}

async function run(io: CliIo, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    io.setExitCode(0);
  } catch (error) {
    const message =
      error instanceof AttestationError
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? error.message
          : String(error);
    io.stderr(`mesatee: ${message}\n`);
    io.setExitCode(1);
  }
}
