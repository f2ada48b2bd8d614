#!/usr/bin/env node
// File crypto throughput: MiB/s to encrypt and decrypt in every format, next to OpenSSL measured
// in the same run on the same machine.
//
//   npx tsc -b packages/crypto && node bench/crypto-throughput.js [--size-mib 512] [--runs 3] [--dir /tmp]
//
// Two views:
// 1. Cipher-bound: plaintext from memory (a Readable) → encryptFile → a discarding Writable, and
//    ciphertext from a file in the page cache → computeTag ("verify": one authenticated pass, the
//    plaintext dropped) and → decryptFile → a discarding Writable. Reference:
//    `openssl speed -evp aes-{128,256}-gcm`, one core, 16 KiB blocks. Target: aes-gcm within 2x.
//    (Decrypting whole-file AES-GCM into a Writable takes two passes, verify then decrypt, so its
//    decrypt figure there is about half the encrypt one; into a path it is one pass.)
// 2. File to file, disk I/O included: encryptFile/decryptFile path → path. Reference:
//    `openssl enc -aes-{128,256}-ctr` path → path (`openssl enc` refuses AEAD modes; CTR is GCM
//    without GHASH, so the reference is flattered).
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { randomBytes } from "node:crypto";
import { computeTag, decryptFile, encryptFile, generateFileCrypto } from "../packages/crypto/dist/index.js";

const MiB = 1024 * 1024;
const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : args[at + 1];
};
const sizeMiB = Number(arg("--size-mib", "512"));
const runs = Number(arg("--runs", "3"));
const dir = mkdtempSync(join(arg("--dir", tmpdir()), "mesatee-bench-crypto-"));
const size = sizeMiB * MiB;
const block = randomBytes(MiB);

const rate = (seconds) => size / MiB / seconds;
const fixed = (value) => value.toFixed(0);
const ratio = (value, reference) => `${(value / reference).toFixed(2)}x`;

async function bestRate(run) {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await run();
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
  }
  return rate(best);
}

/** `openssl speed -evp <cipher>` at 16 KiB blocks, one process, in MiB/s. */
function opensslSpeed(cipher) {
  const out = execFileSync("openssl", ["speed", "-evp", cipher, "-seconds", "3", "-mr"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  const lines = out.split("\n");
  const sizes = lines
    .find((l) => l.startsWith("+H:"))
    .split(":")
    .slice(1)
    .map(Number);
  const rates = lines
    .find((l) => l.startsWith("+F:"))
    .split(":")
    .slice(3)
    .map(Number);
  return rates[sizes.indexOf(16384)] / MiB;
}

function memorySource() {
  let sent = 0;
  return new Readable({
    read() {
      this.push(sent++ < sizeMiB ? block : null);
    },
  });
}

function discard() {
  return new Writable({
    highWaterMark: 4 * MiB,
    write(_chunk, _encoding, callback) {
      callback();
    },
    writev(_chunks, callback) {
      callback();
    },
  });
}

function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    );
}

const input = join(dir, "plain");
const fd = openSync(input, "w");
for (let i = 0; i < sizeMiB; i++) writeSync(fd, block);
closeSync(fd);

const formats = [
  ["aes-gcm-128", generateFileCrypto("aes-gcm-128"), 128],
  ["aes-gcm-256", generateFileCrypto("aes-gcm-256"), 256],
  ["teaclave-file-128", generateFileCrypto("teaclave-file-128"), 128],
  ["mesatee-stream-v1 AES-128", { ...generateFileCrypto("mesatee-stream-v1"), key: randomBytes(16) }, 128],
  ["mesatee-stream-v1 AES-256", generateFileCrypto("mesatee-stream-v1"), 256],
  ["raw", generateFileCrypto("raw"), 0],
];

console.log(
  `file crypto: ${sizeMiB} MiB, best of ${runs}; ${cpus().length} x ${cpus()[0]?.model ?? "?"}; node ${process.version}`,
);
const speed = { 128: opensslSpeed("aes-128-gcm"), 256: opensslSpeed("aes-256-gcm") };
console.log(`openssl speed -evp aes-128-gcm, 16 KiB blocks: ${fixed(speed[128])} MiB/s`);
console.log(`openssl speed -evp aes-256-gcm, 16 KiB blocks: ${fixed(speed[256])} MiB/s`);

const encrypted = join(dir, "enc");
console.log("\n1. cipher-bound (memory → encrypt → discard; page cache → decrypt → discard)");
const memoryRows = [
  [
    "format",
    "encrypt MiB/s",
    "verify MiB/s",
    "decrypt MiB/s",
    "encrypt / openssl speed",
    "verify / openssl speed",
    "decrypt / openssl speed",
  ],
];
for (const [name, crypto, bits] of formats) {
  // teaclave-file-128 seals its tree last and needs a seekable output: it writes to a file here.
  const output = name === "teaclave-file-128" ? () => encrypted : discard;
  const enc = await bestRate(() => encryptFile({ crypto, input: memorySource(), output: output() }));
  await encryptFile({ crypto, input, output: encrypted });
  // verify = computeTag: one authenticated decryption pass whose plaintext is dropped.
  const verify = await bestRate(() => computeTag({ crypto, input: encrypted }));
  const dec = await bestRate(() => decryptFile({ crypto, input: encrypted, output: discard() }));
  const reference = speed[bits];
  memoryRows.push([
    name + (name === "teaclave-file-128" ? " (→ file)" : ""),
    fixed(enc),
    fixed(verify),
    fixed(dec),
    reference ? ratio(enc, reference) : "-",
    reference ? ratio(verify, reference) : "-",
    reference ? ratio(dec, reference) : "-",
  ]);
}
table(memoryRows);

const runEnc = (cipher, keyBytes) => {
  const key = randomBytes(keyBytes).toString("hex");
  const iv = randomBytes(16).toString("hex");
  return () =>
    execFileSync("openssl", ["enc", `-${cipher}`, "-K", key, "-iv", iv, "-in", input, "-out", encrypted]);
};
const enc = {
  128: await bestRate(runEnc("aes-128-ctr", 16)),
  256: await bestRate(runEnc("aes-256-ctr", 32)),
};
console.log("\n2. file to file (disk I/O included)");
console.log(
  `openssl enc -aes-128-ctr: ${fixed(enc[128])} MiB/s; openssl enc -aes-256-ctr: ${fixed(enc[256])} MiB/s`,
);
const fileRows = [
  ["format", "encrypt MiB/s", "decrypt MiB/s", "encrypt / openssl enc", "decrypt / openssl enc"],
];
const decrypted = join(dir, "dec");
for (const [name, crypto, bits] of formats) {
  const e = await bestRate(() => encryptFile({ crypto, input, output: encrypted }));
  const d = await bestRate(() => decryptFile({ crypto, input: encrypted, output: decrypted }));
  const reference = enc[bits === 0 ? 128 : bits];
  fileRows.push([name, fixed(e), fixed(d), ratio(e, reference), ratio(d, reference)]);
}
table(fileRows);
rmSync(dir, { recursive: true, force: true });
