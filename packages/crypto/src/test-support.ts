// Helpers for this package's tests (not exported from the package).
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import type { FileCrypto } from "./schema.js";
import { CryptoError, type CryptoErrorCode } from "./errors.js";

/** shared/fixtures/teaclave beside the repository (CI lays shared/ next to its clone). */
export const TEACLAVE_FIXTURES =
  process.env["MESATEE_SHARED_DIR"] !== undefined
    ? join(process.env["MESATEE_SHARED_DIR"], "fixtures", "teaclave")
    : fileURLToPath(new URL("../../../../shared/fixtures/teaclave/", import.meta.url));

export function fixture(path: string): string {
  return join(TEACLAVE_FIXTURES, path);
}

/** The key every Teaclave fixture uses: 16 zero bytes. */
export const ZERO_KEY_16 = new Uint8Array(16);

export function teaclaveFile(key: Uint8Array = ZERO_KEY_16): FileCrypto {
  return { schema: "teaclave-file-128", key, iv: new Uint8Array(0) };
}

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

/** Deterministic pseudo-random bytes (not for keys; for test plaintext). */
export function pattern(length: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

export async function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-crypto-test-"));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** An assert.rejects matcher for a CryptoError with `code`. */
export function cryptoError(code: CryptoErrorCode): (error: unknown) => boolean {
  return (error) => {
    if (!(error instanceof CryptoError))
      throw new Error(`expected CryptoError ${code}, got ${String(error)}`);
    if (error.code !== code)
      throw new Error(`expected CryptoError ${code}, got ${error.code}: ${error.message}`);
    return true;
  };
}

/** A Writable that records what it receives, and whether it ended or was destroyed. */
export class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  ended = false;
  failure: Error | undefined;

  constructor() {
    super();
    this.on("error", (error) => {
      this.failure = error;
    });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.ended = true;
    callback();
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
