// aes-gcm-128 / aes-gcm-256 exactly as Teaclave: one AES-GCM pass over the whole file with the
// registered key and IV, AAD = 8 zero bytes, the 16-byte tag appended (spec §4.1). The tag only
// authenticates at the very end, so decryption either writes to a destination that is discarded
// on failure, or verifies in a first pass and decrypts in a second (verifyFirst).
import { createCipheriv, createDecipheriv } from "node:crypto";
import { constantTimeEqual } from "./bytes.js";
import { CryptoError } from "./errors.js";
import { type ByteSink, type ByteSource, NullSink, WriteQueue, readBlocks } from "./io.js";
import { CIPHER_SLICE, MAX_GCM_PLAINTEXT, TAG_LENGTH } from "./limits.js";

const AAD = new Uint8Array(8);

function algorithm(key: Uint8Array): "aes-128-gcm" | "aes-256-gcm" {
  return key.byteLength === 32 ? "aes-256-gcm" : "aes-128-gcm";
}

export interface GcmEncryptOptions {
  key: Uint8Array;
  iv: Uint8Array;
  input: AsyncIterable<Uint8Array>;
  sink: ByteSink;
  onBytes?: (count: number) => void;
}

export async function encryptGcmFile(options: GcmEncryptOptions): Promise<{ tag: Uint8Array; size: number }> {
  const cipher = createCipheriv(algorithm(options.key), options.key, options.iv, {
    authTagLength: TAG_LENGTH,
  });
  cipher.setAAD(AAD);
  const queue = new WriteQueue(options.sink);
  let size = 0;
  for await (const block of options.input) {
    size += block.byteLength;
    if (size > MAX_GCM_PLAINTEXT) {
      throw new CryptoError(
        "LIMIT_EXCEEDED",
        "AES-GCM can encrypt at most 64 GiB under one key and IV; use mesatee-stream-v1",
      );
    }
    for (let offset = 0; offset < block.byteLength; offset += CIPHER_SLICE) {
      await queue.push(cipher.update(block.subarray(offset, offset + CIPHER_SLICE)));
    }
    options.onBytes?.(block.byteLength);
  }
  await queue.push(cipher.final());
  const tag = cipher.getAuthTag();
  await queue.push(tag);
  await queue.flush();
  return { tag: new Uint8Array(tag), size };
}

export interface GcmDecryptOptions {
  key: Uint8Array;
  iv: Uint8Array;
  source: ByteSource;
  sink: ByteSink;
  expectedTag?: Uint8Array | undefined;
  /** Authenticate the whole file before writing any plaintext to `sink` (two passes). */
  verifyFirst: boolean;
  onBytes?: (count: number) => void;
}

export async function decryptGcmFile(options: GcmDecryptOptions): Promise<{ tag: Uint8Array; size: number }> {
  const { source } = options;
  if (source.size < TAG_LENGTH) {
    throw new CryptoError("TRUNCATED", `AES-GCM file is ${source.size} bytes, shorter than its 16-byte tag`);
  }
  const size = source.size - TAG_LENGTH;
  if (size > MAX_GCM_PLAINTEXT)
    throw new CryptoError("LIMIT_EXCEEDED", "AES-GCM file is larger than GCM allows");
  const tag = new Uint8Array(await source.read(size, TAG_LENGTH));
  // A wrong stored tag is refused before decrypting anything; a right one is still verified below.
  if (options.expectedTag !== undefined && !constantTimeEqual(tag, options.expectedTag)) {
    throw new CryptoError("TAG_MISMATCH", "file tag does not match the expected tag");
  }
  if (options.verifyFirst) await decryptPass(options, size, tag, new NullSink());
  await decryptPass(options, size, tag, options.sink);
  return { tag, size };
}

async function decryptPass(
  options: GcmDecryptOptions,
  size: number,
  tag: Uint8Array,
  sink: ByteSink,
): Promise<void> {
  await decipherBlocks(options, readBlocks(options.source, 0, size), sink, () => tag);
}

export interface GcmSequentialDecryptOptions {
  key: Uint8Array;
  iv: Uint8Array;
  /** The whole file, front to back; its last 16 bytes are the tag. */
  input: AsyncIterable<Uint8Array>;
  /** Gets plaintext before the tag is checked: its writer must discard it if this fails. */
  sink: ByteSink;
  expectedTag?: Uint8Array | undefined;
  onBytes?: (count: number) => void;
}

/**
 * Decrypts a file read once, front to back (a download, say). The tag is only known once the input
 * ends, so the last 16 bytes are held back and every other byte is decrypted as it arrives.
 */
export async function decryptGcmSequential(
  options: GcmSequentialDecryptOptions,
): Promise<{ tag: Uint8Array; size: number }> {
  let held: Uint8Array = new Uint8Array();
  let size = 0;
  // Releases all but the last TAG_LENGTH bytes seen so far; `held` keeps those.
  async function* body(): AsyncGenerator<Uint8Array> {
    for await (const chunk of options.input) {
      let release: Uint8Array[];
      if (held.byteLength + chunk.byteLength <= TAG_LENGTH) {
        held = Buffer.concat([held, chunk]);
        continue;
      } else if (chunk.byteLength >= TAG_LENGTH) {
        release = [held, chunk.subarray(0, chunk.byteLength - TAG_LENGTH)];
        held = chunk.subarray(chunk.byteLength - TAG_LENGTH);
      } else {
        const joined = Buffer.concat([held, chunk]);
        release = [joined.subarray(0, joined.byteLength - TAG_LENGTH)];
        held = joined.subarray(joined.byteLength - TAG_LENGTH);
      }
      for (const part of release) {
        if (part.byteLength === 0) continue;
        size += part.byteLength;
        if (size > MAX_GCM_PLAINTEXT)
          throw new CryptoError("LIMIT_EXCEEDED", "AES-GCM file is larger than GCM allows");
        yield part;
      }
    }
  }
  const tag = (): Uint8Array => {
    if (held.byteLength < TAG_LENGTH) {
      throw new CryptoError(
        "TRUNCATED",
        `AES-GCM file is ${held.byteLength} bytes, shorter than its 16-byte tag`,
      );
    }
    if (options.expectedTag !== undefined && !constantTimeEqual(held, options.expectedTag)) {
      throw new CryptoError("TAG_MISMATCH", "file tag does not match the expected tag");
    }
    return held;
  };
  await decipherBlocks(options, body(), options.sink, tag);
  return { tag: new Uint8Array(held), size };
}

/** One AES-GCM decryption of `blocks`; `tag` is asked for only after the last block. */
async function decipherBlocks(
  options: { key: Uint8Array; iv: Uint8Array; onBytes?: ((count: number) => void) | undefined },
  blocks: AsyncIterable<Uint8Array>,
  sink: ByteSink,
  tag: () => Uint8Array,
): Promise<void> {
  const decipher = createDecipheriv(algorithm(options.key), options.key, options.iv, {
    authTagLength: TAG_LENGTH,
  });
  decipher.setAAD(AAD);
  const queue = new WriteQueue(sink);
  for await (const block of blocks) {
    for (let offset = 0; offset < block.byteLength; offset += CIPHER_SLICE) {
      await queue.push(decipher.update(block.subarray(offset, offset + CIPHER_SLICE)));
    }
    options.onBytes?.(block.byteLength);
  }
  decipher.setAuthTag(tag());
  let last: Buffer;
  try {
    last = decipher.final();
  } catch {
    throw new CryptoError("CORRUPTED", "file failed authentication: wrong key or iv, or tampered file");
  }
  await queue.push(last);
  await queue.flush();
}
