// FileAgentOptions, their defaults, and their validation (once, in the constructor).
import { X509Certificate } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import { rootCertificates } from "node:tls";
import { FileAgentError } from "./errors.js";
import { DEFAULT_BLOCKED_NETWORKS, NetworkBlockList } from "./networks.js";

export interface FileAgentOptions {
  /** Deadline for a whole transfer, redirects included. Default 10 minutes. */
  timeoutMs?: number;
  /** Longest wait for a connection or for the next bytes on it. Default 30 s. */
  idleTimeoutMs?: number;
  /** Default 16 GiB. */
  maxDownloadBytes?: number;
  /** Default 16 GiB. */
  maxUploadBytes?: number;
  /** Redirects followed by a GET; PUT never follows them. Default 5. */
  maxRedirects?: number;
  /** Directories that file: URLs may read and write (after resolving symlinks). Default none: file: refused. */
  fileRoots?: readonly string[];
  /** Where fusion:///TEACLAVE_FUSION_BASE/<name> lives. Unset: fusion: refused. */
  fusionDir?: string;
  /** Extra trusted CA certificates (PEM) for https, in addition to Node's bundled roots. */
  ca?: string | readonly string[];
  /**
   * Networks never contacted, checked on the resolved address of every connection, redirects included.
   * Default link-local (169.254.0.0/16, fe80::/10). Giving a list replaces the default.
   */
  blockedNetworks?: readonly string[];
  /** Largest decoded data: URL. Default 16 MiB (and never more than maxDownloadBytes). */
  maxDataUrlBytes?: number;
}

export interface ResolvedOptions {
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxDownloadBytes: number;
  readonly maxUploadBytes: number;
  readonly maxRedirects: number;
  readonly fileRoots: readonly string[];
  readonly fusionDir: string | undefined;
  /** Node's roots plus the extra CAs, or undefined for Node's defaults. */
  readonly ca: readonly string[] | undefined;
  readonly blocked: NetworkBlockList;
  readonly maxDataUrlBytes: number;
}

const GiB = 1024 ** 3;
export const DEFAULTS = {
  timeoutMs: 10 * 60_000,
  idleTimeoutMs: 30_000,
  maxDownloadBytes: 16 * GiB,
  maxUploadBytes: 16 * GiB,
  maxRedirects: 5,
  maxDataUrlBytes: 16 * 1024 ** 2,
} as const;

// setTimeout cannot wait longer than 2^31-1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_REDIRECTS = 50;

export function resolveOptions(options: FileAgentOptions = {}): ResolvedOptions {
  if (typeof options !== "object" || options === null) invalid("options must be an object");
  const maxDownloadBytes = integer(
    "maxDownloadBytes",
    options.maxDownloadBytes,
    DEFAULTS.maxDownloadBytes,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  let blocked: NetworkBlockList;
  try {
    blocked = new NetworkBlockList(
      list("blockedNetworks", options.blockedNetworks) ?? DEFAULT_BLOCKED_NETWORKS,
    );
  } catch (e) {
    invalid(`blockedNetworks: ${(e as Error).message}`);
  }
  return {
    timeoutMs: integer("timeoutMs", options.timeoutMs, DEFAULTS.timeoutMs, 1, MAX_TIMER_MS),
    idleTimeoutMs: integer("idleTimeoutMs", options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, 1, MAX_TIMER_MS),
    maxDownloadBytes,
    maxUploadBytes: integer(
      "maxUploadBytes",
      options.maxUploadBytes,
      DEFAULTS.maxUploadBytes,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    maxRedirects: integer("maxRedirects", options.maxRedirects, DEFAULTS.maxRedirects, 0, MAX_REDIRECTS),
    fileRoots: (list("fileRoots", options.fileRoots) ?? []).map((root) => directory("fileRoots", root)),
    fusionDir: options.fusionDir === undefined ? undefined : directory("fusionDir", options.fusionDir),
    ca: trustedCas(options.ca),
    blocked,
    maxDataUrlBytes: Math.min(
      maxDownloadBytes,
      integer(
        "maxDataUrlBytes",
        options.maxDataUrlBytes,
        DEFAULTS.maxDataUrlBytes,
        0,
        Number.MAX_SAFE_INTEGER,
      ),
    ),
  };
}

function invalid(message: string): never {
  throw new FileAgentError("INVALID_OPTIONS", message);
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    invalid(`${name} must be an integer in [${min}, ${max}]`);
  }
  return value;
}

function list(name: string, value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string"))
    invalid(`${name} must be an array of strings`);
  return [...(value as string[])];
}

function directory(name: string, value: unknown): string {
  if (typeof value !== "string" || value === "" || value.includes("\0") || !isAbsolute(value)) {
    invalid(`${name} must hold absolute paths`);
  }
  return resolve(value);
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

function trustedCas(value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const pems = typeof value === "string" ? [value] : list("ca", value);
  if (pems === undefined) return undefined;
  const certificates: string[] = [];
  for (const pem of pems) {
    const blocks = pem.match(PEM_CERTIFICATE) ?? [];
    if (blocks.length === 0) invalid("ca must hold PEM certificates");
    for (const block of blocks) {
      try {
        new X509Certificate(block);
      } catch {
        invalid("ca holds a certificate that does not parse");
      }
      certificates.push(block);
    }
  }
  // Node's `ca` replaces its bundled roots; the contract is "in addition to", so keep them.
  return [...rootCertificates, ...certificates];
}
