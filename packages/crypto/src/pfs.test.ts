import { test } from "node:test";
import assert from "node:assert/strict";
import { createDecipheriv } from "node:crypto";
import { copyFile, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { aesCmac } from "./cmac.js";
import { decryptBuffer, decryptFile, encryptBuffer, encryptFile } from "./file-crypto.js";
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

const FIXTURES = [
  {
    path: "functions/ordered_set_intersect/psi0.txt.enc",
    plain: "functions/ordered_set_intersect/psi0.txt",
    tag: "92f686d4ac2ba6b4ffd93bc7ac5dbf58",
  },
  {
    path: "functions/py_logistic_reg/train.enc",
    plain: "functions/py_logistic_reg/train.txt",
    tag: "00780510adc603725ec240ab979681f0",
  },
];
const NODE = 4096;

/**
 * An independent, random-access reader written straight from spec §4.2 / §4.2.1 (positions,
 * parents and the KDF layout), to check the streaming writer against the spec and not only
 * against the streaming reader.
 */
function referenceDecrypt(file: Buffer, userKey: Uint8Array): { name: string; plaintext: Buffer } {
  const open = (key: Uint8Array, mac: Uint8Array, data: Uint8Array): Buffer => {
    const decipher = createDecipheriv("aes-128-gcm", key, Buffer.alloc(12));
    decipher.setAuthTag(mac);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  };
  const kdf = Buffer.alloc(120);
  kdf.writeUInt32LE(1, 0);
  kdf.write("SGX-PROTECTED-FS-METADATA-KEY", 4);
  file.copy(kdf, 80, 16, 48);
  kdf.writeUInt32LE(0x80, 112);
  const meta = open(aesCmac(userKey, kdf), file.subarray(80, 96), file.subarray(96, 96 + 3372));
  const name = meta.subarray(0, 260).toString("utf8").replace(/\0+$/, "");
  const size = Number(meta.readBigUInt64LE(260));
  const plaintext = Buffer.alloc(size);
  meta.copy(plaintext, 0, 300, 300 + Math.min(size, 3072));
  const mhts = new Map<number, Buffer>();
  const mht = (m: number): Buffer => {
    let node = mhts.get(m);
    if (node === undefined) {
      const entry =
        m === 0
          ? meta.subarray(268, 300)
          : mht(Math.floor((m - 1) / 32)).subarray(3072 + ((m - 1) % 32) * 32);
      const at = (1 + 97 * m) * NODE;
      node = open(entry.subarray(0, 16), entry.subarray(16, 32), file.subarray(at, at + NODE));
      mhts.set(m, node);
    }
    return node;
  };
  for (let n = 0; 3072 + n * NODE < size; n++) {
    const entry = mht(Math.floor(n / 96)).subarray((n % 96) * 32);
    const at = (2 + n + Math.floor(n / 96)) * NODE;
    open(entry.subarray(0, 16), entry.subarray(16, 32), file.subarray(at, at + NODE)).copy(
      plaintext,
      3072 + n * NODE,
    );
  }
  return { name, plaintext };
}

function expectedFileSize(size: number): number {
  if (size <= 3072) return NODE;
  const data = Math.ceil((size - 3072) / NODE);
  return (1 + data + Math.ceil(data / 96)) * NODE;
}

test("every Teaclave teaclave-file-128 fixture decrypts to the plaintext beside it with its listed tag", async () => {
  await withTempDir(async (dir) => {
    for (const entry of FIXTURES) {
      const output = join(dir, "out");
      const result = await decryptFile({
        crypto: teaclaveFile(),
        input: fixture(entry.path),
        output,
        expectedTag: hex(entry.tag),
      });
      assert.equal(Buffer.from(result.tag!).toString("hex"), entry.tag);
      assert.deepEqual(await readFile(output), await readFile(fixture(entry.plain)), entry.path);
      const reference = referenceDecrypt(await readFile(fixture(entry.path)), new Uint8Array(16));
      assert.deepEqual(reference.plaintext, await readFile(fixture(entry.plain)));
    }
  });
});

test("a renamed teaclave-file-128 file fails with NAME_MISMATCH naming both names", async () => {
  await withTempDir(async (dir) => {
    const renamed = join(dir, "psi1.txt.enc");
    await copyFile(fixture(FIXTURES[0]!.path), renamed);
    await assert.rejects(
      decryptFile({ crypto: teaclaveFile(), input: renamed, output: join(dir, "out") }),
      (error: unknown) => {
        cryptoError("NAME_MISMATCH")(error);
        assert.match((error as Error).message, /"psi0\.txt\.enc".*"psi1\.txt\.enc"/);
        return true;
      },
    );
    assert.deepEqual(await listDir(dir), ["psi1.txt.enc"]);
    // The caller may name the expected binding explicitly, or skip it when it pins the file by tag.
    await decryptFile({
      crypto: teaclaveFile(),
      input: renamed,
      output: join(dir, "a"),
      fileName: "psi0.txt.enc",
    });
    await decryptFile({
      crypto: teaclaveFile(),
      input: renamed,
      output: join(dir, "b"),
      fileName: null,
      expectedTag: hex(FIXTURES[0]!.tag),
    });
    assert.deepEqual(await readFile(join(dir, "a")), await readFile(fixture(FIXTURES[0]!.plain)));
  });
});

test("tampering with any authenticated byte of a multi-node fixture is refused and leaves no output", async () => {
  await withTempDir(async (dir) => {
    const original = await readFile(fixture(FIXTURES[1]!.path));
    // gmac, key_id, metadata, root MHT, first and last data node.
    for (const index of [80, 20, 400, NODE + 10, 2 * NODE + 5, 8 * NODE + 4095]) {
      const tampered = Buffer.from(original);
      tampered[index]! ^= 0x01;
      const input = join(dir, "train.enc");
      await writeFile(input, tampered);
      await assert.rejects(
        decryptFile({ crypto: teaclaveFile(), input, output: join(dir, "out") }),
        cryptoError("CORRUPTED"),
        `byte ${index}`,
      );
      assert.deepEqual(await listDir(dir), ["train.enc"]);
    }
  });
});

test("a teaclave-file-128 file under the wrong key is refused", async () => {
  await assert.rejects(
    decryptFile({
      crypto: teaclaveFile(new Uint8Array(16).fill(7)),
      input: fixture(FIXTURES[0]!.path),
      output: new Collector(),
    }),
    cryptoError("CORRUPTED"),
  );
});

test("a teaclave-file-128 file missing nodes is TRUNCATED and one with extra nodes is CORRUPTED", async () => {
  const original = await readFile(fixture(FIXTURES[1]!.path));
  const options = { fileName: "train.enc" };
  await assert.rejects(
    decryptBuffer(teaclaveFile(), original.subarray(0, original.byteLength - NODE), options),
    cryptoError("TRUNCATED"),
  );
  await assert.rejects(
    decryptBuffer(teaclaveFile(), original.subarray(0, 100), options),
    cryptoError("TRUNCATED"),
  );
  await assert.rejects(
    decryptBuffer(teaclaveFile(), Buffer.concat([original, Buffer.alloc(NODE)]), options),
    cryptoError("CORRUPTED"),
  );
  await assert.rejects(
    decryptBuffer(teaclaveFile(), original.subarray(0, original.byteLength - 1), options),
    cryptoError("CORRUPTED"),
  );
});

test("headers Teaclave would not open are refused: other modes, versions, and files left mid-update", async () => {
  const original = await readFile(fixture(FIXTURES[0]!.path));
  const options = { fileName: "psi0.txt.enc" };
  const edit = (offset: number, value: number): Buffer => {
    const copy = Buffer.from(original);
    copy[offset] = value;
    return copy;
  };
  await assert.rejects(
    decryptBuffer(teaclaveFile(), edit(10, 0), options),
    cryptoError("UNSUPPORTED_FORMAT"),
  );
  await assert.rejects(decryptBuffer(teaclaveFile(), edit(8, 2), options), cryptoError("UNSUPPORTED_FORMAT"));
  await assert.rejects(decryptBuffer(teaclaveFile(), edit(11, 1), options), cryptoError("CORRUPTED"));
  await assert.rejects(decryptBuffer(teaclaveFile(), edit(0, 0x46), options), cryptoError("CORRUPTED"));
});

test("a teaclave-file-128 file with a different tag is refused with TAG_MISMATCH before any plaintext", async () => {
  const sink = new Collector();
  const wrong = hex(FIXTURES[1]!.tag);
  wrong[0]! ^= 1;
  await assert.rejects(
    decryptFile({
      crypto: teaclaveFile(),
      input: fixture(FIXTURES[1]!.path),
      output: sink,
      expectedTag: wrong,
    }),
    cryptoError("TAG_MISMATCH"),
  );
  assert.equal(sink.bytes().byteLength, 0);
});

test("files we write have Teaclave's user-key header and decrypt with the spec reference reader", async () => {
  for (const size of [0, 100, 3072, 3073, 3072 + 7 * NODE - 5]) {
    const plaintext = pattern(size, size);
    const { ciphertext, tag } = await encryptBuffer(teaclaveFile(), plaintext, { fileName: "data.enc" });
    const file = Buffer.from(ciphertext);
    assert.equal(file.byteLength, expectedFileSize(size));
    assert.equal(file.subarray(0, 8).toString("latin1"), "ELIF_XGS");
    assert.deepEqual(
      [...file.subarray(8, 16)],
      [1, 0, 1, 0, 0, 0, 0, 0],
      "version 1.0, user key, no update, zero policy/svn",
    );
    assert.ok(
      file.subarray(48, 80).every((b) => b === 0),
      "cpu_svn and attribute_mask are zero",
    );
    assert.deepEqual(new Uint8Array(file.subarray(80, 96)), tag);
    const reference = referenceDecrypt(file, new Uint8Array(16));
    assert.equal(reference.name, "data.enc");
    assert.deepEqual(new Uint8Array(reference.plaintext), plaintext);
  }
});

test("more than 96 data nodes: a two-level MHT tree (over 33 MHT nodes) follows §4.2.1", async () => {
  // 3300 data nodes → 35 MHT nodes: the root, 32 children, and 2 grandchildren under MHT node 1.
  const size = 3072 + 3300 * NODE - 123;
  const plaintext = pattern(size, 77);
  const key = pattern(16, 78);
  const crypto = teaclaveFile(key);
  const { ciphertext, tag } = await encryptBuffer(crypto, plaintext, { fileName: "big.enc" });
  assert.equal(ciphertext.byteLength, expectedFileSize(size));
  const reference = referenceDecrypt(Buffer.from(ciphertext), key);
  assert.ok(reference.plaintext.equals(plaintext));
  const ours = await decryptBuffer(crypto, ciphertext, { fileName: "big.enc", expectedTag: tag! });
  assert.ok(Buffer.from(ours.plaintext).equals(plaintext));
});

test("every write uses a fresh key_id and fresh node keys: no node ciphertext repeats", async () => {
  const plaintext = pattern(3072 + 5 * NODE, 1);
  const a = Buffer.from((await encryptBuffer(teaclaveFile(), plaintext, { fileName: "x" })).ciphertext);
  const b = Buffer.from((await encryptBuffer(teaclaveFile(), plaintext, { fileName: "x" })).ciphertext);
  assert.notDeepEqual(a.subarray(16, 48), b.subarray(16, 48), "key_id");
  for (let node = 0; node < a.byteLength / NODE; node++) {
    const at = node === 0 ? 96 : node * NODE;
    assert.notDeepEqual(a.subarray(at, at + 64), b.subarray(at, at + 64), `node ${node}`);
  }
  // Within one file, identical plaintext nodes still encrypt differently (distinct keys).
  const zeros = Buffer.from(
    (await encryptBuffer(teaclaveFile(), new Uint8Array(3072 + 3 * NODE), { fileName: "z" })).ciphertext,
  );
  assert.notDeepEqual(zeros.subarray(2 * NODE, 3 * NODE), zeros.subarray(3 * NODE, 4 * NODE));
});

test("round trip holds for any size, including node and MHT boundaries (property)", async () => {
  const boundaries = [
    0,
    1,
    3071,
    3072,
    3073,
    3072 + NODE,
    3072 + NODE + 1,
    3072 + 96 * NODE,
    3072 + 96 * NODE + 1,
    3072 + 97 * NODE,
  ];
  const sizes = fc.oneof(fc.constantFrom(...boundaries), fc.integer({ min: 0, max: 3072 + 200 * NODE }));
  await fc.assert(
    fc.asyncProperty(sizes, fc.integer({ min: 1, max: 2 ** 31 }), async (size, seed) => {
      const plaintext = pattern(size, seed);
      const { ciphertext, tag } = await encryptBuffer(teaclaveFile(), plaintext, { fileName: "p.enc" });
      assert.equal(ciphertext.byteLength, expectedFileSize(size));
      const back = await decryptBuffer(teaclaveFile(), ciphertext, { fileName: "p.enc", expectedTag: tag! });
      assert.ok(Buffer.from(back.plaintext).equals(plaintext));
    }),
    { numRuns: 40, examples: boundaries.map((size) => [size, 1]) },
  );
});

test("encryptFile stores the output file's basename and decryptFile checks the input's", async () => {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, "plain"), "hello");
    const { tag } = await encryptFile({
      crypto: teaclaveFile(),
      input: join(dir, "plain"),
      output: join(dir, "hello.enc"),
    });
    const reference = referenceDecrypt(await readFile(join(dir, "hello.enc")), new Uint8Array(16));
    assert.equal(reference.name, "hello.enc");
    await decryptFile({
      crypto: teaclaveFile(),
      input: join(dir, "hello.enc"),
      output: join(dir, "back"),
      expectedTag: tag!,
    });
    assert.equal(await readFile(join(dir, "back"), "utf8"), "hello");
  });
});

test("file names that cannot be stored are refused", async () => {
  for (const fileName of ["", "a\0b", "x".repeat(260)]) {
    await assert.rejects(
      encryptBuffer(teaclaveFile(), new Uint8Array(1), { fileName }),
      cryptoError("INVALID_ARGUMENT"),
    );
  }
  await encryptBuffer(teaclaveFile(), new Uint8Array(1), { fileName: "x".repeat(259) });
});
