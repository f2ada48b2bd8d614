// The one API the platform, sdk and cli use: encrypt/decrypt a file (streaming, any size) or a
// buffer (small data) in any FileSchema, with tags checked in constant time.
//
// Release rule for decryption: no byte of plaintext reaches the caller before it is authenticated.
// - A path output is written through a temporary sibling renamed into place only after the whole
//   file verified; on any failure it is removed.
// - A Writable output gets only authenticated bytes: teaclave-file-128 and mesatee-stream-v1 verify
//   node by node / chunk by chunk; whole-file AES-GCM is verified in a first pass and decrypted in a
//   second. If a later node or chunk fails (or the file changes between passes), the Writable is
//   destroyed with the error, so a consumer never mistakes a prefix for the file.
// - A Readable input (a download, say) is read once, front to back, so only the sequential schemas
//   take one (not teaclave-file-128). Its tag is known only at its end: whole-file AES-GCM, and any
//   schema with an expected tag, then decrypt only to a path or to a Writable whose caller discards it
//   on failure.
import { basename } from "node:path";
import { Readable, type Writable } from "node:stream";
import { decryptGcmFile, decryptGcmSequential, encryptGcmFile } from "./aes-gcm-file.js";
import { asBuffer } from "./bytes.js";
import { CryptoError, ioError } from "./errors.js";
import {
  AtomicFileSink,
  type ByteSink,
  type ByteSource,
  FileSource,
  MemorySink,
  MemorySource,
  NullSink,
  type PositionalSink,
  WritableSink,
  WriteQueue,
  readBlocks,
} from "./io.js";
import { DEFAULT_MAX_BUFFER_SIZE, DEFAULT_STREAM_CHUNK_SIZE, TAG_LENGTH } from "./limits.js";
import { encodeFileName, HEADER, NODE_SIZE } from "./pfs-layout.js";
import { checkPfsHeader, readProtectedFile } from "./pfs-reader.js";
import { writeProtectedFile } from "./pfs-writer.js";
import {
  type FileCrypto,
  type FileSchema,
  type RandomSource,
  defaultRandom,
  parseFileSchema,
  schemaHasTag,
  validateFileCrypto,
} from "./schema.js";
import {
  STREAM_HEADER_SIZE,
  checkChunkSize,
  decryptStream,
  decryptStreamSequential,
  encryptStream,
} from "./stream-format.js";

export interface Progress {
  /** Plaintext bytes processed so far (both passes count for two-pass AES-GCM decryption). */
  processedBytes: number;
  /** Total expected, when known. */
  totalBytes?: number | undefined;
}

export type ProgressListener = (progress: Progress) => void;

export interface CryptoResult {
  /** The file's 16-byte tag ("cmac"); null for raw files. */
  tag: Uint8Array | null;
  /** Plaintext size in bytes. */
  size: number;
}

export interface EncryptFileOptions {
  crypto: FileCrypto;
  input: string | Readable;
  /** A path (written atomically) or a Writable (ended when done, destroyed on failure). */
  output: string | Writable;
  /** teaclave-file-128: the name stored in (and bound to) the file; default basename(output). */
  fileName?: string | undefined;
  /** mesatee-stream-v1: plaintext bytes per chunk (default 1 MiB). */
  chunkSize?: number | undefined;
  random?: RandomSource | undefined;
  onProgress?: ProgressListener | undefined;
}

export interface DecryptFileOptions {
  crypto: FileCrypto;
  /** A path, or a Readable of the whole file (raw, aes-gcm-128/256 and mesatee-stream-v1 only). */
  input: string | Readable;
  output: string | Writable;
  /**
   * The caller discards everything written to a Writable output if decryption fails (for example, it
   * re-encrypts the stream into a file that is deleted on failure). Whole-file AES-GCM then decrypts in
   * one pass instead of verifying first: plaintext flows before the final tag check, and the failure
   * still arrives as the stream's error. Default false.
   */
  callerDiscardsOnFailure?: boolean | undefined;
  /** The registered tag; a different file tag fails with TAG_MISMATCH before any plaintext. */
  expectedTag?: Uint8Array | undefined;
  /**
   * teaclave-file-128: the name the file must be bound to. Default basename(input), as Teaclave;
   * null skips the check (only when the file is pinned by expectedTag some other way).
   */
  fileName?: string | null | undefined;
  /** mesatee-stream-v1: the largest chunk size accepted (default 16 MiB). */
  maxChunkSize?: number | undefined;
  /** End a Writable output after the last byte (default true). */
  endOutput?: boolean | undefined;
  onProgress?: ProgressListener | undefined;
}

