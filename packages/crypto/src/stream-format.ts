// mesatee-stream-v1: MesaTEE's streaming authenticated format for large files (docs/file-formats.md).
//
//   header (64 B) ‖ chunk 0 ‖ chunk 1 ‖ … ‖ final chunk
//   header = magic "MTEESTRM" ‖ version u8 = 1 ‖ algorithm u8 (1 AES-128-GCM, 2 AES-256-GCM)
//            ‖ reserved u16 = 0 ‖ chunk_size u32 LE ‖ salt[32] ‖ key_check[16]
//   chunk i = AES-GCM(file_key, nonce_i, AAD = final_i ‖ tag_{i-1}, plaintext_i) ‖ tag_i
//
// file_key ‖ nonce_base ‖ key_check = HKDF-SHA256(user key, salt, "mesatee-stream-v1" 0x00 ‖
// header[0..48] ‖ iv): a fresh random salt per file gives every file its own key, so one user key
// and IV can encrypt any number of files. nonce_i = nonce_base xor (0^32 ‖ u64be(i)). Every chunk
// but the last holds exactly chunk_size bytes; the last holds fewer (possibly none), carries
// final = 1 in its AAD, and its tag is the file's tag. Each AAD chains the previous chunk's tag,
// so the final tag commits to every chunk; truncation, reordering, chunk swapping between files
// and appending all fail authentication.
import { createCipheriv, createDecipheriv, hkdfSync } from "node:crypto";
import { asBuffer, constantTimeEqual } from "./bytes.js";
import { CryptoError } from "./errors.js";
import { type ByteSink, type ByteSource, ChunkReader, WriteQueue, readBlocks } from "./io.js";
import {
  CIPHER_SLICE,
  DEFAULT_STREAM_CHUNK_SIZE,
  MAX_STREAM_CHUNKS,
  MAX_STREAM_CHUNK_SIZE,
  MIN_STREAM_CHUNK_SIZE,
  TAG_LENGTH,
} from "./limits.js";
import type { RandomSource } from "./schema.js";

export const STREAM_MAGIC = Buffer.from("MTEESTRM", "latin1");
export const STREAM_VERSION = 1;
export const STREAM_HEADER_SIZE = 64;
const SALT_OFFSET = 16;
const SALT_LENGTH = 32;
const KEY_CHECK_OFFSET = 48;
const INFO_LABEL = Buffer.from("mesatee-stream-v1\0", "latin1");

type Algorithm = "aes-128-gcm" | "aes-256-gcm";
const ALGORITHMS: Record<number, { name: Algorithm; keyLength: number }> = {
  1: { name: "aes-128-gcm", keyLength: 16 },
  2: { name: "aes-256-gcm", keyLength: 32 },
};

interface FileKeys {
  algorithm: Algorithm;
  key: Buffer;
  nonceBase: Buffer;
  keyCheck: Buffer;
}

function deriveKeys(userKey: Uint8Array, iv: Uint8Array, header: Uint8Array, algorithm: Algorithm): FileKeys {
  const keyLength = userKey.byteLength;
  const info = Buffer.concat([INFO_LABEL, header.subarray(0, KEY_CHECK_OFFSET), iv]);
  const salt = header.subarray(SALT_OFFSET, SALT_OFFSET + SALT_LENGTH);
  const okm = Buffer.from(hkdfSync("sha256", userKey, salt, info, keyLength + 12 + 16));
  return {
    algorithm,
    key: okm.subarray(0, keyLength),
    nonceBase: okm.subarray(keyLength, keyLength + 12),
    keyCheck: okm.subarray(keyLength + 12),
  };
}

function nonce(keys: FileKeys, index: number): Buffer {
  const value = Buffer.from(keys.nonceBase);
  const low = value.readUInt32BE(8) ^ (index % 2 ** 32);
  const high = value.readUInt32BE(4) ^ Math.floor(index / 2 ** 32);
  value.writeUInt32BE(low >>> 0, 8);
  value.writeUInt32BE(high >>> 0, 4);
  return value;
}

function aad(final: boolean, previousTag: Uint8Array): Buffer {
  const bytes = Buffer.alloc(1 + TAG_LENGTH);
  bytes[0] = final ? 1 : 0;
  bytes.set(previousTag, 1);
  return bytes;
}

