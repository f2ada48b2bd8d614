// The file agent's one error type. `code` is stable: the execution worker and tests match on it.
// Messages name URLs only through redactUrl, because presigned URLs carry credentials in the query.
export type FileAgentErrorCode =
  | "UNSUPPORTED_SCHEME" // not http, https, file, data or fusion (or data: used for an upload)
  | "NOT_ALLOWED" // outside fileRoots / fusionDir, a blocked network, `..`, an unsafe name, a downgrade
  | "HTTP_STATUS" // the server answered with a status other than 2xx (or a redirect we do not follow)
  | "TIMEOUT" // the whole-transfer deadline or the connect/idle timeout passed
  | "TOO_LARGE" // more bytes than maxDownloadBytes / maxUploadBytes
  | "TOO_MANY_REDIRECTS"
  | "SHORT_READ" // the body ended before its announced length
  | "UNREACHABLE" // DNS, connection or TLS failure
  | "EXISTS" // a download's destination, or an upload's file:/fusion: target, already exists
  | "NOT_FOUND" // a local source, or a destination's directory, does not exist
  | "IO" // a local read or write failed
  | "ABORTED" // the caller's AbortSignal fired
  | "INVALID_URL" // not a URL, or a malformed one of a supported scheme
  | "INVALID_OPTIONS"; // a FileAgentOptions field out of range

export class FileAgentError extends Error {
  override readonly name = "FileAgentError";
  constructor(
    readonly code: FileAgentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const isFileAgentError = (e: unknown): e is FileAgentError => e instanceof FileAgentError;