export interface ComputeTagOptions {
  crypto: FileCrypto;
  input: string;
  fileName?: string | null | undefined;
  maxChunkSize?: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// Shared dispatch

interface EncryptRequest {
  crypto: FileCrypto;
  input: AsyncIterable<Uint8Array>;
  sink: PositionalSink;
  fileName: string | undefined;
  chunkSize: number | undefined;
  random: RandomSource;
  onBytes: (count: number) => void;
}

async function encryptWith(request: EncryptRequest): Promise<CryptoResult> {
  const { crypto, input, sink, onBytes } = request;
  switch (crypto.schema) {
    case "aes-gcm-128":
    case "aes-gcm-256":
      return encryptGcmFile({ key: crypto.key, iv: crypto.iv, input, sink, onBytes });
    case "teaclave-file-128": {
      if (request.fileName === undefined) {
        throw new CryptoError(
          "INVALID_ARGUMENT",
          "teaclave-file-128 needs the file name to bind the file to",
        );
      }
      const fileName = encodeFileName(request.fileName);
      return writeProtectedFile({
        userKey: crypto.key,
        fileName,
        input,
        sink,
        random: request.random,
        onBytes,
      });
    }
    case "mesatee-stream-v1":
      return encryptStream({
        key: crypto.key,
        iv: crypto.iv,
        input,
        sink,
        random: request.random,
        chunkSize: request.chunkSize,
        onBytes,
      });
    case "raw":
      return copyRaw(input, sink, onBytes);
  }
}

async function copyRaw(
  input: AsyncIterable<Uint8Array>,
  sink: ByteSink,
  onBytes: (n: number) => void,
): Promise<CryptoResult> {
  const queue = new WriteQueue(sink);
  let size = 0;
  for await (const block of input) {
    // Blocks may be views of reused buffers; the queue keeps them, so it gets copies.
    await queue.push(Buffer.from(block));
    size += block.byteLength;
    onBytes(block.byteLength);
  }
  await queue.flush();
  return { tag: null, size };
}

interface DecryptRequest {
  crypto: FileCrypto;
  source: ByteSource;
  sink: ByteSink;
  expectedTag: Uint8Array | undefined;
  /** teaclave-file-128 name binding; null skips it. */
  fileName: string | null;
  verifyFirst: boolean;
  maxChunkSize: number | undefined;
  onBytes: (count: number) => void;
}

function checkExpectedTag(schema: FileSchema, expectedTag: Uint8Array | undefined): void {
  if (expectedTag === undefined) return;
  if (!(expectedTag instanceof Uint8Array) || expectedTag.byteLength !== TAG_LENGTH) {
    throw new CryptoError("INVALID_ARGUMENT", `an expected tag must be ${TAG_LENGTH} bytes`);
  }
  if (!schemaHasTag(schema)) throw new CryptoError("INVALID_ARGUMENT", "raw files have no tag to check");
}

async function decryptWith(request: DecryptRequest): Promise<CryptoResult> {
  const { crypto, source, sink, expectedTag, onBytes } = request;
  switch (crypto.schema) {
    case "aes-gcm-128":
    case "aes-gcm-256":
      return decryptGcmFile({
        key: crypto.key,
        iv: crypto.iv,
        source,
        sink,
        expectedTag,
        verifyFirst: request.verifyFirst,
        onBytes,
      });
    case "teaclave-file-128":
      return readProtectedFile({
        userKey: crypto.key,
        source,
        expectedName: request.fileName === null ? null : encodeFileName(request.fileName),
        expectedTag,
        sink,
        onBytes,
      });
    case "mesatee-stream-v1":
      if (request.maxChunkSize !== undefined) checkChunkSize(request.maxChunkSize, Number.MAX_SAFE_INTEGER);
      return decryptStream({
        key: crypto.key,
        iv: crypto.iv,
        source,
        sink,
        expectedTag,
        maxChunkSize: request.maxChunkSize,
        onBytes,
      });
    case "raw":
      return copyRaw(readBlocks(source, 0, source.size), sink, onBytes);
  }
}

interface SequentialDecryptRequest {
  crypto: FileCrypto;
  input: AsyncIterable<Uint8Array>;
  sink: ByteSink;
  expectedTag: Uint8Array | undefined;
  maxChunkSize: number | undefined;
  onBytes: (count: number) => void;
}

/** Decrypts a file read front to back, for the schemas that allow it. */
async function decryptSequential(request: SequentialDecryptRequest): Promise<CryptoResult> {
  const { crypto, input, sink, expectedTag, onBytes } = request;
  switch (crypto.schema) {
    case "aes-gcm-128":
    case "aes-gcm-256":
      return decryptGcmSequential({ key: crypto.key, iv: crypto.iv, input, sink, expectedTag, onBytes });
    case "mesatee-stream-v1":
      if (request.maxChunkSize !== undefined) checkChunkSize(request.maxChunkSize, Number.MAX_SAFE_INTEGER);
      return decryptStreamSequential({
        key: crypto.key,
        iv: crypto.iv,
        input,
        sink,
        expectedTag,
        maxChunkSize: request.maxChunkSize,
        onBytes,
      });
    case "raw":
      return copyRaw(input, sink, onBytes);
    case "teaclave-file-128":
      throw needsRandomAccess();
  }
}

/** teaclave-file-128 reads its metadata node, then MHT nodes out of order: it cannot be streamed. */
function needsRandomAccess(): CryptoError {
  return new CryptoError(
    "INVALID_ARGUMENT",
    "teaclave-file-128 needs random access: decrypt it from a file path",
  );
}

function progressCounter(
  listener: ProgressListener | undefined,
  totalBytes: number | undefined,
): (n: number) => void {
  if (listener === undefined) return () => {};
  let processedBytes = 0;
  return (count) => {
    processedBytes += count;
    listener({ processedBytes, totalBytes });
  };
}

/** Accepts Buffer/Uint8Array chunks (and strings from a Readable with an encoding set). */
async function* byteChunks(stream: Readable): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream as AsyncIterable<unknown>) {
      if (chunk instanceof Uint8Array) yield chunk;
      else if (typeof chunk === "string") yield Buffer.from(chunk, "utf8");
      else throw new CryptoError("INVALID_ARGUMENT", "input stream must produce bytes");
    }
  } catch (error) {
    throw ioError("cannot read the input stream", error);
  }
}

