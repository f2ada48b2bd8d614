import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import {
  computeTag,
  decryptBuffer,
  decryptFile,
  encryptBuffer,
  encryptFile,
  readTag,
  type Progress,
} from "./file-crypto.js";
import { FILE_SCHEMAS, generateFileCrypto, type FileCrypto } from "./schema.js";
import {
  Collector,
  cryptoError,
  fixture,
  hex,
  listDir,
  pattern,
  teaclaveFile,
  withTempDir,
} from "./test-support.js";

const RAW: FileCrypto = { schema: "raw", key: new Uint8Array(0), iv: new Uint8Array(0) };

test("every schema round-trips a file through the unified API, and the tag it returns verifies", async () => {
  await withTempDir(async (dir) => {
    const plaintext = pattern(2 * 1048576 + 12345, 21);
    await writeFile(join(dir, "plain"), plaintext);
    for (const schema of FILE_SCHEMAS) {
      const crypto = generateFileCrypto(schema);
      const encrypted = join(dir, `${schema}.enc`);
      const { tag, size } = await encryptFile({ crypto, input: join(dir, "plain"), output: encrypted });
      assert.equal(size, plaintext.byteLength);
      assert.equal(tag === null, schema === "raw", schema);
      const back = join(dir, `${schema}.out`);
      const result = await decryptFile({
        crypto,
        input: encrypted,
        output: back,
        ...(tag ? { expectedTag: tag } : {}),
      });
      assert.deepEqual(result.tag, tag);
      assert.ok((await readFile(back)).equals(plaintext), schema);
      assert.deepEqual(await computeTag({ crypto, input: encrypted }), tag, `computeTag ${schema}`);
      assert.deepEqual(await readTag(schema, encrypted), tag, `readTag ${schema}`);
    }
    const leftovers = (await listDir(dir)).filter((name) => name.startsWith("."));
    assert.deepEqual(leftovers, [], "no temporary files remain");
  });
});

test("raw is a plaintext passthrough with no tag, and refuses a tag check", async () => {
  const { ciphertext, tag } = await encryptBuffer(RAW, Buffer.from("hello"));
  assert.equal(Buffer.from(ciphertext).toString(), "hello");
  assert.equal(tag, null);
  await assert.rejects(
    decryptBuffer(RAW, ciphertext, { expectedTag: new Uint8Array(16) }),
    cryptoError("INVALID_ARGUMENT"),
  );
});

test("computeTag authenticates the file: a tampered file has no tag", async () => {
  await withTempDir(async (dir) => {
    const file = await readFile(fixture("functions/py_logistic_reg/train.enc"));
    file[5 * 4096]! ^= 1;
    await writeFile(join(dir, "train.enc"), file);
    assert.deepEqual(
      await readTag("teaclave-file-128", join(dir, "train.enc")),
      hex("00780510adc603725ec240ab979681f0"),
    );
    await assert.rejects(
      computeTag({ crypto: teaclaveFile(), input: join(dir, "train.enc") }),
      cryptoError("CORRUPTED"),
    );
  });
});

test("an expected tag of the wrong length is refused as an invalid argument", async () => {
  const crypto = generateFileCrypto("aes-gcm-128");
  const { ciphertext } = await encryptBuffer(crypto, pattern(10, 1));
  await assert.rejects(
    decryptBuffer(crypto, ciphertext, { expectedTag: new Uint8Array(15) }),
    cryptoError("INVALID_ARGUMENT"),
  );
});

test("teaclave-file-128 buffers need an explicit name binding (or an explicit null)", async () => {
  await assert.rejects(encryptBuffer(teaclaveFile(), pattern(10, 1)), cryptoError("INVALID_ARGUMENT"));
  const { ciphertext } = await encryptBuffer(teaclaveFile(), pattern(10, 1), { fileName: "a" });
  await assert.rejects(decryptBuffer(teaclaveFile(), ciphertext), cryptoError("INVALID_ARGUMENT"));
  await assert.rejects(
    decryptBuffer(teaclaveFile(), ciphertext, { fileName: "b" }),
    cryptoError("NAME_MISMATCH"),
  );
  assert.deepEqual(
    (await decryptBuffer(teaclaveFile(), ciphertext, { fileName: null })).plaintext,
    pattern(10, 1),
  );
});

test("buffer helpers enforce their size limit", async () => {
  const crypto = generateFileCrypto("mesatee-stream-v1");
  await assert.rejects(
    encryptBuffer(crypto, new Uint8Array(2000), { maxSize: 1000 }),
    cryptoError("LIMIT_EXCEEDED"),
  );
  const { ciphertext } = await encryptBuffer(crypto, new Uint8Array(2000));
  await assert.rejects(decryptBuffer(crypto, ciphertext, { maxSize: 1000 }), cryptoError("LIMIT_EXCEEDED"));
});

