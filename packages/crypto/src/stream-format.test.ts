import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { decryptBuffer, decryptFile, encryptBuffer, encryptFile } from "./file-crypto.js";
import type { FileCrypto } from "./schema.js";
import { Collector, cryptoError, listDir, pattern, withTempDir } from "./test-support.js";

const CHUNK = 1024;
const HEADER = 64;
const STRIDE = CHUNK + 16;
const crypto128: FileCrypto = { schema: "mesatee-stream-v1", key: pattern(16, 11), iv: pattern(12, 12) };
const crypto256: FileCrypto = { schema: "mesatee-stream-v1", key: pattern(32, 13), iv: new Uint8Array(0) };

async function seal(
  plaintext: Uint8Array,
  crypto: FileCrypto = crypto128,
): Promise<{ file: Buffer; tag: Uint8Array }> {
  const { ciphertext, tag } = await encryptBuffer(crypto, plaintext, { chunkSize: CHUNK });
  return { file: Buffer.from(ciphertext), tag: tag! };
}

/** Splits a file into its header and chunks (each ciphertext ‖ tag). */
function chunksOf(file: Buffer): { header: Buffer; chunks: Buffer[] } {
  const chunks: Buffer[] = [];
  for (let at = HEADER; at < file.byteLength; at += STRIDE)
    chunks.push(file.subarray(at, Math.min(file.byteLength, at + STRIDE)));
  return { header: file.subarray(0, HEADER), chunks };
}

test("mesatee-stream-v1 round-trips any size with AES-128 and AES-256 (property)", async () => {
  const boundaries = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 17];
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.constantFrom(...boundaries), fc.integer({ min: 0, max: 40 * CHUNK })),
      fc.boolean(),
      async (size, wide) => {
        const crypto = wide ? crypto256 : crypto128;
        const plaintext = pattern(size, size + 3);
        const { file, tag } = await seal(plaintext, crypto);
        // Every chunk but the last is full; the last is shorter, possibly empty.
        assert.equal(file.byteLength, HEADER + Math.floor(size / CHUNK) * STRIDE + (size % CHUNK) + 16);
        assert.deepEqual(
          new Uint8Array(file.subarray(file.byteLength - 16)),
          tag,
          "the tag is the final chunk's tag",
        );
        const back = await decryptBuffer(crypto, file, { expectedTag: tag });
        assert.ok(Buffer.from(back.plaintext).equals(plaintext));
      },
    ),
    { numRuns: 60, examples: boundaries.map((size) => [size, false]) },
  );
});

test("the same key and IV give every file its own keys: equal plaintexts encrypt differently", async () => {
  const plaintext = pattern(3 * CHUNK, 1);
  const a = await seal(plaintext);
  const b = await seal(plaintext);
  assert.notDeepEqual(a.tag, b.tag);
  assert.notDeepEqual(a.file.subarray(HEADER, HEADER + 64), b.file.subarray(HEADER, HEADER + 64));
});

test("truncation at a chunk boundary is TRUNCATED; inside a chunk it fails authentication", async () => {
  const { file } = await seal(pattern(5 * CHUNK + 100, 2));
  // Drop the final chunk: what remains ends with a full chunk.
  await assert.rejects(
    decryptBuffer(crypto128, file.subarray(0, HEADER + 5 * STRIDE)),
    cryptoError("TRUNCATED"),
  );
  await assert.rejects(
    decryptBuffer(crypto128, file.subarray(0, HEADER + 2 * STRIDE)),
    cryptoError("TRUNCATED"),
  );
  await assert.rejects(
    decryptBuffer(crypto128, file.subarray(0, HEADER + 2 * STRIDE + 500)),
    cryptoError("CORRUPTED"),
  );
  await assert.rejects(
    decryptBuffer(crypto128, file.subarray(0, file.byteLength - 1)),
    cryptoError("CORRUPTED"),
  );
  await assert.rejects(decryptBuffer(crypto128, file.subarray(0, HEADER)), cryptoError("TRUNCATED"));
  await assert.rejects(decryptBuffer(crypto128, file.subarray(0, 40)), cryptoError("TRUNCATED"));
});

