// Runs the real `mesatee` binary, as a user would.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFile, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { progressDisplay } from "./crypto.js";

const BIN = fileURLToPath(new URL("../../bin/mesatee.js", import.meta.url));
const FIXTURES =
  process.env["MESATEE_SHARED_DIR"] !== undefined
    ? join(process.env["MESATEE_SHARED_DIR"], "fixtures", "teaclave", "functions")
    : fileURLToPath(new URL("../../../../../shared/fixtures/teaclave/functions/", import.meta.url));
const ZERO_KEY = "00".repeat(16);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function mesatee(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], (error, stdout, stderr) => {
      resolve({
        code: error === null ? 0 : typeof error.code === "number" ? error.code : -1,
        stdout,
        stderr,
      });
    });
  });
}

async function inTemp(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-cli-crypto-"));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A failure is exit status 1 with exactly one line on stderr and nothing on stdout. */
function assertOneLineFailure(run: Run, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, "");
  const lines = run.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, pattern);
}

// Each case has its own directory, so they run side by side (each spawn is a cold start).
describe("mesatee encrypt / decrypt", { concurrency: 4 }, () => {
  test("decrypt opens Teaclave's multi-node protected file and -c prints its cmac", async () => {
    await inTemp(async (dir) => {
      const input = join(FIXTURES, "py_logistic_reg/train.enc");
      const run = await mesatee(
        "decrypt",
        "-a",
        "teaclave-file-128",
        "-k",
        ZERO_KEY,
        "-i",
        input,
        "-o",
        join(dir, "train.txt"),
        "-c",
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "00780510adc603725ec240ab979681f0\n");
      assert.equal(run.stderr, "");
      assert.deepEqual(
        await readFile(join(dir, "train.txt")),
        await readFile(join(FIXTURES, "py_logistic_reg/train.txt")),
      );
    });
  });

  test("decrypt opens Teaclave's aes-gcm-128 file with --iv", async () => {
    await inTemp(async (dir) => {
      const input = join(FIXTURES, "gbdt_training/train.aes_gcm_128");
      const run = await mesatee(
        "decrypt",
        "--algorithm",
        "aes-gcm-128",
        "--key",
        ZERO_KEY,
        "--iv",
        "01".repeat(12),
        "--input-file",
        input,
        "--output-file",
        join(dir, "out"),
        "--print-cmac",
      );
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout, "592f1e607649d89ff2aa8a2841a57cad\n");
      assert.deepEqual(
        await readFile(join(dir, "out")),
        await readFile(join(FIXTURES, "gbdt_training/train.txt")),
      );
    });
  });

  test("encrypt then decrypt round-trips every algorithm and both print the same cmac", async () => {
    await inTemp(async (dir) => {
      const plaintext = Buffer.from("f1,f2,label\n1,2,0\n".repeat(400));
      await writeFile(join(dir, "plain.txt"), plaintext);
      const cases: Array<[string, string, string[]]> = [
        ["aes-gcm-128", ZERO_KEY, ["--iv", "02".repeat(12)]],
        ["aes-gcm-256", "11".repeat(32), ["--iv", "03".repeat(12)]],
        ["teaclave-file-128", "22".repeat(16), []],
        ["mesatee-stream-v1", "33".repeat(32), []],
      ];
      for (const [algorithm, key, extra] of cases) {
        const encrypted = join(dir, `${algorithm}.enc`);
        const sealed = await mesatee(
          "encrypt",
          "-a",
          algorithm,
          "-k",
          key,
          ...extra,
          "-i",
          join(dir, "plain.txt"),
          "-o",
          encrypted,
          "-c",
        );
        assert.equal(sealed.code, 0, sealed.stderr);
        assert.match(sealed.stdout, /^[0-9a-f]{32}\n$/);
        const opened = await mesatee(
          "decrypt",
          "-a",
          algorithm,
          "-k",
          key,
          ...extra,
          "-i",
          encrypted,
          "-o",
          join(dir, `${algorithm}.out`),
          "-c",
          "--expected-cmac",
          sealed.stdout.trim(),
        );
        assert.equal(opened.code, 0, opened.stderr);
        assert.equal(opened.stdout, sealed.stdout, algorithm);
        assert.deepEqual(await readFile(join(dir, `${algorithm}.out`)), plaintext, algorithm);
      }
    });
  });

  test("a wrong key fails with one line, exit status 1, and no output file", async () => {
    await inTemp(async (dir) => {
      const run = await mesatee(
        "decrypt",
        "-a",
        "teaclave-file-128",
        "-k",
        "01".repeat(16),
        "-i",
        join(FIXTURES, "py_logistic_reg/train.enc"),
        "-o",
        join(dir, "out"),
      );
      assertOneLineFailure(run, /^mesatee: .*wrong key/);
      const gcm = await mesatee(
        "decrypt",
        "-a",
        "aes-gcm-128",
        "-k",
        "01".repeat(16),
        "--iv",
        "01".repeat(12),
        "-i",
        join(FIXTURES, "gbdt_training/train.aes_gcm_128"),
        "-o",
        join(dir, "out"),
      );
      assertOneLineFailure(gcm, /^mesatee: .*wrong key/);
      assert.deepEqual(await readdir(dir), []);
    });
  });

  test("a tampered file fails with one line and exit status 1", async () => {
    await inTemp(async (dir) => {
      const file = await readFile(join(FIXTURES, "py_logistic_reg/train.enc"));
      file[3 * 4096 + 100]! ^= 1;
      await writeFile(join(dir, "train.enc"), file);
      const run = await mesatee(
        "decrypt",
        "-a",
        "teaclave-file-128",
        "-k",
        ZERO_KEY,
        "-i",
        join(dir, "train.enc"),
        "-o",
        join(dir, "out"),
      );
      assertOneLineFailure(run, /^mesatee: .*failed authentication/);
      assert.deepEqual(await readdir(dir), ["train.enc"]);
    });
  });

  test("a renamed protected file fails the name binding", async () => {
    await inTemp(async (dir) => {
      await copyFile(join(FIXTURES, "ordered_set_intersect/psi0.txt.enc"), join(dir, "psi.enc"));
      const run = await mesatee(
        "decrypt",
        "-a",
        "teaclave-file-128",
        "-k",
        ZERO_KEY,
        "-i",
        join(dir, "psi.enc"),
        "-o",
        join(dir, "out"),
      );
      assertOneLineFailure(run, /^mesatee: file is bound to the name "psi0\.txt\.enc", not "psi\.enc"$/);
    });
  });

  test("bad key hex, a wrong key length and a missing --iv are refused without echoing the key", async () => {
    await inTemp(async (dir) => {
      const input = join(FIXTURES, "gbdt_training/train.aes_gcm_128");
      const secret = "zz" + "ab".repeat(15);
      const badHex = await mesatee(
        "decrypt",
        "-a",
        "aes-gcm-128",
        "-k",
        secret,
        "--iv",
        "01".repeat(12),
        "-i",
        input,
        "-o",
        join(dir, "o"),
      );
      assertOneLineFailure(badHex, /^mesatee: --key is not valid hex/);
      assert.ok(!badHex.stderr.includes(secret));
      const short = await mesatee(
        "decrypt",
        "-a",
        "aes-gcm-256",
        "-k",
        ZERO_KEY,
        "--iv",
        "01".repeat(12),
        "-i",
        input,
        "-o",
        join(dir, "o"),
      );
      assertOneLineFailure(short, /^mesatee: aes-gcm-256 needs a 32-byte key, got 16 bytes$/);
      const noIv = await mesatee(
        "decrypt",
        "-a",
        "aes-gcm-128",
        "-k",
        ZERO_KEY,
        "-i",
        input,
        "-o",
        join(dir, "o"),
      );
      assertOneLineFailure(noIv, /^mesatee: --iv is required for aes-gcm-128$/);
      assert.deepEqual(await readdir(dir), []);
    });
  });

  test("--expected-cmac refuses a file with another tag", async () => {
    await inTemp(async (dir) => {
      const run = await mesatee(
        "decrypt",
        "-a",
        "teaclave-file-128",
        "-k",
        ZERO_KEY,
        "-i",
        join(FIXTURES, "py_logistic_reg/train.enc"),
        "-o",
        join(dir, "out"),
        "--expected-cmac",
        "00".repeat(16),
      );
      assertOneLineFailure(run, /^mesatee: file tag does not match the expected tag$/);
    });
  });

  test("an unknown algorithm is refused with exit status 1", async () => {
    const run = await mesatee("encrypt", "-a", "aes-ctr", "-k", ZERO_KEY, "-i", "a", "-o", "b");
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /Allowed choices are aes-gcm-128, aes-gcm-256, teaclave-file-128, mesatee-stream-v1/,
    );
  });
});

class FakeTerminal extends Writable {
  isTTY = true;
  columns = 80;
  output = "";
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.output += chunk.toString();
    callback();
  }
}

test("the progress bar draws on a terminal for large files and stays silent otherwise", () => {
  const terminal = new FakeTerminal();
  const display = progressDisplay(terminal, 8 * 1048576);
  assert.ok(display.onProgress);
  display.onProgress({ processedBytes: 4 * 1048576, totalBytes: 8 * 1048576 });
  display.stop();
  assert.match(terminal.output, /4\.0\/8\.0 MiB/);

  const pipe = new FakeTerminal();
  pipe.isTTY = false;
  progressDisplay(pipe, 8 * 1048576).stop();
  const small = new FakeTerminal();
  progressDisplay(small, 1024).stop();
  assert.equal(pipe.output + small.output, "");
});