test("a Readable input of unknown length encrypts like a file, reporting progress", async () => {
  await withTempDir(async (dir) => {
    const plaintext = pattern(3 * 1048576 + 5, 22);
    const crypto = generateFileCrypto("teaclave-file-128");
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < plaintext.byteLength; at += 100003)
      pieces.push(plaintext.subarray(at, at + 100003));
    const seen: Progress[] = [];
    const { tag } = await encryptFile({
      crypto,
      input: Readable.from(pieces),
      output: join(dir, "a.enc"),
      onProgress: (progress) => seen.push(progress),
    });
    assert.equal(seen.at(-1)?.processedBytes, plaintext.byteLength);
    assert.equal(seen.at(-1)?.totalBytes, undefined);
    const sink = new Collector();
    await decryptFile({ crypto, input: join(dir, "a.enc"), output: sink, expectedTag: tag! });
    assert.ok(sink.bytes().equals(plaintext));
  });
});

test("a failing input stream fails the encryption with IO_ERROR and leaves no output", async () => {
  await withTempDir(async (dir) => {
    const input = new Readable({ read() {} });
    input.push(Buffer.alloc(5000));
    setImmediate(() => input.destroy(new Error("disk on fire")));
    await assert.rejects(
      encryptFile({ crypto: generateFileCrypto("aes-gcm-256"), input, output: join(dir, "out") }),
      cryptoError("IO_ERROR"),
    );
    assert.deepEqual(await listDir(dir), []);
  });
});

test("missing inputs and unwritable outputs are IO_ERRORs", async () => {
  await withTempDir(async (dir) => {
    const crypto = generateFileCrypto("aes-gcm-128");
    await assert.rejects(
      encryptFile({ crypto, input: join(dir, "nope"), output: join(dir, "out") }),
      cryptoError("IO_ERROR"),
    );
    await writeFile(join(dir, "plain"), "x");
    await assert.rejects(
      encryptFile({ crypto, input: join(dir, "plain"), output: join(dir, "no/such/dir") }),
      cryptoError("IO_ERROR"),
    );
    await assert.rejects(
      decryptFile({ crypto, input: join(dir, "nope"), output: join(dir, "out") }),
      cryptoError("IO_ERROR"),
    );
  });
});

test("decrypting a path replaces an existing destination only after success", async () => {
  await withTempDir(async (dir) => {
    const crypto = generateFileCrypto("aes-gcm-128");
    await writeFile(join(dir, "plain"), "new contents");
    await encryptFile({ crypto, input: join(dir, "plain"), output: join(dir, "enc") });
    await writeFile(join(dir, "out"), "old contents");
    const wrong = { ...crypto, key: pattern(16, 3) };
    await assert.rejects(
      decryptFile({ crypto: wrong, input: join(dir, "enc"), output: join(dir, "out") }),
      cryptoError("CORRUPTED"),
    );
    assert.equal(await readFile(join(dir, "out"), "utf8"), "old contents");
    await decryptFile({ crypto, input: join(dir, "enc"), output: join(dir, "out") });
    assert.equal(await readFile(join(dir, "out"), "utf8"), "new contents");
  });
});

test("encrypting into a Writable gives the bytes a path would get; teaclave-file-128 needs a path", async () => {
  await withTempDir(async (dir) => {
    const plaintext = pattern(1048576 + 999, 23);
    await writeFile(join(dir, "plain"), plaintext);
    for (const schema of ["aes-gcm-128", "mesatee-stream-v1", "raw"] as const) {
      const crypto = generateFileCrypto(schema);
      const sink = new Collector();
      const { tag } = await encryptFile({ crypto, input: join(dir, "plain"), output: sink });
      assert.ok(sink.ended, schema);
      await writeFile(join(dir, "streamed"), sink.bytes());
      const back = new Collector();
      await decryptFile({
        crypto,
        input: join(dir, "streamed"),
        output: back,
        ...(tag ? { expectedTag: tag } : {}),
      });
      assert.ok(back.bytes().equals(plaintext), schema);
      if (schema === "aes-gcm-128") {
        await encryptFile({ crypto, input: join(dir, "plain"), output: join(dir, "to-path") });
        assert.ok((await readFile(join(dir, "to-path"))).equals(sink.bytes()));
      }
    }
    await assert.rejects(
      encryptFile({
        crypto: generateFileCrypto("teaclave-file-128"),
        input: join(dir, "plain"),
        output: new Collector(),
      }),
      cryptoError("INVALID_ARGUMENT"),
    );
  });
});

test("inputs and outputs that are neither paths nor streams are refused as invalid arguments", async () => {
  const crypto = generateFileCrypto("aes-gcm-128");
  const bogus = 42 as unknown as string;
  await assert.rejects(encryptFile({ crypto, input: bogus, output: "x" }), cryptoError("INVALID_ARGUMENT"));
  await assert.rejects(
    encryptFile({ crypto, input: Readable.from([Buffer.from("a")]), output: bogus }),
    cryptoError("INVALID_ARGUMENT"),
  );
  await assert.rejects(decryptFile({ crypto, input: bogus, output: "x" }), cryptoError("INVALID_ARGUMENT"));
  await assert.rejects(
    decryptFile({ crypto, input: fixture("functions/gbdt_training/train.txt"), output: bogus }),
    cryptoError("INVALID_ARGUMENT"),
  );
});