export function checkChunkSize(chunkSize: number, max: number = MAX_STREAM_CHUNK_SIZE): void {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < MIN_STREAM_CHUNK_SIZE || chunkSize > max) {
    throw new CryptoError(
      "INVALID_ARGUMENT",
      `mesatee-stream-v1 chunk size must be an integer from ${MIN_STREAM_CHUNK_SIZE} to ${max} bytes`,
    );
  }
}

export interface StreamEncryptOptions {
  key: Uint8Array;
  iv: Uint8Array;
  input: AsyncIterable<Uint8Array>;
  sink: ByteSink;
  random: RandomSource;
  chunkSize?: number | undefined;
  onBytes?: (count: number) => void;
}

export async function encryptStream(
  options: StreamEncryptOptions,
): Promise<{ tag: Uint8Array; size: number }> {
  const chunkSize = options.chunkSize ?? DEFAULT_STREAM_CHUNK_SIZE;
  checkChunkSize(chunkSize);
  const algorithmId = options.key.byteLength === 32 ? 2 : 1;
  const header = Buffer.alloc(STREAM_HEADER_SIZE);
  STREAM_MAGIC.copy(header, 0);
  header.writeUInt8(STREAM_VERSION, 8);
  header.writeUInt8(algorithmId, 9);
  header.writeUInt32LE(chunkSize, 12);
  header.set(options.random(SALT_LENGTH), SALT_OFFSET);
  const keys = deriveKeys(options.key, options.iv, header, ALGORITHMS[algorithmId]!.name);
  keys.keyCheck.copy(header, KEY_CHECK_OFFSET);

  const queue = new WriteQueue(options.sink);
  await queue.push(header);
  let index = 0;
  let previousTag: Uint8Array = new Uint8Array(TAG_LENGTH);
  const seal = async (plaintext: Uint8Array, final: boolean): Promise<void> => {
    if (index >= MAX_STREAM_CHUNKS) throw new CryptoError("LIMIT_EXCEEDED", "file has too many chunks");
    const cipher = createCipheriv(keys.algorithm, keys.key, nonce(keys, index), {
      authTagLength: TAG_LENGTH,
    });
    cipher.setAAD(aad(final, previousTag));
    for (let offset = 0; offset < plaintext.byteLength; offset += CIPHER_SLICE) {
      await queue.push(cipher.update(plaintext.subarray(offset, offset + CIPHER_SLICE)));
    }
    await queue.push(cipher.final());
    previousTag = cipher.getAuthTag();
    await queue.push(previousTag);
    index++;
  };

  const chunk = Buffer.alloc(chunkSize);
  let fill = 0;
  let size = 0;
  for await (const block of options.input) {
    size += block.byteLength;
    let offset = 0;
    while (offset < block.byteLength) {
      // A full chunk is never the final one (the final chunk is shorter), so it is sealed at once.
      if (fill === 0 && block.byteLength - offset >= chunkSize) {
        await seal(block.subarray(offset, offset + chunkSize), false);
        offset += chunkSize;
        continue;
      }
      const take = Math.min(chunkSize - fill, block.byteLength - offset);
      chunk.set(block.subarray(offset, offset + take), fill);
      fill += take;
      offset += take;
      if (fill === chunkSize) {
        await seal(chunk, false);
        fill = 0;
      }
    }
    options.onBytes?.(block.byteLength);
  }
  await seal(chunk.subarray(0, fill), true);
  chunk.fill(0);
  keys.key.fill(0);
  await queue.flush();
  return { tag: new Uint8Array(previousTag), size };
}

export interface StreamDecryptOptions {
  key: Uint8Array;
  iv: Uint8Array;
  source: ByteSource;
  sink: ByteSink;
  expectedTag?: Uint8Array | undefined;
  /** Largest chunk size a file may declare (bounds reader memory). */
  maxChunkSize?: number | undefined;
  onBytes?: (count: number) => void;
}

interface Layout {
  chunkSize: number;
  keys: FileKeys;
  /** Number of chunks, the final one included. */
  chunks: number;
  finalLength: number;
}

interface HeaderOptions {
  key: Uint8Array;
  iv: Uint8Array;
  maxChunkSize?: number | undefined;
}

