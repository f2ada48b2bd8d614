// The file agent moves ciphertext between URLs and local files for the execution worker
// (spec/teaclave-compat.md §4.3, §4.4). It never sees plaintext and trusts no URL: schemes, local paths,
// networks, sizes and time are all bounded here.
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { writeAtomically } from "./atomic-write.js";
import { TransferControl } from "./control.js";
import { decodeDataUrl } from "./data-url.js";
import { FileAgentError } from "./errors.js";
import { fsError } from "./fs-errors.js";
import { httpDownload, httpUpload } from "./http-transfer.js";
import { copyToNewFile, openSource, type Source } from "./local-copy.js";
import { resolveOptions, type FileAgentOptions, type ResolvedOptions } from "./options.js";
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
    try {
      control.throwIfFailed();
      // Resolved before anything is created, so a refused source leaves no trace at the destination.
      const source = await this.#openDownloadSource(target);
      try {
        const bytes = await writeAtomically(path, (temporary) =>
          this.#fetch(target, source, temporary, control),
        );
        return { bytes };
      } finally {
        await source?.handle.close().catch(() => undefined);
      }
    } catch (e) {
      throw control.explain(e, (cause) => fsError(cause, path));
    } finally {
      control.dispose();
    }
  }

  /**
   * Streams the file at `source` to `url` (PUT for http/https). The PUT carries only Content-Type:
   * application/octet-stream and Content-Length, follows no redirect and accepts any 2xx; a presigned URL
   * must therefore be signed for that content type or for none.
   */
  async upload(source: string, url: string, signal?: AbortSignal): Promise<TransferResult> {
    const target = parseTarget(url);
    const sourcePath = localPath(source, "source");
    if (target.kind === "data")
      throw new FileAgentError("UNSUPPORTED_SCHEME", "data: URLs cannot be uploaded to");
    const control = new TransferControl(this.#options.timeoutMs, signal);
    try {
      control.throwIfFailed();
      const destination = await this.#uploadDestination(target);
      const opened = await openSource(sourcePath, this.#options.maxUploadBytes);
      try {
        if (target.kind === "http")
          return { bytes: await httpUpload(opened, target.url, this.#options, control) };
        const bytes = await writeAtomically(destination as string, (temporary) =>
          copyToNewFile(opened, temporary, this.#options.maxUploadBytes, control.signal),
        );
        return { bytes };
      } finally {
        await opened.handle.close().catch(() => undefined);
      }
    } catch (e) {
      throw control.explain(e, (cause) => fsError(cause, sourcePath));
    } finally {
      control.dispose();
    }
  }

  async #openDownloadSource(target: Target): Promise<Source | undefined> {
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

  async #fetch(
    target: Target,
    source: Source | undefined,
    temporary: string,
    control: TransferControl,
  ): Promise<number> {
    switch (target.kind) {
      case "http":
        return httpDownload(target.url, temporary, this.#options, control);
      case "data": {
        const bytes = decodeDataUrl(target.url, this.#options.maxDataUrlBytes);
        await writeFile(temporary, bytes, { flag: "wx", signal: control.signal });
        return bytes.length;
      }
      case "file":
      case "fusion":
        return copyToNewFile(source as Source, temporary, this.#options.maxDownloadBytes, control.signal);
    }
  }

  async #uploadDestination(target: Exclude<Target, { kind: "data" }>): Promise<string | undefined> {
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
