import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { decryptBuffer, decryptFile, encryptBuffer, encryptFile } from "./file-crypto.js";
import type { FileCrypto } from "./schema.js";
import { Collector, cryptoError, fixture, hex, listDir, pattern, withTempDir } from "./test-support.js";

const FIXTURE_CRYPTO: FileCrypto = {
  schema: "aes-gcm-128",
  key: new Uint8Array(16),
  iv: new Uint8Array(12).fill(1),
};
const FIXTURE_TAG = "592f1e607649d89ff2aa8a2841a57cad";

test("Teaclave's aes-gcm-128 fixture decrypts to its plaintext with the listed tag", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "train.txt");
    const result = await decryptFile({
      crypto: FIXTURE_CRYPTO,
      input: fixture("functions/gbdt_training/train.aes_gcm_128"),
      output,
      expectedTag: hex(FIXTURE_TAG),
    });
    assert.equal(Buffer.from(result.tag!).toString("hex"), FIXTURE_TAG);
    assert.deepEqual(await readFile(output), await readFile(fixture("functions/gbdt_training/train.txt")));
    assert.deepEqual(await listDir(dir), ["train.txt"]);
  });
});

test("encrypting the fixture plaintext with the same key and IV reproduces Teaclave's file byte for byte", async () => {
  await withTempDir(async (dir) => {
    const output = join(dir, "train.aes_gcm_128");
    const result = await encryptFile({
      crypto: FIXTURE_CRYPTO,
      input: fixture("functions/gbdt_training/train.txt"),
      output,
    });
    assert.equal(Buffer.from(result.tag!).toString("hex"), FIXTURE_TAG);
    assert.deepEqual(
      await readFile(output),
      await readFile(fixture("functions/gbdt_training/train.aes_gcm_128")),
    );
  });
});

test("the AAD is 8 zero bytes: Teaclave's password-check ciphertext is reproduced", async () => {
  const crypto: FileCrypto = { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) };
  const { ciphertext } = await encryptBuffer(crypto, Buffer.from("password"));
  assert.equal(Buffer.from(ciphertext).toString("base64"), "c+mpvRfZ0fboR0j3rTgOGDBiubSzlCt9");
});

test("aes-gcm-256 round-trips files of many sizes, and the tag is the last 16 bytes", async () => {
  const crypto: FileCrypto = { schema: "aes-gcm-256", key: pattern(32, 5), iv: pattern(12, 6) };
  await withTempDir(async (dir) => {
    for (const size of [0, 1, 15, 16, 65535, 65536, 65537, 1048576 + 3, 3 * 1048576]) {
      const plaintext = pattern(size, size + 1);
      const input = join(dir, "plain");
      await writeFile(input, plaintext);
      const { tag } = await encryptFile({ crypto, input, output: join(dir, "enc") });
      const ciphertext = await readFile(join(dir, "enc"));
      assert.equal(ciphertext.byteLength, size + 16);
      assert.deepEqual(new Uint8Array(ciphertext.subarray(size)), tag);
      await decryptFile({ crypto, input: join(dir, "enc"), output: join(dir, "out"), expectedTag: tag! });
      assert.deepEqual(new Uint8Array(await readFile(join(dir, "out"))), plaintext, `size ${size}`);
    }
  });
});

test("a tampered aes-gcm file is refused and the destination is never created", async () => {
  await withTempDir(async (dir) => {
    const ciphertext = await readFile(fixture("functions/gbdt_training/train.aes_gcm_128"));
    for (const index of [0, 1200, ciphertext.byteLength - 17, ciphertext.byteLength - 1]) {
      const tampered = Buffer.from(ciphertext);
      tampered[index]! ^= 0x40;
      await writeFile(join(dir, "bad"), tampered);
      await assert.rejects(
        decryptFile({ crypto: FIXTURE_CRYPTO, input: join(dir, "bad"), output: join(dir, "out") }),
        cryptoError("CORRUPTED"),
      );
      assert.deepEqual(await listDir(dir), ["bad"], "no output and no temporary left behind");
    }
  });
});

test("a wrong key or IV is refused as CORRUPTED", async () => {
  await withTempDir(async (dir) => {
    for (const crypto of [
      { ...FIXTURE_CRYPTO, key: new Uint8Array(16).fill(1) },
      { ...FIXTURE_CRYPTO, iv: new Uint8Array(12) },
    ]) {
      await assert.rejects(
        decryptFile({
          crypto,
          input: fixture("functions/gbdt_training/train.aes_gcm_128"),
          output: join(dir, "out"),
        }),
        cryptoError("CORRUPTED"),
      );
    }
    assert.deepEqual(await listDir(dir), []);
  });
});