/** Checks a header (`prefix`: the file's first bytes, at most a header's worth) and derives the keys. */
function openHeader(prefix: Uint8Array, options: HeaderOptions): { chunkSize: number; keys: FileKeys } {
  const magicBytes = Math.min(prefix.byteLength, STREAM_MAGIC.byteLength);
  if (
    !asBuffer(prefix).subarray(0, magicBytes).equals(STREAM_MAGIC.subarray(0, magicBytes)) ||
    prefix.byteLength === 0
  ) {
    throw new CryptoError("CORRUPTED", "not a mesatee-stream-v1 file (bad magic)");
  }
  if (prefix.byteLength < STREAM_HEADER_SIZE) {
    throw new CryptoError("TRUNCATED", "mesatee-stream-v1 file ends inside its header");
  }
  const header = asBuffer(prefix);
  const version = header.readUInt8(8);
  if (version !== STREAM_VERSION) {
    throw new CryptoError("UNSUPPORTED_FORMAT", `unsupported mesatee-stream version ${version}`);
  }
  const algorithm = ALGORITHMS[header.readUInt8(9)];
  if (algorithm === undefined || header.readUInt16LE(10) !== 0) {
    throw new CryptoError("UNSUPPORTED_FORMAT", "unsupported mesatee-stream-v1 algorithm");
  }
  const chunkSize = header.readUInt32LE(12);
  const maxChunkSize = options.maxChunkSize ?? MAX_STREAM_CHUNK_SIZE;
  if (chunkSize > maxChunkSize) {
    throw new CryptoError(
      "LIMIT_EXCEEDED",
      `file declares ${chunkSize}-byte chunks, above the ${maxChunkSize}-byte limit`,
    );
  }
  if (chunkSize < MIN_STREAM_CHUNK_SIZE)
    throw new CryptoError("CORRUPTED", "mesatee-stream-v1 chunk size is invalid");
  if (options.key.byteLength !== algorithm.keyLength) {
    throw new CryptoError(
      "WRONG_KEY",
      `file was encrypted with a ${algorithm.keyLength}-byte key, got a ${options.key.byteLength}-byte key`,
    );
  }
  const keys = deriveKeys(options.key, options.iv, header, algorithm.name);
  if (!constantTimeEqual(keys.keyCheck, header.subarray(KEY_CHECK_OFFSET, STREAM_HEADER_SIZE))) {
    keys.key.fill(0);
    throw new CryptoError("WRONG_KEY", "wrong key or iv for this file (or its header was tampered with)");
  }
  return { chunkSize, keys };
}

async function readLayout(options: StreamDecryptOptions): Promise<Layout> {
  const { source } = options;
  const prefix = await source.read(0, Math.min(source.size, STREAM_HEADER_SIZE));
  const { chunkSize, keys } = openHeader(prefix, options);

  const body = source.size - STREAM_HEADER_SIZE;
  if (body < TAG_LENGTH) throw new CryptoError("TRUNCATED", "mesatee-stream-v1 file has no final chunk");
  const stride = chunkSize + TAG_LENGTH;
  const full = Math.floor((body - TAG_LENGTH) / stride);
  const finalLength = body - TAG_LENGTH - full * stride;
  // A final chunk is always shorter than chunk_size; a whole one in its place means it was cut off.
  if (finalLength === chunkSize)
    throw new CryptoError("TRUNCATED", "mesatee-stream-v1 file ends without its final chunk");
  if (finalLength > chunkSize)
    throw new CryptoError("CORRUPTED", "mesatee-stream-v1 file has a malformed last chunk");
  if (full + 1 > MAX_STREAM_CHUNKS) throw new CryptoError("LIMIT_EXCEEDED", "file has too many chunks");
  return { chunkSize, keys, chunks: full + 1, finalLength };
}

export async function decryptStream(
  options: StreamDecryptOptions,
): Promise<{ tag: Uint8Array; size: number }> {
  const { source } = options;
  const layout = await readLayout(options);
  const { keys, chunkSize } = layout;
  try {
    const fileTag = new Uint8Array(await source.read(source.size - TAG_LENGTH, TAG_LENGTH));
    // The final tag commits to every chunk: a wrong one is refused before anything is decrypted.
    if (options.expectedTag !== undefined && !constantTimeEqual(fileTag, options.expectedTag)) {
      throw new CryptoError("TAG_MISMATCH", "file tag does not match the expected tag");
    }
    const queue = new WriteQueue(options.sink);
    let index = 0;
    let previousTag: Uint8Array = new Uint8Array(TAG_LENGTH);
    let size = 0;
    for await (const block of readBlocks(source, STREAM_HEADER_SIZE, source.size, chunkSize + TAG_LENGTH)) {
      const final = index === layout.chunks - 1;
      const { parts, tag } = openChunk(keys, index, final, previousTag, block);
      for (const part of parts) await queue.push(part);
      const length = block.byteLength - TAG_LENGTH;
      options.onBytes?.(length);
      size += length;
      previousTag = tag;
      index++;
    }
    await queue.flush();
    return { tag: fileTag, size };
  } finally {
    keys.key.fill(0);
  }
}

