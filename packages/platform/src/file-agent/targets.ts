// What a URL names, decided from its scheme. Everything a URL may carry is validated here, once.
import { fileURLToPath } from "node:url";
import { FileAgentError } from "./errors.js";
import { redactUrl } from "./redact.js";

export type Target =
  | { readonly kind: "http"; readonly url: URL }
  | { readonly kind: "file"; readonly path: string }
  | { readonly kind: "data"; readonly url: string }
  | { readonly kind: "fusion"; readonly name: string };

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

export function parseTarget(url: unknown): Target {
  if (typeof url !== "string" || url === "")
    throw new FileAgentError("INVALID_URL", "URL must be a non-empty string");
  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) throw new FileAgentError("INVALID_URL", "not an absolute URL");
  switch (scheme) {
    case "http":
    case "https":
      return { kind: "http", url: httpUrl(url) };
    case "file":
      return { kind: "file", path: filePath(url) };
    case "data":
      return { kind: "data", url };
    case "fusion":
      return { kind: "fusion", name: fusionName(url) };
    default:
      throw new FileAgentError(
        "UNSUPPORTED_SCHEME",
        `scheme ${scheme}: is not supported (${redactUrl(url)})`,
      );
  }
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new FileAgentError("INVALID_URL", `malformed URL ${redactUrl(url)}`);
  }
}

function httpUrl(url: string): URL {
  const parsed = parseUrl(url);
  try {
    // Credentials are sent as Basic auth; decode them now so a malformed escape fails here, not mid-request.
    decodeURIComponent(parsed.username);
    decodeURIComponent(parsed.password);
  } catch {
    throw new FileAgentError("INVALID_URL", `${redactUrl(url)}: malformed credentials`);
  }
  return parsed;
}

// The URL parser silently resolves `..` (raw or as %2e%2e), so it is looked for before parsing.
function hasDotDot(url: string): boolean {
  const path = url.slice("file:".length).split(/[?#]/, 1)[0] ?? "";
  return path.split(/[/\\]/).some((segment) => segment.replace(/%2e/gi, ".") === "..");
}

function filePath(url: string): string {
  if (hasDotDot(url)) throw new FileAgentError("NOT_ALLOWED", `${redactUrl(url)}: '..' is not allowed`);
  const parsed = parseUrl(url);
  if (parsed.search !== "" || parsed.hash !== "") {
    throw new FileAgentError("INVALID_URL", `${redactUrl(url)}: file: URLs take no query or fragment`);
  }
  try {
    return fileURLToPath(parsed);
  } catch {
    // A host other than localhost, or an encoded '/' or NUL.
    throw new FileAgentError("INVALID_URL", `${redactUrl(url)} names no local path`);
  }
}

const FUSION_PREFIX = "///TEACLAVE_FUSION_BASE/";
// One path segment, not hidden (so never `.`, `..` or the agent's own temporary files).
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/;

function fusionName(url: string): string {
  const rest = url.slice("fusion:".length);
  if (!rest.startsWith(FUSION_PREFIX)) {
    throw new FileAgentError(
      "INVALID_URL",
      `${redactUrl(url)}: expected fusion:///TEACLAVE_FUSION_BASE/<name>`,
    );
  }
  const name = rest.slice(FUSION_PREFIX.length);
  if (!SAFE_NAME.test(name)) {
    throw new FileAgentError(
      "NOT_ALLOWED",
      `${redactUrl(url)}: a fusion name must be one plain path segment`,
    );
  }
  return name;
}