test("a file whose tag differs from the expected tag is refused before any plaintext is written", async () => {
  const sink = new Collector();
  const wrong = hex(FIXTURE_TAG);
  wrong[15]! ^= 1;
  await assert.rejects(
    decryptFile({
      crypto: FIXTURE_CRYPTO,
      input: fixture("functions/gbdt_training/train.aes_gcm_128"),
      output: sink,
      expectedTag: wrong,
    }),
    cryptoError("TAG_MISMATCH"),
  );
  assert.equal(sink.bytes().byteLength, 0);
});

test("decrypting to a Writable verifies the whole file first: a tampered body releases no plaintext", async () => {
  await withTempDir(async (dir) => {
    const crypto: FileCrypto = { schema: "aes-gcm-128", key: pattern(16, 1), iv: pattern(12, 2) };
    const input = join(dir, "plain");
    await writeFile(input, pattern(5 * 1048576, 3));
    const { tag } = await encryptFile({ crypto, input, output: join(dir, "enc") });
    const ciphertext = await readFile(join(dir, "enc"));
    ciphertext[4 * 1048576]! ^= 1; // the stored tag still matches the registered one
    await writeFile(join(dir, "enc"), ciphertext);
    const sink = new Collector();
    await assert.rejects(
      decryptFile({ crypto, input: join(dir, "enc"), output: sink, expectedTag: tag! }),
      cryptoError("CORRUPTED"),
    );
    assert.equal(sink.bytes().byteLength, 0);
  });
});

test("decrypting to a Writable delivers the plaintext and ends the stream", async () => {
  const sink = new Collector();
  await decryptFile({
    crypto: FIXTURE_CRYPTO,
    input: fixture("functions/gbdt_training/train.aes_gcm_128"),
    output: sink,
  });
  assert.ok(sink.ended);
  assert.deepEqual(sink.bytes(), await readFile(fixture("functions/gbdt_training/train.txt")));
});

test("a file shorter than a tag is refused as TRUNCATED", async () => {
  await assert.rejects(decryptBuffer(FIXTURE_CRYPTO, new Uint8Array(15)), cryptoError("TRUNCATED"));
});

test("encrypting from a Readable gives the same file as encrypting from a path", async () => {
  await withTempDir(async (dir) => {
    const plaintext = pattern(300000, 4);
    const pieces = [plaintext.subarray(0, 7), plaintext.subarray(7, 100000), plaintext.subarray(100000)];
    const fromStream = await encryptFile({
      crypto: FIXTURE_CRYPTO,
      input: Readable.from(pieces),
      output: join(dir, "a"),
    });
    await writeFile(join(dir, "plain"), plaintext);
    const fromPath = await encryptFile({
      crypto: FIXTURE_CRYPTO,
      input: join(dir, "plain"),
      output: join(dir, "b"),
    });
    assert.deepEqual(fromStream.tag, fromPath.tag);
    assert.deepEqual(await readFile(join(dir, "a")), await readFile(join(dir, "b")));
  });
});

test("callerDiscardsOnFailure: AES-GCM decrypts in one pass and a tampered file still ends in an error, never a clean end", async () => {
  await withTempDir(async (dir) => {
    const crypto: FileCrypto = {
      schema: "aes-gcm-128",
      key: new Uint8Array(16).fill(3),
      iv: new Uint8Array(12).fill(4),
    };
    const plain = pattern(3 * 1024 * 1024 + 17);
    const path = join(dir, "file.enc");
    const { tag } = await encryptFile({ crypto, input: Readable.from([Buffer.from(plain)]), output: path });
    const good = new Collector();
    await decryptFile({
      crypto,
      input: path,
      output: good,
      expectedTag: tag!,
      callerDiscardsOnFailure: true,
    });
    assert.ok(good.ended);
    assert.deepEqual(good.bytes(), Buffer.from(plain));

    const bytes = await readFile(path);
    bytes[1000] = bytes[1000]! ^ 1;
    await writeFile(path, bytes);
    const bad = new Collector();
    await assert.rejects(
      decryptFile({ crypto, input: path, output: bad, expectedTag: tag!, callerDiscardsOnFailure: true }),
      cryptoError("CORRUPTED"),
    );
    assert.equal(bad.ended, false, "the stream never ends cleanly");
    assert.ok(bad.failure, "the stream is destroyed with the failure");
  });
});