// ---------------------------------------------------------------------------------------------
// File API

function checkInputPath(input: unknown): void {
  if (typeof input !== "string" || input.length === 0) {
    throw new CryptoError("INVALID_ARGUMENT", "input must be a file path");
  }
}

/** Accepts any stream with Writable's surface (http.ClientRequest is not a stream.Writable). */
function checkOutput(output: unknown): void {
  if (typeof output === "string") return;
  const candidate = output as Partial<Writable> | null;
  if (
    typeof candidate?.write !== "function" ||
    typeof candidate.on !== "function" ||
    typeof candidate.end !== "function"
  ) {
    throw new CryptoError("INVALID_ARGUMENT", "output must be a file path or a Writable");
  }
}

/** Adapts an append-only sink to the PositionalSink the encoders take; positional use is a bug. */
function sequentialOnly(sink: ByteSink): PositionalSink {
  const refuse = (): Promise<never> =>
    Promise.reject(new CryptoError("INVALID_ARGUMENT", "this output cannot be written out of order"));
  return { write: (chunks) => sink.write(chunks), writeAt: refuse, readAt: refuse };
}

/** Encrypts a file or stream into a path (written atomically) or a Writable; returns the tag. */
export async function encryptFile(options: EncryptFileOptions): Promise<CryptoResult> {
  const crypto = validateFileCrypto(options.crypto);
  if (options.chunkSize !== undefined) checkChunkSize(options.chunkSize);
  const output = options.output;
  let fileName: string | undefined;
  if (crypto.schema === "teaclave-file-128") {
    // Its MHT nodes are sealed last, at earlier offsets, so it needs a seekable file.
    if (typeof output !== "string") {
      throw new CryptoError("INVALID_ARGUMENT", "teaclave-file-128 can only be written to a file path");
    }
    fileName = options.fileName ?? basename(output);
    encodeFileName(fileName);
  }
  if (typeof options.input !== "string" && !(options.input instanceof Readable)) {
    throw new CryptoError("INVALID_ARGUMENT", "input must be a file path or a Readable");
  }
  checkOutput(output);

  // Listen at once: a stream that fails while the output is being opened must not crash the
  // process with an unhandled 'error'; iterating it below rethrows the failure.
  const stream = typeof options.input === "string" ? undefined : options.input;
  const swallow = (): void => {};
  stream?.on("error", swallow);
  const streamSink = typeof output === "string" ? undefined : new WritableSink(output);
  let source: FileSource | undefined;
  let fileSink: AtomicFileSink | undefined;
  try {
    if (typeof options.input === "string") source = await FileSource.open(options.input);
    if (typeof output === "string") fileSink = await AtomicFileSink.create(output);
    const input =
      source !== undefined ? readBlocks(source, 0, source.size) : byteChunks(options.input as Readable);
    const result = await encryptWith({
      crypto,
      input,
      sink: fileSink ?? sequentialOnly(streamSink!),
      fileName,
      chunkSize: options.chunkSize,
      random: options.random ?? defaultRandom,
      onBytes: progressCounter(options.onProgress, source?.size),
    });
    await fileSink?.commit();
    if (streamSink !== undefined) await streamSink.end();
    return result;
  } catch (error) {
    const failure = ioError("encryption failed", error);
    await fileSink?.abort();
    stream?.destroy();
    streamSink?.destroy(failure);
    throw failure;
  } finally {
    stream?.off("error", swallow);
    streamSink?.release();
    await source?.close();
  }
}