/** Authenticates and decrypts chunk `index` (its ciphertext ‖ tag); plaintext only if it verified. */
function openChunk(
  keys: FileKeys,
  index: number,
  final: boolean,
  previousTag: Uint8Array,
  block: Uint8Array,
): { parts: Buffer[]; tag: Uint8Array } {
  const length = block.byteLength - TAG_LENGTH;
  const tag = block.subarray(length);
  const decipher = createDecipheriv(keys.algorithm, keys.key, nonce(keys, index), {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(aad(final, previousTag));
  decipher.setAuthTag(tag);
  // Plaintext of a chunk is held back until the chunk's tag has verified.
  const parts: Buffer[] = [];
  for (let offset = 0; offset < length; offset += CIPHER_SLICE) {
    parts.push(decipher.update(block.subarray(offset, Math.min(length, offset + CIPHER_SLICE))));
  }
  try {
    decipher.final();
  } catch {
    for (const part of parts) part.fill(0);
    throw new CryptoError(
      "CORRUPTED",
      `chunk ${index} failed authentication: the file was tampered with, truncated or extended`,
    );
  }
  return { parts, tag };
}

export interface StreamSequentialDecryptOptions extends HeaderOptions {
  /** The whole file, front to back. */
  input: AsyncIterable<Uint8Array>;
  sink: ByteSink;
  expectedTag?: Uint8Array | undefined;
  onBytes?: (count: number) => void;
}

/**
 * Decrypts a file read once, front to back (a download, say). Each chunk is released once it verified;
 * whether a full-size chunk is the last one is only known from what follows it, so one chunk is read
 * ahead. A wrong expected tag is found at the final chunk, after the others were released.
 */
export async function decryptStreamSequential(
  options: StreamSequentialDecryptOptions,
): Promise<{ tag: Uint8Array; size: number }> {
  const reader = new ChunkReader(options.input);
  const { chunkSize, keys } = openHeader(await reader.read(STREAM_HEADER_SIZE), options);
  try {
    const queue = new WriteQueue(options.sink);
    const stride = chunkSize + TAG_LENGTH;
    let previousTag: Uint8Array = new Uint8Array(TAG_LENGTH);
    let size = 0;
    for (let index = 0; ; index++) {
      if (index >= MAX_STREAM_CHUNKS) throw new CryptoError("LIMIT_EXCEEDED", "file has too many chunks");
      const block = await reader.read(stride);
      const final = block.byteLength < stride || (await reader.atEnd());
      if (final) {
        if (block.byteLength < TAG_LENGTH) {
          const what = index === 0 ? "has no final chunk" : "has a malformed last chunk";
          throw new CryptoError(index === 0 ? "TRUNCATED" : "CORRUPTED", `mesatee-stream-v1 file ${what}`);
        }
        // A final chunk is always shorter than chunk_size; a whole one in its place means it was cut off.
        if (block.byteLength === stride)
          throw new CryptoError("TRUNCATED", "mesatee-stream-v1 file ends without its final chunk");
        const fileTag = block.subarray(block.byteLength - TAG_LENGTH);
        if (options.expectedTag !== undefined && !constantTimeEqual(fileTag, options.expectedTag)) {
          throw new CryptoError("TAG_MISMATCH", "file tag does not match the expected tag");
        }
      }
      const { parts, tag } = openChunk(keys, index, final, previousTag, block);
      for (const part of parts) await queue.push(part);
      const length = block.byteLength - TAG_LENGTH;
      options.onBytes?.(length);
      size += length;
      previousTag = tag;
      if (final) break;
    }
    await queue.flush();
    return { tag: new Uint8Array(previousTag), size };
  } finally {
    keys.key.fill(0);
    await reader.close().catch(() => undefined);
  }
}
