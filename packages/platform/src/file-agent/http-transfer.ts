// http and https: GET with redirects, its body streamed to the caller; PUT of a stream of known length
// without them.
// Every connection goes through `guardedLookup`, so the address actually dialled is checked against the
// blocked networks, for every redirect hop; IP literals never reach a lookup and are checked before.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import {
  STATUS_CODES,
  request as httpRequest,
  type IncomingMessage,
  type ClientRequest,
  type OutgoingHttpHeaders,
} from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ByteCounter } from "./byte-counter.js";
import type { TransferControl } from "./control.js";
import { FileAgentError } from "./errors.js";
import type { NetworkBlockList } from "./networks.js";
import type { ResolvedOptions } from "./options.js";
import { redactUrl } from "./redact.js";
import { relay } from "./relay.js";

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

const TLS_TRUST_ERRORS = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function describeStatus(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ""}`.trim();
}

/** Connection-level failures; Node's messages name only host and port, never the path or query. */
function unreachable(url: URL, e: unknown): FileAgentError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && TLS_TRUST_ERRORS.has(code)) {
    return new FileAgentError(
      "UNREACHABLE",
      `${redactUrl(url.href)}: TLS certificate not trusted (${code})`,
      { cause: e },
    );
  }
  return new FileAgentError("UNREACHABLE", `${redactUrl(url.href)}: ${code ?? "connection failed"}`, {
    cause: e,
  });
}

function guardedLookup(blocked: NetworkBlockList, url: URL): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      const denied = addresses.find((a) => blocked.blocks(a.address));
      if (denied !== undefined || addresses.length === 0) {
        return callback(blockedError(url, denied?.address ?? "no address"), "", 0);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

function blockedError(url: URL, address: string): FileAgentError {
  return new FileAgentError(
    "NOT_ALLOWED",
    `${redactUrl(url.href)} resolves to ${address}, in a blocked network`,
  );
}

function bareHost(url: URL): string {
  return url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
}

interface Exchange {
  readonly request: ClientRequest;
  readonly response: Promise<IncomingMessage>;
}

function open(
  url: URL,
  method: "GET" | "PUT",
  headers: OutgoingHttpHeaders,
  options: ResolvedOptions,
  control: TransferControl,
): Exchange {
  const host = bareHost(url);
  if (isIP(host) !== 0 && options.blocked.blocks(host)) throw blockedError(url, host);
  const requestOptions: RequestOptions = {
    method,
    hostname: host,
    port: url.port === "" ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers,
    // A connection of its own per transfer: no pooled socket that skipped the checks, none left behind.
    agent: false,
    lookup: guardedLookup(options.blocked, url),
    timeout: options.idleTimeoutMs,
    signal: control.signal,
  };
  if (url.username !== "" || url.password !== "") {
    requestOptions.auth = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  }
  if (url.protocol === "https:" && options.ca !== undefined) requestOptions.ca = [...options.ca];
  const request = (url.protocol === "https:" ? httpsRequest : httpRequest)(requestOptions);
  // The socket timeout covers connecting and every later silence, response body included.
  request.on("timeout", () =>
    control.fail(
      new FileAgentError("TIMEOUT", `${redactUrl(url.href)}: no activity for ${options.idleTimeoutMs} ms`),
    ),
  );
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.on("error", reject); // kept for the request's lifetime: a late error must not go unhandled
  });
  response.catch(() => undefined); // observed by the caller; avoid an unhandled rejection in between
  return { request, response };
}

function contentLength(response: IncomingMessage, url: URL): number | undefined {
  const header = response.headers["content-length"];
  if (header === undefined) return undefined;
  if (!/^\d{1,16}$/.test(header)) {
    throw new FileAgentError("HTTP_STATUS", `${redactUrl(url.href)}: malformed Content-Length`);
  }
  return Number(header);
}

/**
 * GETs `start`, following redirects, and resolves with the body once a 2xx answer arrived (see
 * `responseBody`). The body owns the connection: it is closed when the body ends or is destroyed.
 */
export async function httpOpen(
  start: URL,
  options: ResolvedOptions,
  control: TransferControl,
): Promise<ByteCounter> {
  let url = start;
  for (let redirects = 0; ; redirects++) {
    control.throwIfFailed();
    let exchange: Exchange | undefined;
    try {
      exchange = open(url, "GET", {}, options, control);
      exchange.request.end();
      const response = await exchange.response;
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        response.destroy();
        url = nextHop(url, response, redirects, options.maxRedirects);
        exchange.request.destroy();
        continue;
      }
      if (status < 200 || status > 299) {
        response.destroy();
        throw new FileAgentError(
          "HTTP_STATUS",
          `GET ${redactUrl(url.href)} answered ${describeStatus(status)}`,
        );
      }
      return responseBody(exchange.request, response, url, options.maxDownloadBytes, control);
    } catch (e) {
      exchange?.request.destroy();
      throw control.explain(e, (cause) => unreachable(url, cause));
    }
  }
}

function nextHop(url: URL, response: IncomingMessage, redirects: number, maxRedirects: number): URL {
  const location = response.headers.location;
  const status = describeStatus(response.statusCode ?? 0);
  if (location === undefined || location === "") {
    throw new FileAgentError(
      "HTTP_STATUS",
      `GET ${redactUrl(url.href)} answered ${status} without a Location`,
    );
  }
  if (redirects >= maxRedirects) {
    throw new FileAgentError(
      "TOO_MANY_REDIRECTS",
      `GET ${redactUrl(url.href)} redirected more than ${maxRedirects} times`,
    );
  }
  let next: URL;
  try {
    next = new URL(location, url);
  } catch {
    throw new FileAgentError("INVALID_URL", `GET ${redactUrl(url.href)} redirected to an invalid URL`);
  }
  if (next.protocol !== "http:" && next.protocol !== "https:") {
    throw new FileAgentError(
      "UNSUPPORTED_SCHEME",
      `GET ${redactUrl(url.href)} redirected to ${redactUrl(next.href)}`,
    );
  }
  // Following https -> http would let anyone on the path answer instead of the certificate holder.
  if (url.protocol === "https:" && next.protocol === "http:") {
    throw new FileAgentError("NOT_ALLOWED", `GET ${redactUrl(url.href)} redirected from https to http`);
  }
  return next;
}

function shortRead(
  url: URL,
  received: number,
  expected: number | undefined,
  cause?: unknown,
): FileAgentError {
  const of = expected === undefined ? "" : ` of ${expected}`;
  return new FileAgentError(
    "SHORT_READ",
    `GET ${redactUrl(url.href)}: connection closed after ${received}${of} bytes`,
    { cause },
  );
}

/**
 * The body of a 2xx answer as a stream that fails with a FileAgentError: TOO_LARGE as soon as it crosses
 * `maxBytes` (or at once when Content-Length announces more), SHORT_READ when it ends early, and the
 * transfer's own reason on a timeout or abort.
 */
function responseBody(
  request: ClientRequest,
  response: IncomingMessage,
  url: URL,
  maxBytes: number,
  control: TransferControl,
): ByteCounter {
  const expected = contentLength(response, url);
  if (expected !== undefined && expected > maxBytes) {
    response.destroy();
    throw new FileAgentError(
      "TOO_LARGE",
      `GET ${redactUrl(url.href)} announces ${expected} bytes, more than ${maxBytes}`,
    );
  }
  const body: ByteCounter = new ByteCounter(
    maxBytes,
    (max) => new FileAgentError("TOO_LARGE", `GET ${redactUrl(url.href)} sent more than ${max} bytes`),
    (bytes) =>
      !response.complete || (expected !== undefined && bytes !== expected)
        ? shortRead(url, bytes, expected)
        : undefined,
  );
  return relay(
    response,
    body,
    control,
    (cause) => shortRead(url, body.bytes, expected, cause),
    () => request.destroy(),
  );
}

/**
 * PUTs the `length` bytes of `body` to `url`. Only Content-Type: application/octet-stream and
 * Content-Length are added, so a presigned URL works if it was signed for that content type or for
 * none. Redirects are not followed. `body` is consumed or destroyed.
 */
export async function httpUpload(
  body: Readable,
  length: number,
  url: URL,
  options: ResolvedOptions,
  control: TransferControl,
): Promise<number> {
  let exchange: Exchange | undefined;
  try {
    control.throwIfFailed();
    exchange = open(
      url,
      "PUT",
      { "content-type": "application/octet-stream", "content-length": String(length) },
      options,
      control,
    );
    const sending = pipeline(body, exchange.request);
    sending.catch(() => undefined); // awaited below when it matters
    const response = await exchange.response;
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) {
      response.destroy();
      const redirect = REDIRECTS.has(status) ? " (PUT does not follow redirects)" : "";
      throw new FileAgentError(
        "HTTP_STATUS",
        `PUT ${redactUrl(url.href)} answered ${describeStatus(status)}${redirect}`,
      );
    }
    await sending;
    response.destroy(); // the body of a successful PUT carries nothing the agent needs
    return length;
  } catch (e) {
    // A failing body also breaks the connection; the body's own error says why.
    const own = body.errored;
    throw control.explain(own instanceof FileAgentError ? own : e, (cause) => unreachable(url, cause));
  } finally {
    exchange?.request.destroy();
  }
}