/** Decrypts `input` into a path (atomically) or a Writable, verifying as described above. */
export async function decryptFile(options: DecryptFileOptions): Promise<CryptoResult> {
  const crypto = validateFileCrypto(options.crypto);
  checkExpectedTag(crypto.schema, options.expectedTag);
  const stream = options.input instanceof Readable ? options.input : undefined;
  if (stream === undefined) checkInputPath(options.input);
  const fileName =
    options.fileName === undefined && typeof options.input === "string"
      ? basename(options.input)
      : (options.fileName ?? null);
  if (crypto.schema === "teaclave-file-128" && fileName !== null) encodeFileName(fileName);
  const toPath = typeof options.output === "string";
  checkOutput(options.output);
  const gcm = crypto.schema === "aes-gcm-128" || crypto.schema === "aes-gcm-256";
  if (stream !== undefined) {
    if (crypto.schema === "teaclave-file-128") throw needsRandomAccess();
    // Read once, a stream cannot be verified before it is decrypted (see the release rule above).
    if (!toPath && options.callerDiscardsOnFailure !== true && (gcm || options.expectedTag !== undefined)) {
      throw new CryptoError(
        "INVALID_ARGUMENT",
        "a Readable input with a tag checked at its end decrypts only to a path, or with callerDiscardsOnFailure",
      );
    }
  }

  // A Writable (and a Readable input) gets its error listener before the first await (see WritableSink).
  const swallow = (): void => {};
  stream?.on("error", swallow);
  const streamSink = typeof options.output === "string" ? undefined : new WritableSink(options.output);
  let fileSink: AtomicFileSink | undefined;
  let source: FileSource | undefined;
  let written = false;
  try {
    if (stream === undefined) source = await FileSource.open(options.input as string);
    let sink: ByteSink;
    if (typeof options.output === "string") {
      fileSink = await AtomicFileSink.create(options.output);
      sink = fileSink;
    } else {
      sink = {
        write: (chunks) => {
          written = true;
          return streamSink!.write(chunks);
        },
      };
    }
    let result: CryptoResult;
    if (source === undefined) {
      result = await decryptSequential({
        crypto,
        input: byteChunks(stream!),
        sink,
        expectedTag: options.expectedTag,
        maxChunkSize: options.maxChunkSize,
        onBytes: progressCounter(options.onProgress, undefined),
      });
    } else {
      const verifyFirst = !toPath && options.callerDiscardsOnFailure !== true && gcm;
      const total = gcm ? Math.max(0, source.size - TAG_LENGTH) : undefined;
      result = await decryptWith({
        crypto,
        source,
        sink,
        expectedTag: options.expectedTag,
        fileName,
        verifyFirst,
        maxChunkSize: options.maxChunkSize,
        onBytes: progressCounter(
          options.onProgress,
          total === undefined ? undefined : verifyFirst ? 2 * total : total,
        ),
      });
    }
    if (fileSink !== undefined) await fileSink.commit();
    if (streamSink !== undefined && options.endOutput !== false) await streamSink.end();
    return result;
  } catch (error) {
    const failure = ioError("decryption failed", error);
    await fileSink?.abort();
    stream?.destroy();
    if (streamSink !== undefined && written) streamSink.destroy(failure);
    throw failure;
  } finally {
    stream?.off("error", swallow);
    streamSink?.release();
    await source?.close();
  }
}

