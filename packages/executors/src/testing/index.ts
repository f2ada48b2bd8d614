// Test and benchmark support, exported as `@mesatee/executors/testing`: builds the payloads under
// packages/executors/testdata from their committed sources at test time (never used in production).
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/** packages/executors/testdata */
export function testdataDir(): string {
  return fileURLToPath(new URL("../../testdata/", import.meta.url));
}

export async function testdata(name: string): Promise<Buffer> {
  return readFile(join(testdataDir(), name));
}

export interface CompileCOptions {
  /** Exported functions (default: entrypoint). */
  readonly exports?: readonly string[];
  /** Extra clang or linker flags, e.g. -Wl,--max-memory=… */
  readonly flags?: readonly string[];
}

/**
 * Compiles C to a freestanding wasm32 module the way Teaclave's docs build payloads
 * (clang --target=wasm32 -nostdlib, no entry). `source` is a .c file (absolute, or relative to
 * testdata) or C text.
 */
export async function compileC(source: string, options: CompileCOptions = {}): Promise<Uint8Array> {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-wasm-"));
  try {
    let file = isAbsolute(source) ? source : join(testdataDir(), source);
    if (!source.endsWith(".c")) {
      file = join(dir, "payload.c");
      await writeFile(file, source);
    }
    const out = join(dir, "payload.wasm");
    await run("clang", [
      "--target=wasm32",
      "-O2",
      "-nostdlib",
      `-I${testdataDir()}`,
      "-Wl,--no-entry",
      ...(options.exports ?? ["entrypoint"]).map((e) => `-Wl,--export=${e}`),
      ...(options.flags ?? []),
      "-o",
      out,
      file,
    ]);
    return new Uint8Array(await readFile(out));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Assembles WebAssembly text (wabt). */
export async function wat(text: string): Promise<Uint8Array> {
  const wabt = (await import("wabt")).default;
  const module = (await wabt()).parseWat("payload.wat", text, {
    bulk_memory: true,
    threads: true,
    memory64: true,
    multi_value: true,
  });
  try {
    module.resolveNames();
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}
