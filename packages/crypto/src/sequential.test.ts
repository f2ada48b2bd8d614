// Decrypting a file read once, front to back (a download as it arrives), and knowing a ciphertext's
// size before encrypting it (an upload's Content-Length).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createReadStream } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { ciphertextSize, decryptFile, encryptFile, readPlaintextSize } from "./file-crypto.js";
import { type FileSchema, generateFileCrypto } from "./schema.js";
import { Collector, cryptoError, listDir, pattern, withTempDir } from "./test-support.js";

const SEQUENTIAL: FileSchema[] = ["raw", "aes-gcm-128", "aes-gcm-256", "mesatee-stream-v1"];

/** `bytes` as a Readable in pieces of `piece` bytes (odd sizes split tags and chunks anywhere). */
function pieces(bytes: Uint8Array, piece: number): Readable {
  const parts: Buffer[] = [];
  for (let offset = 0; offset < bytes.byteLength; offset += piece)
    parts.push(Buffer.from(bytes.subarray(offset, offset + piece)));
  return Readable.from(parts, { objectMode: false });
}

async function encrypted(
  dir: string,
  schema: FileSchema,
  plaintext: Uint8Array,
  chunkSize?: number,
): Promise<{ crypto: ReturnType<typeof generateFileCrypto>; bytes: Buffer; tag: Uint8Array | null }> {
  const crypto = generateFileCrypto(schema);
  const path = join(dir, `${schema}-${plaintext.byteLength}.enc`);
  const { tag } = await encryptFile({ crypto, input: Readable.from([plaintext]), output: path, chunkSize });
  return { crypto, bytes: await readFile(path), tag };
}

test("a Readable decrypts to the same plaintext as the file, however it is split", async () => {
  await withTempDir(async (dir) => {
    for (const schema of SEQUENTIAL) {
      for (const size of [0, 1, 15, 16, 17, 1024, 3 * 1024, 100_000]) {
        const plaintext = pattern(size, size % 7);
        const { crypto, bytes, tag } = await encrypted(dir, schema, plaintext, 1024);
        // Byte by byte only while that stays quick.
        for (const piece of size <= 3 * 1024 ? [1, 7, 16, 1000, 1 << 20] : [7, 16, 1000, 1 << 20]) {
          const output = join(dir, `out-${schema}-${size}-${piece}`);
          const result = await decryptFile({
            crypto,
            input: pieces(bytes, piece),
            output,
            expectedTag: tag ?? undefined,
          });
          assert.deepEqual(await readFile(output), Buffer.from(plaintext), `${schema} ${size} by ${piece}`);
          assert.equal(result.size, size);
          assert.deepEqual(result.tag, tag);
        }
      }
    }
  });
});

test("a wrong expected tag fails with TAG_MISMATCH and leaves no output", async () => {
  await withTempDir(async (dir) => {
    for (const schema of ["aes-gcm-128", "aes-gcm-256", "mesatee-stream-v1"] as const) {
      const { crypto, bytes, tag } = await encrypted(dir, schema, pattern(5000), 1024);
      const wrong = Buffer.from(tag!);
      wrong[0]! ^= 1;
      await assert.rejects(
        decryptFile({ crypto, input: pieces(bytes, 999), output: join(dir, "out"), expectedTag: wrong }),
        cryptoError("TAG_MISMATCH"),
      );
    }
    assert.deepEqual(
      (await listDir(dir)).filter((name) => !name.endsWith(".enc")),
      [],
    );
  });
});

test("a tampered, truncated or extended stream fails, and a discarding Writable is destroyed", async () => {
  await withTempDir(async (dir) => {
    for (const schema of ["aes-gcm-128", "mesatee-stream-v1"] as const) {
      const { crypto, bytes, tag } = await encrypted(dir, schema, pattern(5000), 1024);
      const flipped = Buffer.from(bytes);
      flipped[flipped.length - 40]! ^= 1;
      const cases: Array<[string, Buffer, (error: unknown) => boolean]> = [
        ["tampered", flipped, cryptoError("CORRUPTED")],
        ["cut", bytes.subarray(0, bytes.length - 1), (e) => e instanceof Error],
        ["cut at a chunk end", bytes.subarray(0, 64 + 1040), (e) => e instanceof Error],
        ["extended", Buffer.concat([bytes, Buffer.alloc(3)]), (e) => e instanceof Error],
        ["empty", Buffer.alloc(0), (e) => e instanceof Error],
      ];
      for (const [what, input, matches] of cases) {
        await assert.rejects(
          decryptFile({ crypto, input: pieces(input, 333), output: join(dir, "out") }),
          matches,
          `${schema} ${what}`,
        );
        const sink = new Collector();
        await assert.rejects(
          decryptFile({
            crypto,
            input: pieces(input, 333),
            output: sink,
            expectedTag: tag!,
            callerDiscardsOnFailure: true,
          }),
          matches,
          `${schema} ${what} to a Writable`,
        );
        assert.equal(sink.ended, false, `${schema} ${what}: a failed stream is never ended`);
      }
    }
    assert.deepEqual(
      (await listDir(dir)).filter((name) => !name.endsWith(".enc")),
      [],
    );
  });
});