/** Authenticates a whole file under `crypto` and returns its tag (null for raw). */
export async function computeTag(options: ComputeTagOptions): Promise<Uint8Array | null> {
  const crypto = validateFileCrypto(options.crypto);
  checkInputPath(options.input);
  const fileName = options.fileName === undefined ? basename(options.input) : options.fileName;
  if (crypto.schema === "teaclave-file-128" && fileName !== null) encodeFileName(fileName);
  const source = await FileSource.open(options.input);
  try {
    const result = await decryptWith({
      crypto,
      source,
      sink: new NullSink(),
      expectedTag: undefined,
      fileName,
      verifyFirst: false,
      maxChunkSize: options.maxChunkSize,
      onBytes: () => {},
    });
    return result.tag;
  } finally {
    await source.close();
  }
}

/**
 * Reads the tag a file claims, without a key and without verifying it: for display and quick
 * pre-checks only. decryptFile / computeTag authenticate it.
 */
export async function readTag(schema: FileSchema, input: string): Promise<Uint8Array | null> {
  const checked = parseFileSchema(schema);
  if (!schemaHasTag(checked)) return null;
  const source = await FileSource.open(input);
  try {
    if (checked === "teaclave-file-128") {
      if (source.size < NODE_SIZE) throw new CryptoError("TRUNCATED", "file is shorter than one node");
      return new Uint8Array(checkPfsHeader(await source.read(0, HEADER.size)));
    }
    const minimum = checked === "mesatee-stream-v1" ? STREAM_HEADER_SIZE + TAG_LENGTH : TAG_LENGTH;
    if (source.size < minimum) throw new CryptoError("TRUNCATED", "file is too short to carry a tag");
    return new Uint8Array(await source.read(source.size - TAG_LENGTH, TAG_LENGTH));
  } finally {
    await source.close();
  }
}

/**
 * The exact size of the file encryptFile writes for `plaintextSize` bytes, known before encrypting
 * (an upload announces it as Content-Length). teaclave-file-128 is written to a path, not streamed,
 * and has no such formula here.
 */
export function ciphertextSize(
  schema: FileSchema,
  plaintextSize: number,
  options: { chunkSize?: number | undefined } = {},
): number {
  const checked = parseFileSchema(schema);
  if (!Number.isSafeInteger(plaintextSize) || plaintextSize < 0)
    throw new CryptoError("INVALID_ARGUMENT", "a plaintext size must be a non-negative integer");
  switch (checked) {
    case "raw":
      return plaintextSize;
    case "aes-gcm-128":
    case "aes-gcm-256":
      return plaintextSize + TAG_LENGTH;
    case "mesatee-stream-v1": {
      const chunkSize = options.chunkSize ?? DEFAULT_STREAM_CHUNK_SIZE;
      checkChunkSize(chunkSize);
      // Every full chunk, then a final chunk shorter than chunk_size (possibly empty), each with a tag.
      return STREAM_HEADER_SIZE + plaintextSize + (Math.floor(plaintextSize / chunkSize) + 1) * TAG_LENGTH;
    }
    case "teaclave-file-128":
      throw new CryptoError("INVALID_ARGUMENT", "teaclave-file-128 files are not streamed");
  }
}

/**
 * The plaintext size a file of a sequential schema claims, from its size (and, for mesatee-stream-v1,
 * its header's chunk size), without a key and without verifying it; decryptFile authenticates it.
 */
