// Where bytes come from and go to. The formats read from a ByteSource (random access, known size:
// a local file or memory) or an async iterable, and write to a ByteSink. Reads are prefetched and
// writes are coalesced with one write in flight, so I/O overlaps with the cipher.
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { randomBytes } from "node:crypto";
import type { Readable, Writable } from "node:stream";
import { CryptoError, ioError } from "./errors.js";
import { IO_BLOCK } from "./limits.js";

export interface ByteSource {
  readonly size: number;
  /** Reads exactly `length` bytes at `position` into bytes the caller may keep. */
  read(position: number, length: number): Promise<Uint8Array>;
}

export interface ByteSink {
  /** Appends `chunks` in order. The sink owns them afterwards: callers must not reuse them. */
  write(chunks: readonly Uint8Array[]): Promise<void>;
}

/** A sink that can also be written and read back at any position (teaclave-file-128 writer). */
export interface PositionalSink extends ByteSink {
  writeAt(data: Uint8Array, position: number): Promise<void>;
  readAt(position: number, length: number): Promise<Uint8Array>;
}

const noop = (): void => {};

// ---------------------------------------------------------------------------------------------
// Sources

export class MemorySource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.byteLength;
  }
  read(position: number, length: number): Promise<Uint8Array> {
    if (position + length > this.bytes.byteLength) {
      return Promise.reject(new CryptoError("TRUNCATED", "read past the end of the data"));
    }
    return Promise.resolve(this.bytes.subarray(position, position + length));
  }
}

