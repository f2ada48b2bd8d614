// The file agent moves ciphertext between URLs and the execution worker (spec/teaclave-compat.md §4.3,
// §4.4), as local files or as streams. It never sees plaintext and trusts no URL: schemes, local paths,
// networks, sizes and time are all bounded here.
import { createWriteStream } from "node:fs";
import { join, resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { writeAtomically } from "./atomic-write.js";
import { ByteCounter, exactLength } from "./byte-counter.js";
import { TransferControl } from "./control.js";
import { decodeDataUrl } from "./data-url.js";
import { FileAgentError } from "./errors.js";
import { fsError } from "./fs-errors.js";
import { httpOpen, httpUpload } from "./http-transfer.js";
import { openSource, readSource, type Source } from "./local-copy.js";
import { resolveOptions, type FileAgentOptions, type ResolvedOptions } from "./options.js";
import { redactUrl } from "./redact.js";
import { relay } from "./relay.js";
import { resolveExistingFile, resolveNewFile } from "./roots.js";
import { parseTarget, type Target } from "./targets.js";

export interface TransferResult {
  readonly bytes: number;
}

function localPath(path: unknown, what: string): string {
  if (typeof path !== "string" || path === "" || path.includes("\0")) {
    throw new FileAgentError("INVALID_OPTIONS", `${what} must be a non-empty path`);
  }
  return resolve(path);
}

type UploadTarget = Exclude<Target, { kind: "data" }>;

export class FileAgent {
  readonly #options: ResolvedOptions;

  constructor(options?: FileAgentOptions) {
    this.#options = resolveOptions(options);
  }

  /** Streams the resource at `url` into `destination` (which must not exist). */
  async download(url: string, destination: string, signal?: AbortSignal): Promise<TransferResult> {
    const target = parseTarget(url);
    const path = localPath(destination, "destination");
    const control = new TransferControl(this.#options.timeoutMs, signal);
    let source: Source | undefined;
    try {
      control.throwIfFailed();
      // Resolved before anything is created, so a refused source leaves no trace at the destination.
      source = await this.#openLocalSource(target);
      const bytes = await writeAtomically(path, async (temporary) => {
        const body = await this.#open(target, source, control);
        await pipeline(body, createWriteStream(temporary, { flags: "wx" }), { signal: control.signal });
        return body.bytes;
      });
      return { bytes };
    } catch (e) {
      throw control.explain(e, (cause) => fsError(cause, path));
    } finally {
      await source?.handle.close().catch(() => undefined);
      control.dispose();
    }
  }

  /**
   * The resource at `url` as a stream, once it is known to exist (for http: a 2xx answer arrived). The
   * stream is bounded exactly as `download` is (size, redirects, blocked networks, timeouts, the
   * signal) and fails with a FileAgentError, SHORT_READ included, instead of ending early. Destroy it
   * to stop the transfer.
   */
  async openDownload(url: string, signal?: AbortSignal): Promise<Readable> {
    const target = parseTarget(url);
    const control = new TransferControl(this.#options.timeoutMs, signal);
    let source: Source | undefined;
    try {
      control.throwIfFailed();
      source = await this.#openLocalSource(target);
      const body = await this.#open(target, source, control);
      body.once("close", () => control.dispose());
      return body;
    } catch (e) {
      await source?.handle.close().catch(() => undefined);
      const error = control.explain(e, (cause) => fsError(cause, redactUrl(url)));
      control.dispose();
      throw error;
    }
  }

  /**
   * Streams the file at `source` to `url` (PUT for http/https). The PUT carries only Content-Type:
   * application/octet-stream and Content-Length, follows no redirect and accepts any 2xx; a presigned URL
   * must therefore be signed for that content type or for none.
   */
  async upload(source: string, url: string, signal?: AbortSignal): Promise<TransferResult> {
    const target = uploadTarget(url);
    const sourcePath = localPath(source, "source");
    const control = new TransferControl(this.#options.timeoutMs, signal);
    let opened: Source | undefined;
    try {
      control.throwIfFailed();
      const destination = await this.#uploadDestination(target);
      opened = await openSource(sourcePath, this.#options.maxUploadBytes);
      const body = relay(readSource(opened), exactLength(opened.size), control, (cause) =>
        fsError(cause, sourcePath),
      );
      return { bytes: await this.#send(target, destination, body, opened.size, control) };
    } catch (e) {
      throw control.explain(e, (cause) => fsError(cause, sourcePath));
    } finally {
      await opened?.handle.close().catch(() => undefined);
      control.dispose();
    }
  }

  /**
   * Sends the `length` bytes of `body` to `url`, as `upload` sends a file: Content-Length is `length`,
   * so it must be exact (a body that gives more or fewer bytes fails the upload with IO). `body` is
   * consumed, or destroyed if the upload fails; its own failure fails the upload with IO.
   */
  async uploadStream(
    body: Readable,
    length: number,
    url: string,
    signal?: AbortSignal,
  ): Promise<TransferResult> {
    // Until the relay takes over, a failing body must not crash the process.
    const swallow = (): void => {};
    body.on("error", swallow);
    const control = new TransferControl(this.#options.timeoutMs, signal);
    try {
      const target = uploadTarget(url);
      if (!Number.isSafeInteger(length) || length < 0)
        throw new FileAgentError("INVALID_OPTIONS", "an upload's length must be a non-negative integer");
      if (length > this.#options.maxUploadBytes) {
        throw new FileAgentError(
          "TOO_LARGE",
          `an upload of ${length} bytes is larger than ${this.#options.maxUploadBytes} bytes`,
        );
      }
      control.throwIfFailed();
      const destination = await this.#uploadDestination(target);
      const counted = relay(body, exactLength(length), control, (cause) => sourceFailed(cause));
      return { bytes: await this.#send(target, destination, counted, length, control) };
    } catch (e) {
      body.destroy();
      throw control.explain(e, (cause) => fsError(cause, redactUrl(url)));
    } finally {
      body.off("error", swallow);
      control.dispose();
    }
  }

  async #openLocalSource(target: Target): Promise<Source | undefined> {
    if (target.kind === "file") {
      const path = await resolveExistingFile(this.#fileRoots(), target.path);
      return openSource(path, this.#options.maxDownloadBytes);
    }
    if (target.kind === "fusion") {
      const fusionDir = this.#fusionDir();
      const path = await resolveExistingFile([fusionDir], join(fusionDir, target.name));
      return openSource(path, this.#options.maxDownloadBytes);
    }
    return undefined;
  }

  /** The bytes `target` names, counted against maxDownloadBytes; `source` is the opened local file. */
  async #open(target: Target, source: Source | undefined, control: TransferControl): Promise<ByteCounter> {
    const max = this.#options.maxDownloadBytes;
    const tooLarge = (limit: number): FileAgentError =>
      new FileAgentError("TOO_LARGE", `more than ${limit} bytes`);
    switch (target.kind) {
      case "http":
        return httpOpen(target.url, this.#options, control);
      case "data": {
        const bytes = decodeDataUrl(target.url, this.#options.maxDataUrlBytes);
        return relay(Readable.from([bytes]), new ByteCounter(max, tooLarge), control, (cause) =>
          fsError(cause, "data: URL"),
        );
      }
      case "file":
      case "fusion":
        return relay(readSource(source as Source), new ByteCounter(max, tooLarge), control, (cause) =>
          fsError(cause, "download source"),
        );
    }
  }

  async #send(
    target: UploadTarget,
    destination: string | undefined,
    body: ByteCounter,
    length: number,
    control: TransferControl,
  ): Promise<number> {
    try {
      if (target.kind === "http") return await httpUpload(body, length, target.url, this.#options, control);
      await writeAtomically(destination as string, (temporary) =>
        pipeline(body, createWriteStream(temporary, { flags: "wx" }), { signal: control.signal }),
      );
      return length;
    } catch (e) {
      // Without an error: nobody listens to the body once the upload has failed.
      body.destroy();
      throw e;
    }
  }

  async #uploadDestination(target: UploadTarget): Promise<string | undefined> {
    switch (target.kind) {
      case "http":
        return undefined;
      case "file":
        return resolveNewFile(this.#fileRoots(), target.path);
      case "fusion": {
        const fusionDir = this.#fusionDir();
        return resolveNewFile([fusionDir], join(fusionDir, target.name));
      }
    }
  }

  #fileRoots(): readonly string[] {
    if (this.#options.fileRoots.length === 0) {
      throw new FileAgentError("NOT_ALLOWED", "file: URLs are disabled (no fileRoots configured)");
    }
    return this.#options.fileRoots;
  }

  #fusionDir(): string {
    if (this.#options.fusionDir === undefined) {
      throw new FileAgentError("NOT_ALLOWED", "fusion: URLs are disabled (no fusionDir configured)");
    }
    return this.#options.fusionDir;
  }
}

function uploadTarget(url: string): UploadTarget {
  const target = parseTarget(url);
  if (target.kind === "data")
    throw new FileAgentError("UNSUPPORTED_SCHEME", "data: URLs cannot be uploaded to");
  return target;
}

function sourceFailed(cause: unknown): FileAgentError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new FileAgentError("IO", `the upload's source failed: ${detail}`, { cause });
}