test("a file cut right after a full chunk, re-ending in a short chunk of its own, is refused", async () => {
  // The attacker keeps chunks 0..2 and moves chunk 4's short prefix into the final position.
  const { file } = await seal(pattern(5 * CHUNK + 100, 2));
  const { header, chunks } = chunksOf(file);
  const forged = Buffer.concat([header, chunks[0]!, chunks[1]!, chunks[5]!]);
  await assert.rejects(decryptBuffer(crypto128, forged), cryptoError("CORRUPTED"));
});

test("reordered or duplicated chunks are refused", async () => {
  const { file } = await seal(pattern(4 * CHUNK + 9, 3));
  const { header, chunks } = chunksOf(file);
  const [c0, c1, c2, c3, last] = chunks as [Buffer, Buffer, Buffer, Buffer, Buffer];
  await assert.rejects(
    decryptBuffer(crypto128, Buffer.concat([header, c1, c0, c2, c3, last])),
    cryptoError("CORRUPTED"),
  );
  await assert.rejects(
    decryptBuffer(crypto128, Buffer.concat([header, c0, c0, c2, c3, last])),
    cryptoError("CORRUPTED"),
  );
  await assert.rejects(
    decryptBuffer(crypto128, Buffer.concat([header, c0, c1, c2, c3])),
    cryptoError("TRUNCATED"),
  );
});

test("a chunk swapped in from another file under the same key and IV is refused", async () => {
  const plaintext = pattern(3 * CHUNK + 5, 4);
  const a = chunksOf((await seal(plaintext)).file);
  const b = chunksOf((await seal(plaintext)).file);
  const mixed = Buffer.concat([a.header, a.chunks[0]!, b.chunks[1]!, a.chunks[2]!, a.chunks[3]!]);
  await assert.rejects(decryptBuffer(crypto128, mixed), cryptoError("CORRUPTED"));
  // Nor can one file's chunks be read under the other's header.
  await assert.rejects(
    decryptBuffer(crypto128, Buffer.concat([b.header, ...a.chunks])),
    cryptoError("CORRUPTED"),
  );
});

test("data appended after the final chunk is refused", async () => {
  const { file } = await seal(pattern(2 * CHUNK + 7, 5));
  const { chunks } = chunksOf(file);
  await assert.rejects(
    decryptBuffer(crypto128, Buffer.concat([file, Buffer.from([0])])),
    cryptoError("CORRUPTED"),
  );
  await assert.rejects(decryptBuffer(crypto128, Buffer.concat([file, chunks[0]!])), cryptoError("CORRUPTED"));
  const full = (await seal(pattern(2 * CHUNK, 6))).file;
  await assert.rejects(
    decryptBuffer(crypto128, Buffer.concat([full, full.subarray(HEADER)])),
    cryptoError("CORRUPTED"),
  );
});

test("any flipped bit in a chunk or its tag is refused", async () => {
  const { file } = await seal(pattern(3 * CHUNK + 50, 7));
  for (const index of [
    HEADER,
    HEADER + CHUNK - 1,
    HEADER + CHUNK + 3,
    HEADER + 2 * STRIDE + 700,
    file.byteLength - 1,
  ]) {
    const tampered = Buffer.from(file);
    tampered[index]! ^= 0x80;
    await assert.rejects(decryptBuffer(crypto128, tampered), cryptoError("CORRUPTED"), `byte ${index}`);
  }
});