export class FileSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly path: string,
  ) {}

  static async open(path: string): Promise<FileSource> {
    let handle: FileHandle | undefined;
    try {
      handle = await open(path, "r");
      const stat = await handle.stat();
      if (!stat.isFile()) throw new CryptoError("IO_ERROR", `${path} is not a regular file`);
      return new FileSource(handle, stat.size, path);
    } catch (error) {
      await handle?.close().catch(noop);
      throw ioError(`cannot open ${path}`, error);
    }
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    try {
      while (filled < length) {
        const { bytesRead } = await this.handle.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
    } catch (error) {
      throw ioError(`cannot read ${this.path}`, error);
    }
    if (filled < length) throw new CryptoError("TRUNCATED", `${this.path} shrank while it was being read`);
    return buffer;
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/**
 * Yields [start, end) of `source` in blocks of `blockSize` (the last may be shorter), reading the
 * next block while the caller works on the current one.
 */
export async function* readBlocks(
  source: ByteSource,
  start: number,
  end: number,
  blockSize: number = IO_BLOCK,
): AsyncGenerator<Uint8Array> {
  let position = start;
  const fetch = (): Promise<Uint8Array> | undefined => {
    if (position >= end) return undefined;
    const length = Math.min(blockSize, end - position);
    const promise = source.read(position, length);
    position += length;
    promise.catch(noop); // awaited below; this only stops an early exit leaving it unhandled
    return promise;
  };
  let next = fetch();
  try {
    while (next !== undefined) {
      const current = await next;
      next = fetch();
      yield current;
    }
  } finally {
    // Settle an in-flight read before the caller closes the file under it.
    if (next !== undefined) await next.catch(noop);
  }
}

/** Plaintext input of an encryption: a file path, a Readable, or bytes. */
export type PlaintextInput = string | Readable | Uint8Array;

// ---------------------------------------------------------------------------------------------
// Sinks

/** Coalesces small chunks into large writes and keeps one write in flight. */
export class WriteQueue {
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private pending: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  constructor(
    private readonly sink: ByteSink,
    private readonly threshold: number = IO_BLOCK,
  ) {}

  /** Queues `chunk` (owned by the queue from now on). */
  async push(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    if (this.bytes >= this.threshold) await this.startWrite();
  }

  /** Writes everything queued and waits for it. */
  async flush(): Promise<void> {
    await this.startWrite();
    await this.pending;
    this.check();
  }

  private async startWrite(): Promise<void> {
    await this.pending;
    this.check();
    if (this.chunks.length === 0) return;
    const chunks = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    this.pending = this.sink.write(chunks).catch((error: unknown) => {
      this.failure = { error };
    });
  }

  private check(): void {
    if (this.failure !== undefined) throw ioError("write failed", this.failure.error);
  }
}

export class NullSink implements ByteSink {
  write(): Promise<void> {
    return Promise.resolve();
  }
}

/** Grows as needed; used by the buffer helpers. */
export class MemorySink implements PositionalSink {
  private buffer: Uint8Array;
  private length = 0;

  /** `expectedSize` pre-sizes the buffer so a known-size result is not copied while growing. */
  constructor(
    private readonly limit: number = Number.MAX_SAFE_INTEGER,
    expectedSize = 64 * 1024,
  ) {
    this.buffer = new Uint8Array(Math.min(limit, Math.max(expectedSize, 1024)));
  }

  private reserve(end: number): void {
    if (end > this.limit)
      throw new CryptoError("LIMIT_EXCEEDED", `output exceeds the ${this.limit}-byte limit`);
    if (end <= this.buffer.byteLength) return;
    let capacity = this.buffer.byteLength;
    while (capacity < end) capacity *= 2;
    const grown = new Uint8Array(Math.min(capacity, Math.max(end, this.limit)));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  write(chunks: readonly Uint8Array[]): Promise<void> {
    try {
      for (const chunk of chunks) {
        this.reserve(this.length + chunk.byteLength);
        this.buffer.set(chunk, this.length);
        this.length += chunk.byteLength;
      }
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  writeAt(data: Uint8Array, position: number): Promise<void> {
    try {
      this.reserve(position + data.byteLength);
      this.buffer.set(data, position);
      this.length = Math.max(this.length, position + data.byteLength);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  readAt(position: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.buffer.slice(position, position + length));
  }

  /** The bytes written so far (a view; copy it if the sink is written again). */
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

/**
 * Writes a file through a temporary sibling that replaces the destination only on commit(), so
 * the destination never holds a partial or unverified result. abort() removes the temporary.
 */
export class AtomicFileSink implements PositionalSink {
  private position = 0;
  private closed = false;

  private constructor(
    private readonly handle: FileHandle,
    private readonly temporary: string,
    private readonly destination: string,
  ) {}

  static async create(destination: string): Promise<AtomicFileSink> {
    const temporary = join(
      dirname(destination),
      `.${basename(destination)}.${randomBytes(6).toString("hex")}.partial`,
    );
    try {
      // 0o600: the temporary may hold plaintext while a decryption is in progress.
      const handle = await open(temporary, "wx+", 0o600);
      return new AtomicFileSink(handle, temporary, destination);
    } catch (error) {
      throw ioError(`cannot create ${destination}`, error);
    }
  }

  async write(chunks: readonly Uint8Array[]): Promise<void> {
    const position = this.position;
    this.position += chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    await this.writeAll(chunks, position);
  }

  async writeAt(data: Uint8Array, position: number): Promise<void> {
    await this.writeAll([data], position);
  }

  async readAt(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, position);
    if (bytesRead !== length) throw new CryptoError("IO_ERROR", `short read from ${this.temporary}`);
    return buffer;
  }

  private async writeAll(chunks: readonly Uint8Array[], position: number): Promise<void> {
    try {
      let rest: Uint8Array[] = chunks.filter((chunk) => chunk.byteLength > 0);
      while (rest.length > 0) {
        const { bytesWritten } = await this.handle.writev(rest, position);
        position += bytesWritten;
        rest = dropBytes(rest, bytesWritten);
      }
    } catch (error) {
      throw ioError(`cannot write ${this.destination}`, error);
    }
  }

  async commit(): Promise<void> {
    this.closed = true;
    try {
      await this.handle.close();
      await rename(this.temporary, this.destination);
    } catch (error) {
      await unlink(this.temporary).catch(noop);
      throw ioError(`cannot write ${this.destination}`, error);
    }
  }

  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(noop);
    await unlink(this.temporary).catch(noop);
  }
}

/** Drops the first `count` bytes of a list of chunks (after a short writev). */
function dropBytes(chunks: Uint8Array[], count: number): Uint8Array[] {
  let index = 0;
  while (index < chunks.length && count >= chunks[index]!.byteLength) {
    count -= chunks[index]!.byteLength;
    index++;
  }
  const rest = chunks.slice(index);
  if (count > 0 && rest.length > 0) rest[0] = rest[0]!.subarray(count);
  return rest;
}

/** Writes to a Node Writable with backpressure; end() ends it and waits until it has flushed. */
export class WritableSink implements ByteSink {
  private failure: { error: unknown } | undefined;
  private readonly onError = (error: unknown): void => {
    this.failure ??= { error };
  };

  constructor(private readonly stream: Writable) {
    // Without a listener an 'error' event would crash the process instead of failing the call.
    stream.on("error", this.onError);
  }

  async write(chunks: readonly Uint8Array[]): Promise<void> {
    for (const chunk of chunks) {
      this.check();
      if (!this.stream.write(chunk)) await this.waitFor("drain");
    }
    this.check();
  }

  async end(): Promise<void> {
    this.check();
    const finished = this.waitFor("finish");
    this.stream.end();
    await finished;
  }

  release(): void {
    this.stream.off("error", this.onError);
  }

  /** Fails the stream so a consumer does not mistake a partial result for a complete one. */
  destroy(error: Error): void {
    if (!this.stream.destroyed) this.stream.destroy(error);
  }

  private check(): void {
    if (this.failure !== undefined) throw ioError("output stream failed", this.failure.error);
    if (this.stream.destroyed) throw new CryptoError("IO_ERROR", "output stream was closed");
  }

  private waitFor(event: "drain" | "finish"): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (): void => {
        cleanup();
        resolve();
      };
      const failed = (error: unknown): void => {
        cleanup();
        reject(ioError("output stream failed", error));
      };
      const closed = (): void => {
        cleanup();
        reject(new CryptoError("IO_ERROR", "output stream was closed"));
      };
      const cleanup = (): void => {
        this.stream.off(event, done);
        this.stream.off("error", failed);
        this.stream.off("close", closed);
      };
      this.stream.once(event, done);
      this.stream.once("error", failed);
      this.stream.once("close", closed);
    });
  }
}

/**
 * Reads a sequence of byte chunks (a Readable's, say) in pieces of the caller's choosing, for formats
 * decrypted front to back without random access. Holds at most one incoming chunk and one piece.
 */
export class ChunkReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Uint8Array = new Uint8Array();
  private ended = false;

  constructor(input: AsyncIterable<Uint8Array>) {
    this.iterator = input[Symbol.asyncIterator]();
  }

  /** The next `length` bytes, or fewer only where the input ends. */
  async read(length: number): Promise<Uint8Array> {
    if (this.pending.byteLength >= length) return this.take(length);
    const piece = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      if (this.pending.byteLength === 0 && !(await this.fill())) break;
      const part = this.take(Math.min(length - filled, this.pending.byteLength));
      piece.set(part, filled);
      filled += part.byteLength;
    }
    return piece.subarray(0, filled);
  }

  /** Whether the input has no bytes left. */
  async atEnd(): Promise<boolean> {
    return this.pending.byteLength === 0 && !(await this.fill());
  }

  /** Stops reading early: the input is told it will not be read any further. */
  async close(): Promise<void> {
    if (!this.ended) await this.iterator.return?.();
    this.ended = true;
  }

  private take(length: number): Uint8Array {
    const part = this.pending.subarray(0, length);
    this.pending = this.pending.subarray(length);
    return part;
  }

  private async fill(): Promise<boolean> {
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.ended = true;
        break;
      }
      if (next.value.byteLength > 0) {
        this.pending = next.value;
        return true;
      }
    }
    return false;
  }
}