export async function readPlaintextSize(schema: FileSchema, input: string): Promise<number> {
  const checked = parseFileSchema(schema);
  checkInputPath(input);
  const source = await FileSource.open(input);
  try {
    switch (checked) {
      case "raw":
        return source.size;
      case "aes-gcm-128":
      case "aes-gcm-256":
        if (source.size < TAG_LENGTH) throw new CryptoError("TRUNCATED", "file is too short to carry a tag");
        return source.size - TAG_LENGTH;
      case "mesatee-stream-v1": {
        if (source.size < STREAM_HEADER_SIZE + TAG_LENGTH)
          throw new CryptoError("TRUNCATED", "mesatee-stream-v1 file has no final chunk");
        const chunkSize = asBuffer(await source.read(12, 4)).readUInt32LE(0);
        checkChunkSize(chunkSize, Number.MAX_SAFE_INTEGER);
        const body = source.size - STREAM_HEADER_SIZE - TAG_LENGTH;
        const full = Math.floor(body / (chunkSize + TAG_LENGTH));
        return body - full * TAG_LENGTH;
      }
      case "teaclave-file-128":
        throw new CryptoError("INVALID_ARGUMENT", "teaclave-file-128 sizes are known only with the key");
    }
  } finally {
    await source.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Buffer API

export interface EncryptBufferOptions {
  /** teaclave-file-128: the name to bind the file to (required for that schema). */
  fileName?: string | undefined;
  chunkSize?: number | undefined;
  random?: RandomSource | undefined;
  maxSize?: number | undefined;
}

export interface DecryptBufferOptions {
  expectedTag?: Uint8Array | undefined;
  /** teaclave-file-128: the bound name to check, or null to skip (required for that schema). */
  fileName?: string | null | undefined;
  maxChunkSize?: number | undefined;
  maxSize?: number | undefined;
}

function checkBufferSize(bytes: Uint8Array, maxSize: number): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoError("INVALID_ARGUMENT", "data must be bytes");
  if (bytes.byteLength > maxSize) {
    throw new CryptoError(
      "LIMIT_EXCEEDED",
      `buffer of ${bytes.byteLength} bytes exceeds the ${maxSize}-byte limit; use the file API`,
    );
  }
}

/** Encrypts small data in memory. */
export async function encryptBuffer(
  crypto: FileCrypto,
  plaintext: Uint8Array,
  options: EncryptBufferOptions = {},
): Promise<{ ciphertext: Uint8Array; tag: Uint8Array | null }> {
  const checked = validateFileCrypto(crypto);
  const maxSize = options.maxSize ?? DEFAULT_MAX_BUFFER_SIZE;
  checkBufferSize(plaintext, maxSize);
  if (options.chunkSize !== undefined) checkChunkSize(options.chunkSize);
  // Largest overhead of any format: a 16-byte tag per 1 KiB chunk, or two extra 4 KiB nodes.
  const sink = new MemorySink(
    Number.MAX_SAFE_INTEGER,
    plaintext.byteLength + Math.ceil(plaintext.byteLength / 64) + 3 * NODE_SIZE,
  );
  const result = await encryptWith({
    crypto: checked,
    input: (async function* () {
      yield plaintext;
    })(),
    sink,
    fileName: options.fileName,
    chunkSize: options.chunkSize,
    random: options.random ?? defaultRandom,
    onBytes: () => {},
  });
  return { ciphertext: sink.bytes(), tag: result.tag };
}

/** Decrypts small data in memory; nothing is returned unless it all verified. */
export async function decryptBuffer(
  crypto: FileCrypto,
  ciphertext: Uint8Array,
  options: DecryptBufferOptions = {},
): Promise<{ plaintext: Uint8Array; tag: Uint8Array | null }> {
  const checked = validateFileCrypto(crypto);
  const maxSize = options.maxSize ?? DEFAULT_MAX_BUFFER_SIZE;
  // Ciphertext may exceed the plaintext limit by the format's overhead: at most 1/64 (a tag per
  // 1 KiB stream chunk) plus two nodes (teaclave-file-128 metadata and a partial last node).
  checkBufferSize(ciphertext, maxSize + Math.ceil(maxSize / 64) + 2 * NODE_SIZE);
  checkExpectedTag(checked.schema, options.expectedTag);
  if (checked.schema === "teaclave-file-128" && options.fileName === undefined) {
    throw new CryptoError(
      "INVALID_ARGUMENT",
      "teaclave-file-128 needs the file name to check (or null to skip)",
    );
  }
  const fileName = options.fileName ?? null;
  const sink = new MemorySink(maxSize, ciphertext.byteLength);
  const result = await decryptWith({
    crypto: checked,
    source: new MemorySource(ciphertext),
    sink,
    expectedTag: options.expectedTag,
    fileName,
    verifyFirst: false,
    maxChunkSize: options.maxChunkSize,
    onBytes: () => {},
  });
  return { plaintext: sink.bytes(), tag: result.tag };
}