test("a wrong key or IV, or an edited header, is refused as WRONG_KEY before decrypting", async () => {
  const { file } = await seal(pattern(2 * CHUNK, 8));
  await assert.rejects(decryptBuffer({ ...crypto128, key: pattern(16, 99) }, file), cryptoError("WRONG_KEY"));
  await assert.rejects(decryptBuffer({ ...crypto128, iv: pattern(12, 99) }, file), cryptoError("WRONG_KEY"));
  await assert.rejects(
    decryptBuffer({ ...crypto128, iv: new Uint8Array(0) }, file),
    cryptoError("WRONG_KEY"),
  );
  await assert.rejects(decryptBuffer(crypto256, file), cryptoError("WRONG_KEY"));
  for (const index of [13, 20, 50]) {
    const edited = Buffer.from(file);
    edited[index]! ^= 1; // chunk size, salt, key check
    await assert.rejects(decryptBuffer(crypto128, edited), cryptoError("WRONG_KEY"), `byte ${index}`);
  }
  const magic = Buffer.from(file);
  magic[0] = 0;
  await assert.rejects(decryptBuffer(crypto128, magic), cryptoError("CORRUPTED"));
  const version = Buffer.from(file);
  version[8] = 2;
  await assert.rejects(decryptBuffer(crypto128, version), cryptoError("UNSUPPORTED_FORMAT"));
});

test("a header declaring chunks larger than the reader's limit is refused without reading them", async () => {
  const { ciphertext } = await encryptBuffer(crypto128, pattern(10, 1), { chunkSize: 64 * 1024 });
  await assert.rejects(
    decryptBuffer(crypto128, ciphertext, { maxChunkSize: 4096 }),
    cryptoError("LIMIT_EXCEEDED"),
  );
  await assert.rejects(
    encryptBuffer(crypto128, pattern(10, 1), { chunkSize: 100 }),
    cryptoError("INVALID_ARGUMENT"),
  );
  await assert.rejects(
    encryptBuffer(crypto128, pattern(10, 1), { chunkSize: 32 * 1024 * 1024 }),
    cryptoError("INVALID_ARGUMENT"),
  );
});

test("a file with another tag than expected is refused before any plaintext is written", async () => {
  await withTempDir(async (dir) => {
    const { file, tag } = await seal(pattern(3 * CHUNK, 9));
    await writeFile(join(dir, "f"), file);
    const wrong = new Uint8Array(tag);
    wrong[3]! ^= 1;
    const sink = new Collector();
    await assert.rejects(
      decryptFile({ crypto: crypto128, input: join(dir, "f"), output: sink, expectedTag: wrong }),
      cryptoError("TAG_MISMATCH"),
    );
    assert.equal(sink.bytes().byteLength, 0);
    assert.equal(sink.failure, undefined, "an untouched Writable is left to the caller");
  });
});

test("a Writable receives only authenticated chunks and is destroyed when a later chunk fails", async () => {
  await withTempDir(async (dir) => {
    const plaintext = pattern(6 * 1048576, 10);
    await writeFile(join(dir, "plain"), plaintext);
    const { tag } = await encryptFile({
      crypto: crypto128,
      input: join(dir, "plain"),
      output: join(dir, "enc"),
    });
    const file = await readFile(join(dir, "enc"));
    const stride = 1048576 + 16;
    file[HEADER + 3 * stride + 10]! ^= 1; // inside chunk 3 of 7
    await writeFile(join(dir, "enc"), file);
    const sink = new Collector();
    await assert.rejects(
      decryptFile({ crypto: crypto128, input: join(dir, "enc"), output: sink, expectedTag: tag! }),
      cryptoError("CORRUPTED"),
    );
    const received = sink.bytes();
    assert.ok(received.byteLength <= 3 * 1048576, "nothing from the failing chunk or after it");
    assert.ok(
      received.equals(plaintext.subarray(0, received.byteLength)),
      "what arrived is an authentic prefix",
    );
    assert.ok(sink.failure instanceof Error && sink.destroyed, "the consumer sees the failure");
    assert.equal(sink.ended, false);
    // A path destination is never created.
    await assert.rejects(
      decryptFile({ crypto: crypto128, input: join(dir, "enc"), output: join(dir, "out") }),
      cryptoError("CORRUPTED"),
    );
    assert.deepEqual(await listDir(dir), ["enc", "plain"]);
  });
});
