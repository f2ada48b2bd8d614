// Streaming proof: 256 MiB pass through every streaming-capable format while memory is sampled;
// neither the resident set nor the ArrayBuffer total may grow by more than a small fraction of it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { decryptFile, encryptFile } from "./file-crypto.js";
import { type FileSchema, generateFileCrypto } from "./schema.js";
import { pattern, withTempDir } from "./test-support.js";

const MiB = 1024 * 1024;
const TOTAL = 256 * MiB;
// Generous for GC slack; a format that buffered the file would need 256 MiB or more.
const MAX_GROWTH = 96 * MiB;

function source(): { stream: Readable; digest: () => string } {
  const block = pattern(MiB, 5);
  const hash = createHash("sha256");
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent === TOTAL) {
        this.push(null);
        return;
      }
      // Vary each block so misplaced chunks would change the digest.
      const piece = Buffer.from(block);
      piece.writeUInt32LE(sent / MiB, 0);
      hash.update(piece);
      sent += MiB;
      this.push(piece);
    },
  });
  return { stream, digest: () => hash.digest("hex") };
}

class HashSink extends Writable {
  private readonly hash = createHash("sha256");
  bytes = 0;
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    callback();
  }
  digest(): string {
    return this.hash.digest("hex");
  }
}

function sampler(): { stop: () => { rss: number; arrayBuffers: number } } {
  const start = process.memoryUsage();
  let rss = 0;
  let arrayBuffers = 0;
  const sample = (): void => {
    const now = process.memoryUsage();
    rss = Math.max(rss, now.rss - start.rss);
    arrayBuffers = Math.max(arrayBuffers, now.arrayBuffers - start.arrayBuffers);
  };
  const timer = setInterval(sample, 10);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { rss, arrayBuffers };
    },
  };
}

const SCHEMAS: FileSchema[] = ["aes-gcm-128", "aes-gcm-256", "teaclave-file-128", "mesatee-stream-v1"];

test("256 MiB stream through every format in bounded memory, encrypting and decrypting", async () => {
  await withTempDir(async (dir) => {
    for (const schema of SCHEMAS) {
      const crypto = generateFileCrypto(schema);
      const encrypted = join(dir, `${schema}.enc`);
      const input = source();
      const encrypting = sampler();
      const { tag } = await encryptFile({ crypto, input: input.stream, output: encrypted });
      const encryptGrowth = encrypting.stop();

      const output = new HashSink();
      const decrypting = sampler();
      await decryptFile({ crypto, input: encrypted, output, expectedTag: tag! });
      const decryptGrowth = decrypting.stop();
      await rm(encrypted);

      assert.equal(output.bytes, TOTAL, schema);
      assert.equal(output.digest(), input.digest(), `${schema} plaintext survives`);
      for (const [phase, growth] of [
        ["encrypt", encryptGrowth],
        ["decrypt", decryptGrowth],
      ] as const) {
        assert.ok(
          growth.rss < MAX_GROWTH,
          `${schema} ${phase}: rss grew ${(growth.rss / MiB).toFixed(1)} MiB`,
        );
        assert.ok(
          growth.arrayBuffers < MAX_GROWTH,
          `${schema} ${phase}: buffers grew ${(growth.arrayBuffers / MiB).toFixed(1)} MiB`,
        );
      }
      if (process.env["MESATEE_TEST_VERBOSE"]) {
        console.log(
          schema,
          (encryptGrowth.rss / MiB).toFixed(1),
          (decryptGrowth.rss / MiB).toFixed(1),
          (encryptGrowth.arrayBuffers / MiB).toFixed(1),
          (decryptGrowth.arrayBuffers / MiB).toFixed(1),
        );
      }
    }
  });
});
