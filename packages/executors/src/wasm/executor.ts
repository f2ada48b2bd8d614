// The WebAssembly executor: Teaclave's WAMR ABI (spec §5.4) on Node's WebAssembly. A module may import
// only the five host functions and a memory from "env"; its memory must be bounded by the task's limit
// (an unbounded memory is given that bound); `entrypoint(argc, argv)` receives the flat argument vector
// copied into module memory, and its i32 return value, in decimal, is the result.
import { FunctionError } from "@mesatee/functions";
import { wasmMaxPages, type ExecutorLimits } from "../limits.js";
import type { TaskFiles } from "../task-files.js";
import {
  describeType,
  readModule,
  sameType,
  withMemoryLimits,
  type FuncType,
  type ModuleInfo,
} from "./binary.js";
import { HOST_FUNCTIONS, hostFunctions } from "./host.js";

const PAGE = 65_536;
const ENTRYPOINT: FuncType = { params: ["i32", "i32"], results: ["i32"] };

function refuse(message: string): FunctionError {
  return new FunctionError("FAILED", `WebAssembly module refused: ${message}`);
}

interface Checked {
  readonly bytes: Uint8Array;
  /** The memory to import, when the module imports one. */
  readonly importedMemory?: { initial: number; maximum: number };
}

/** Checks imports, memory and entrypoint against the ABI and the limits; bounds an unbounded memory. */
export function checkModule(bytes: Uint8Array, maxPages: number): Checked {
  const info: ModuleInfo = readModule(bytes);
  let importedMemory: Checked["importedMemory"];
  for (const imp of info.imports) {
    const what = `${imp.module}.${imp.name}`;
    if (imp.module !== "env")
      throw refuse(`it imports ${what}; only the host functions in module "env" are available (no WASI)`);
    if (imp.desc.kind === "memory") {
      if (imp.name !== "memory")
        throw refuse(`it imports a memory named ${what}; the host memory is env.memory`);
      const limits = imp.desc.limits;
      checkMemory(limits, maxPages, "imported");
      importedMemory = { initial: limits.min, maximum: Math.min(limits.max ?? maxPages, maxPages) };
      continue;
    }
    const expected = HOST_FUNCTIONS[imp.name];
    if (imp.desc.kind !== "function" || !expected)
      throw refuse(`it imports ${what}, which is not one of the five host functions`);
    if (!sameType(imp.desc.type, expected))
      throw refuse(
        `${what} is imported as ${describeType(imp.desc.type)}; its signature is ${describeType(expected)}`,
      );
  }

  const memories = [...info.memories];
  if (memories.length + (importedMemory ? 1 : 0) > 1) throw refuse("it has more than one memory");
  let out = bytes;
  const defined = memories[0];
  if (defined) {
    checkMemory(defined, maxPages, "declared");
    if (!info.exports.some((e) => e.kind === "memory" && e.name === "memory"))
      throw refuse('it must export its memory as "memory" (the host functions read and write it)');
    // An unbounded memory gets the task's bound, so that Teaclave payloads built without
    // --max-memory run unchanged yet cannot grow past the limit.
    if (defined.max === undefined) out = withMemoryLimits(bytes, info, defined.min, maxPages);
  } else if (!importedMemory) throw refuse("it has no memory (define and export one, or import env.memory)");

  const entry = info.exports.find((e) => e.name === "entrypoint");
  if (entry?.kind !== "function") throw refuse('it does not export a function named "entrypoint"');
  const type = info.functionType(entry.index);
  if (!type || !sameType(type, ENTRYPOINT))
    throw refuse(
      `entrypoint must be ${describeType(ENTRYPOINT)} (int entrypoint(int argc, char **argv)), not ${type ? describeType(type) : "unknown"}`,
    );
  return { bytes: out, ...(importedMemory ? { importedMemory } : {}) };
}

function checkMemory(
  limits: { min: number; max?: number; shared: boolean; memory64: boolean },
  maxPages: number,
  how: string,
): void {
  if (limits.memory64) throw refuse("64-bit memories are not supported");
  if (limits.shared) throw refuse("shared memories are not supported");
  if (limits.min > maxPages || (limits.max ?? 0) > maxPages)
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `WebAssembly module refused: its ${how} memory (up to ${(limits.max ?? limits.min) * 64} KiB) exceeds the limit of ${maxPages * 64} KiB`,
    );
}

/** Copies argv strings and the pointer array into fresh pages at the end of memory (as WAMR's app heap). */
function placeArgv(memory: WebAssembly.Memory, argv: readonly string[]): number {
  if (argv.length === 0) return 0;
  const strings = argv.map((s) => Buffer.from(`${s}\0`, "utf8"));
  const table = argv.length * 4;
  const total = table + strings.reduce((n, s) => n + s.length, 0);
  let base: number;
  try {
    base = memory.grow(Math.ceil(Math.max(total, 1) / PAGE)) * PAGE;
  } catch {
    throw new FunctionError(
      "LIMIT_EXCEEDED",
      `the module's memory cannot grow to hold its ${argv.length / 2} arguments (${total} bytes)`,
    );
  }
  const view = new DataView(memory.buffer);
  const mem = new Uint8Array(memory.buffer);
  let at = base + table;
  strings.forEach((s, i) => {
    view.setUint32(base + i * 4, at, true);
    mem.set(s, at);
    at += s.length;
  });
  return base;
}

function describeTrap(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return "stack overflow";
  if (error instanceof Error) return error.message;
  return String(error);
}

export async function runWasm(
  payload: Uint8Array,
  argv: readonly string[],
  files: TaskFiles,
  limits: ExecutorLimits,
): Promise<string> {
  for (const s of argv)
    if (s.includes("\0"))
      throw new FunctionError(
        "INVALID_ARGUMENT",
        "a WebAssembly function's arguments cannot contain NUL characters",
      );
  const checked = checkModule(payload, wasmMaxPages(limits));
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(checked.bytes);
  } catch (error) {
    throw new FunctionError("FAILED", `invalid WebAssembly module: ${(error as Error).message}`);
  }
  let memory: WebAssembly.Memory | undefined = checked.importedMemory
    ? new WebAssembly.Memory(checked.importedMemory)
    : undefined;
  const env: Record<string, unknown> = hostFunctions(files, () => memory!);
  if (memory) env.memory = memory;
  let instance: WebAssembly.Instance;
  try {
    // The start function, if any, runs here.
    instance = await WebAssembly.instantiate(module, { env } as WebAssembly.Imports);
  } catch (error) {
    files.check();
    throw new FunctionError("FAILED", `the module failed to start: ${describeTrap(error)}`);
  }
  memory ??= instance.exports.memory as WebAssembly.Memory;
  const entrypoint = instance.exports.entrypoint as (argc: number, argv: number) => number;
  const argvPtr = placeArgv(memory, argv);
  let result: number;
  try {
    result = entrypoint(argv.length, argvPtr);
  } catch (error) {
    files.check();
    if (error instanceof FunctionError) throw error;
    throw new FunctionError("FAILED", `the function trapped: ${describeTrap(error)}`);
  }
  files.check();
  return String(result);
}
