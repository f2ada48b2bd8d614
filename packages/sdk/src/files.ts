// Client-side encryption for data owners: plaintext is encrypted here, on the owner's machine, under a
// fresh key; only ciphertext goes to the file host, and the key goes to the attested platform alone. An
// output is fetched and checked against the tag the platform recorded before its plaintext is returned.
import { basename } from "node:path";
import {
  decryptBuffer,
  encryptBuffer,
  generateFileCrypto,
  schemaHasTag,
  type FileCrypto,
  type FileSchema,
} from "@mesatee/crypto";
import { Code } from "@connectrpc/connect";
import type { FrontendClient } from "./client.js";
import { MesateeError } from "./errors.js";

/** Largest file these helpers hold in memory; bigger files: `mesatee encrypt` and any upload tool. */
export const MAX_FILE_BYTES = 256 * 1024 ** 2;

export interface UploadInputOptions {
  readonly plaintext: Uint8Array | string;
  /** Where the ciphertext is PUT (e.g. a presigned S3 PUT URL). */
  readonly uploadUrl: string;
  /** The URL the platform reads it from, if not `uploadUrl` (e.g. a presigned S3 GET URL). */
  readonly url?: string;
  /** Default aes-gcm-128 (Teaclave's default). */
  readonly schema?: FileSchema;
}

export interface OwnedFile {
  readonly dataId: string;
  /** The URL the file was registered with. */
  readonly url: string;
  /** The file's key: keep it; it is what decrypts the file (outputs) or proves it (inputs). */
  readonly crypto: FileCrypto;
}

export interface DownloadOutputOptions extends OwnedFile {
  /** Where the ciphertext is fetched, if not the URL the output was registered with. */
  readonly downloadUrl?: string;
}

export class FileHelpers {
  constructor(private readonly frontend: () => FrontendClient) {}

  /** Encrypts `plaintext` under a fresh key, PUTs the ciphertext, registers it as an input. */
  async uploadInput(options: UploadInputOptions): Promise<OwnedFile & { readonly tag: Uint8Array }> {
    const schema = options.schema ?? "aes-gcm-128";
    if (!schemaHasTag(schema)) throw invalid(`${schema} inputs carry no tag to register`);
    const url = options.url ?? options.uploadUrl;
    const plaintext =
      typeof options.plaintext === "string" ? Buffer.from(options.plaintext) : options.plaintext;
    if (plaintext.length > MAX_FILE_BYTES)
      throw invalid(`inputs over ${MAX_FILE_BYTES} bytes need a file tool`);
    const crypto = generateFileCrypto(schema);
    const { ciphertext, tag } = await encryptBuffer(crypto, plaintext, { fileName: fileNameOf(url) });
    await transfer("PUT", options.uploadUrl, ciphertext);
    const { dataId } = await this.frontend().registerInputFile({ url, cmac: tag!, cryptoInfo: crypto });
    return { dataId, url, crypto, tag: tag! };
  }

  /** Registers an output at `url` under a fresh key that only this owner and the platform know. */
  async registerOutput(options: { readonly url: string; readonly schema?: FileSchema }): Promise<OwnedFile> {
    const schema = options.schema ?? "aes-gcm-128";
    if (!schemaHasTag(schema)) throw invalid(`${schema} outputs carry no tag to check`);
    const crypto = generateFileCrypto(schema);
    const { dataId } = await this.frontend().registerOutputFile({ url: options.url, cryptoInfo: crypto });
    return { dataId, url: options.url, crypto };
  }

  /**
   * Fetches an output's ciphertext and decrypts it, after checking it is exactly the file the platform
   * wrote (its tag, as recorded by the task). Fails if the task has not written it yet.
   */
  async downloadOutput(options: DownloadOutputOptions): Promise<Uint8Array> {
    const file = await this.frontend().getOutputFile({ dataId: options.dataId });
    if (file.cmac.length === 0)
      throw new MesateeError(
        "FAILED_PRECONDITION",
        Code.FailedPrecondition,
        `${options.dataId} has no result yet`,
      );
    const ciphertext = await transfer("GET", options.downloadUrl ?? options.url);
    const { plaintext } = await decryptBuffer(options.crypto, ciphertext, {
      expectedTag: file.cmac,
      fileName: fileNameOf(options.url),
    });
    return plaintext;
  }
}

function invalid(message: string): MesateeError {
  return new MesateeError("INVALID_ARGUMENT", Code.InvalidArgument, message);
}

/** teaclave-file-128 binds a file to its name: the last segment of its URL, as the platform sees it. */
function fileNameOf(url: string): string {
  return basename(decodeURIComponent(new URL(url).pathname)) || "file";
}

async function transfer(method: "GET" | "PUT", url: string, body?: Uint8Array): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      ...(body ? { body } : {}),
      redirect: method === "GET" ? "follow" : "error",
    });
  } catch (error) {
    throw new MesateeError(
      "UNAVAILABLE",
      Code.Unavailable,
      `${method} ${redact(url)} failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new MesateeError(
      "UNAVAILABLE",
      Code.Unavailable,
      `${method} ${redact(url)} answered ${response.status}`,
    );
  }
  if (method === "PUT") {
    await response.body?.cancel();
    return new Uint8Array();
  }
  return readBounded(response, url);
}

/** The body, refused as soon as it passes what a file of MAX_FILE_BYTES can encrypt to. */
async function readBounded(response: Response, url: string): Promise<Uint8Array> {
  const limit = MAX_FILE_BYTES + 1024 ** 2;
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new MesateeError(
        "LIMIT_EXCEEDED",
        Code.ResourceExhausted,
        `${redact(url)} is larger than ${limit} bytes`,
      );
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** A URL without its query (presigned URLs carry credentials there). */
function redact(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