test("a stream whose tag comes last needs a path or a caller that discards; teaclave-file-128 needs a path", async () => {
  await withTempDir(async (dir) => {
    const gcm = await encrypted(dir, "aes-gcm-128", pattern(100));
    await assert.rejects(
      decryptFile({ crypto: gcm.crypto, input: pieces(gcm.bytes, 10), output: new Collector() }),
      cryptoError("INVALID_ARGUMENT"),
    );
    const stream = await encrypted(dir, "mesatee-stream-v1", pattern(100));
    await assert.rejects(
      decryptFile({
        crypto: stream.crypto,
        input: pieces(stream.bytes, 10),
        output: new Collector(),
        expectedTag: stream.tag!,
      }),
      cryptoError("INVALID_ARGUMENT"),
    );
    // Chunk by chunk, mesatee-stream-v1 releases only verified plaintext even without a tag to match.
    const sink = new Collector();
    await decryptFile({ crypto: stream.crypto, input: pieces(stream.bytes, 10), output: sink });
    assert.deepEqual(sink.bytes(), Buffer.from(pattern(100)));
    await assert.rejects(
      decryptFile({
        crypto: generateFileCrypto("teaclave-file-128"),
        input: pieces(Buffer.alloc(8192), 4096),
        output: join(dir, "out"),
      }),
      cryptoError("INVALID_ARGUMENT"),
    );
  });
});

test("ciphertextSize is the exact size encryptFile writes, and readPlaintextSize reads it back", async () => {
  await withTempDir(async (dir) => {
    for (const schema of SEQUENTIAL) {
      for (const chunkSize of [1024, undefined]) {
        for (const size of [0, 1, 1023, 1024, 1025, 2048, 5000, 1 << 20, (1 << 20) + 1]) {
          const crypto = generateFileCrypto(schema);
          const path = join(dir, "sized");
          await writeFile(join(dir, "plain"), pattern(size));
          await encryptFile({ crypto, input: join(dir, "plain"), output: path, chunkSize });
          const actual = (await stat(path)).size;
          assert.equal(ciphertextSize(schema, size, { chunkSize }), actual, `${schema} ${chunkSize} ${size}`);
          assert.equal(await readPlaintextSize(schema, path), size, `${schema} ${chunkSize} ${size}`);
          await rm(path);
        }
      }
    }
  });
  assert.throws(() => ciphertextSize("teaclave-file-128", 10), cryptoError("INVALID_ARGUMENT"));
  assert.throws(() => ciphertextSize("raw", -1), cryptoError("INVALID_ARGUMENT"));
});

test("a 256 MiB Readable decrypts in bounded memory", async () => {
  const MiB = 1024 * 1024;
  const total = 256 * MiB;
  await withTempDir(async (dir) => {
    for (const schema of ["aes-gcm-128", "mesatee-stream-v1"] as const) {
      const crypto = generateFileCrypto(schema);
      const path = join(dir, `${schema}.enc`);
      const block = Buffer.from(pattern(MiB, 3));
      let sent = 0;
      const source = new Readable({
        read() {
          sent += MiB;
          this.push(sent > total ? null : block);
        },
      });
      const { tag } = await encryptFile({ crypto, input: source, output: path });
      const start = process.memoryUsage();
      let growth = 0;
      const timer = setInterval(() => {
        const now = process.memoryUsage();
        growth = Math.max(growth, now.rss - start.rss, now.arrayBuffers - start.arrayBuffers);
      }, 10);
      let received = 0;
      const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
          received += chunk.length;
          done();
        },
      });
      try {
        await decryptFile({
          crypto,
          input: createReadStream(path),
          output: sink,
          expectedTag: tag!,
          callerDiscardsOnFailure: true,
        });
      } finally {
        clearInterval(timer);
      }
      await rm(path);
      assert.equal(received, total);
      // Generous for GC slack; buffering the file would need 256 MiB or more.
      assert.ok(growth < 96 * MiB, `${schema}: memory grew ${(growth / MiB).toFixed(1)} MiB`);
    }
  });
});
