// Staged files: plaintext never touches the disk. Inputs are verified and decrypted, then re-encrypted
// under a per-task key in mesatee-stream-v1; functions read and write staged files; outputs are decrypted
// from staging and encrypted for their owners. Inputs may be staged straight from their download, and
// outputs encrypted straight into their upload, so neither ciphertext needs a file of its own.
import { PassThrough, type Readable, type Writable } from "node:stream";
import {
  ciphertextSize,
  decryptFile,
  encryptFile,
  readPlaintextSize,
  schemaHasTag,
  type FileCrypto,
} from "@mesatee/crypto";

export function stagingCrypto(key: Buffer): FileCrypto {
  return { schema: "mesatee-stream-v1", key, iv: new Uint8Array() };
}

/**
 * Decrypts `source` (a file, or the input's download as it arrives; verified against `expectedTag`) and
 * re-encrypts it to `staged` under the staging key. `staged` appears only once all of it verified.
 */
export async function stageInput(
  crypto: FileCrypto,
  source: string | Readable,
  expectedTag: Uint8Array | undefined,
  fileName: string,
  staged: string,
  stagingKey: Buffer,
): Promise<void> {
  const pipe = new PassThrough({ highWaterMark: 1 << 20 });
  const writing = encryptFile({ crypto: stagingCrypto(stagingKey), input: pipe, output: staged });
  try {
    // The staged file is deleted if decryption fails and the function never sees it before this
    // returns, so whole-file AES-GCM may decrypt in one pass, and a download be decrypted as it
    // arrives with its tag checked at its end.
    await decryptFile({
      crypto,
      input: source,
      output: pipe,
      expectedTag,
      fileName,
      callerDiscardsOnFailure: true,
    });
  } catch (error) {
    pipe.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
  await writing;
}

/** Re-encrypts a staged output for its owner; returns the tag. */
export async function finishOutput(
  staged: string,
  stagingKey: Buffer,
  crypto: FileCrypto,
  destination: string,
  fileName: string,
): Promise<Uint8Array> {
  const pipe = new PassThrough({ highWaterMark: 1 << 20 });
  const writing = encryptFile({ crypto, input: pipe, output: destination, fileName });
  try {
    await decryptFile({ crypto: stagingCrypto(stagingKey), input: staged, output: pipe });
  } catch (error) {
    pipe.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
  const { tag } = await writing;
  if (!tag) throw new Error(`${crypto.schema} outputs have no tag`);
  return tag;
}

export interface OutputStream {
  /** The output encrypted for its owner. */
  readonly ciphertext: Readable;
  /** Its exact length in bytes, known before the first byte is encrypted (an upload's Content-Length). */
  readonly length: number;
  /** The output's tag, once `ciphertext` has been read to its end; rejects if either side failed. */
  readonly tag: Promise<Uint8Array>;
}

/**
 * Re-encrypts a staged output for its owner as a stream (schemas that encrypt front to back: not
 * teaclave-file-128). Whoever takes `ciphertext` must read it to the end or destroy it.
 */
export async function streamOutput(
  staged: string,
  stagingKey: Buffer,
  crypto: FileCrypto,
  fileName: string,
): Promise<OutputStream> {
  if (!schemaHasTag(crypto.schema)) throw new Error(`${crypto.schema} outputs have no tag`);
  const length = ciphertextSize(crypto.schema, await readPlaintextSize("mesatee-stream-v1", staged));
  const plaintext = new PassThrough({ highWaterMark: 1 << 20 });
  const ciphertext = new PassThrough({ highWaterMark: 1 << 20 });
  // Either side's failure is reported through `tag`; an 'error' nobody listens to must not crash.
  for (const stream of [plaintext, ciphertext]) stream.on("error", () => undefined);
  const decrypting = decryptFile({ crypto: stagingCrypto(stagingKey), input: staged, output: plaintext });
  decrypting.catch((error: Error) => plaintext.destroy(error));
  const encrypting = encryptFile({ crypto, input: plaintext, output: ciphertext, fileName });
  const tag = Promise.all([decrypting, encrypting]).then(([, result]) => {
    if (!result.tag) throw new Error(`${crypto.schema} outputs have no tag`);
    return result.tag;
  });
  return { ciphertext, length, tag };
}

/** Plaintext of a staged file, as a stream. */
export function openStaged(staged: string, stagingKey: Buffer): Readable {
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  decryptFile({ crypto: stagingCrypto(stagingKey), input: staged, output: out }).catch((e: Error) =>
    out.destroy(e),
  );
  return out;
}

/** A stream whose bytes are encrypted into a staged file; `done` settles when the file is complete. */
export function createStaged(
  staged: string,
  stagingKey: Buffer,
): { stream: Writable; done: Promise<unknown> } {
  const stream = new PassThrough({ highWaterMark: 1 << 20 });
  const done = encryptFile({ crypto: stagingCrypto(stagingKey), input: stream, output: staged });
  return { stream, done };
}
