// `mesatee encrypt` / `mesatee decrypt`, with Teaclave's flags (spec/teaclave-compat.md §4.5):
// -a/--algorithm, -k/--key HEX, --iv HEX (AES-GCM only, required there), -i/--input-file,
// -o/--output-file, -c/--print-cmac. For teaclave-file-128 the output's basename is stored in
// the file on encrypt and the input's basename is checked on decrypt, as Teaclave does.
import { stat } from "node:fs/promises";
import { Option, type Command } from "commander";
import cliProgress from "cli-progress";
import {
  CryptoError,
  type FileCrypto,
  type FileSchema,
  type Progress,
  decryptFile,
  encryptFile,
  fromHex,
  toHex,
  validateFileCrypto,
} from "@mesatee/crypto";

const ALGORITHMS: readonly FileSchema[] = [
  "aes-gcm-128",
  "aes-gcm-256",
  "teaclave-file-128",
  "mesatee-stream-v1",
];
// Below this a bar would only flicker.
const PROGRESS_THRESHOLD = 4 * 1024 * 1024;

interface CryptoOptions {
  algorithm: FileSchema;
  key: string;
  iv?: string;
  inputFile: string;
  outputFile: string;
  printCmac?: boolean;
  expectedCmac?: string;
}

/** Builds the FileCrypto from the flags; hex values are never echoed back in errors. */
export function fileCryptoFromFlags(algorithm: FileSchema, key: string, iv: string | undefined): FileCrypto {
  if ((algorithm === "aes-gcm-128" || algorithm === "aes-gcm-256") && iv === undefined) {
    throw new CryptoError("INVALID_IV", `--iv is required for ${algorithm}`);
  }
  return validateFileCrypto({
    schema: algorithm,
    key: fromHex(key, "--key", "INVALID_KEY"),
    iv: iv === undefined ? new Uint8Array(0) : fromHex(iv, "--iv", "INVALID_IV"),
  });
}

export interface ProgressDisplay {
  onProgress?: (p: Progress) => void;
  stop: () => void;
}

/**
 * A byte progress bar on `stream`, only for files of at least `threshold` bytes and only when the
 * stream is a terminal (a pipe or log file gets nothing).
 */
export function progressDisplay(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  totalBytes: number,
  threshold: number = PROGRESS_THRESHOLD,
): ProgressDisplay {
  if (stream.isTTY !== true || totalBytes < threshold) return { stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: " {bar} {percentage}% | {value}/{total} MiB",
      hideCursor: true,
      clearOnComplete: true,
      formatValue: (value, _options, type) =>
        type === "value" || type === "total" ? (value / 1048576).toFixed(1) : String(value),
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes, 0);
  return {
    onProgress: (p) => {
      const total = p.totalBytes ?? totalBytes;
      if (total !== bar.getTotal()) bar.setTotal(total);
      bar.update(Math.min(p.processedBytes, total));
    },
    stop: () => bar.stop(),
  };
}

async function run(mode: "encrypt" | "decrypt", options: CryptoOptions): Promise<void> {
  const crypto = fileCryptoFromFlags(options.algorithm, options.key, options.iv);
  const expectedTag =
    options.expectedCmac === undefined
      ? undefined
      : fromHex(options.expectedCmac, "--expected-cmac", "INVALID_ARGUMENT");
  const inputSize = await stat(options.inputFile).then(
    (s) => s.size,
    () => 0, // a missing input is reported by the crypto call below
  );
  const progress = progressDisplay(process.stderr, inputSize);
  let tag: Uint8Array | null;
  try {
    const result =
      mode === "encrypt"
        ? await encryptFile({
            crypto,
            input: options.inputFile,
            output: options.outputFile,
            onProgress: progress.onProgress,
          })
        : await decryptFile({
            crypto,
            input: options.inputFile,
            output: options.outputFile,
            expectedTag,
            onProgress: progress.onProgress,
          });
    tag = result.tag;
  } finally {
    progress.stop();
  }
  if (options.printCmac === true && tag !== null) process.stdout.write(`${toHex(tag)}\n`);
}

export function registerCryptoCommands(program: Command): void {
  for (const mode of ["encrypt", "decrypt"] as const) {
    const command = program
      .command(mode)
      .description(
        mode === "encrypt" ? "encrypt a file (Teaclave-compatible)" : "decrypt a file (Teaclave-compatible)",
      )
      .addOption(
        new Option("-a, --algorithm <algorithm>", "file crypto schema")
          .choices(ALGORITHMS)
          .makeOptionMandatory(),
      )
      .requiredOption(
        "-k, --key <hex>",
        "key in hex (16 bytes; 32 for aes-gcm-256, 16 or 32 for mesatee-stream-v1)",
      )
      .option("--iv <hex>", "IV in hex (12 bytes; required for aes-gcm-*, optional for mesatee-stream-v1)")
      .requiredOption("-i, --input-file <path>", "file to read")
      .requiredOption("-o, --output-file <path>", "file to write (replaced only on success)")
      .option("-c, --print-cmac", "print the file's tag (cmac) as hex on stdout");
    if (mode === "decrypt") {
      command.option(
        "--expected-cmac <hex>",
        "refuse the file unless its tag equals this (checked before decrypting)",
      );
    }
    command.action((options: CryptoOptions) => run(mode, options));
  }
}
