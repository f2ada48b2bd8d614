// Staged files: plaintext never touches the disk. Inputs are verified and decrypted, then re-encrypted
// under a per-task key in mesatee-stream-v1; functions read and write staged files; outputs are decrypted
// from staging and encrypted for their owners.
import { PassThrough, type Readable, type Writable } from "node:stream";
import { decryptFile, encryptFile, type FileCrypto } from "@mesatee/crypto";

export function stagingCrypto(key: Buffer): FileCrypto {
  return { schema: "mesatee-stream-v1", key, iv: new Uint8Array() };
}

/** Decrypts `source` (verified against `expectedTag`) and re-encrypts it to `staged` under the staging key. */
export async function stageInput(
  crypto: FileCrypto,
  source: string,
  expectedTag: Uint8Array | undefined,
  fileName: string,
  staged: string,
  stagingKey: Buffer,
): Promise<void> {
  const pipe = new PassThrough({ highWaterMark: 1 << 20 });
  const writing = encryptFile({ crypto: stagingCrypto(stagingKey), input: pipe, output: staged });
  try {
    // The staged file is deleted if decryption fails and the function never sees it before this
    // returns, so whole-file AES-GCM may decrypt in one pass.
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
