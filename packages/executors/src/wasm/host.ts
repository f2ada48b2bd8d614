// Teaclave's five host functions for WebAssembly (spec §5.4), module "env". Handles count up from 1
// (at most 1023 open at once); output handles carry bit 0x4000_0000. Every failure returns -1, as in
// Teaclave, except exceeding an output limit, which fails the task.
import { FunctionError } from "@mesatee/functions";
import type { OutputFile, TaskFiles } from "../task-files.js";
import type { FuncType } from "./binary.js";

const I32: FuncType["params"][number] = "i32";
export const HOST_FUNCTIONS: Readonly<Record<string, FuncType>> = {
  teaclave_open_input: { params: [I32], results: [I32] },
  teaclave_create_output: { params: [I32], results: [I32] },
  teaclave_read_file: { params: [I32, I32, I32], results: [I32] },
  teaclave_write_file: { params: [I32, I32, I32], results: [I32] },
  teaclave_close_file: { params: [I32], results: [I32] },
};

const OUTPUT_BIT = 0x4000_0000;
const MAX_HANDLES = 1023;
/** Longest file id read from module memory. */
const MAX_FILE_ID_BYTES = 4096;

type Handle = { kind: "input"; data: Buffer; pos: number } | { kind: "output"; file: OutputFile };

export function hostFunctions(
  files: TaskFiles,
  memory: () => WebAssembly.Memory,
): Record<string, (...args: number[]) => number> {
  const handles = new Map<number, Handle>();
  let next = 1;
  const decoder = new TextDecoder("utf-8", { fatal: true });

  const bytes = () => new Uint8Array(memory().buffer);
  // Pointers arrive as signed i32; module memory may exceed 2 GiB.
  const range = (signedPtr: number, size: number): Uint8Array | undefined => {
    const mem = bytes();
    const ptr = signedPtr >>> 0;
    if (size < 0 || ptr + size > mem.length) return undefined;
    return mem.subarray(ptr, ptr + size);
  };
  const cString = (signedPtr: number): string | undefined => {
    const mem = bytes();
    const ptr = signedPtr >>> 0;
    if (ptr >= mem.length) return undefined;
    const end = mem.subarray(ptr, Math.min(mem.length, ptr + MAX_FILE_ID_BYTES + 1)).indexOf(0);
    if (end < 0) return undefined;
    try {
      return decoder.decode(mem.subarray(ptr, ptr + end));
    } catch {
      return undefined;
    }
  };
  const allocate = (handle: Handle): number => {
    if (handles.size >= MAX_HANDLES) return -1;
    // Handle numbers are never reused within a task, so a stale handle cannot reach a newer file.
    if (next > MAX_HANDLES * 1024) return -1;
    const fd = next++;
    const id = handle.kind === "output" ? fd | OUTPUT_BIT : fd;
    handles.set(id, handle);
    return id;
  };

  return {
    teaclave_open_input(ptr) {
      const name = cString(ptr);
      if (name === undefined || !files.hasInput(name)) return -1;
      return allocate({ kind: "input", data: files.input(name), pos: 0 });
    },
    teaclave_create_output(ptr) {
      const name = cString(ptr);
      if (name === undefined || !files.hasOutput(name)) return -1;
      let file: OutputFile;
      try {
        file = files.createOutput(name);
      } catch (error) {
        if (error instanceof FunctionError) return -1;
        throw error;
      }
      return allocate({ kind: "output", file });
    },
    teaclave_read_file(fd, ptr, size) {
      const h = handles.get(fd);
      const buf = range(ptr, size);
      if (h?.kind !== "input" || !buf) return -1;
      const n = Math.min(size, h.data.length - h.pos);
      buf.set(h.data.subarray(h.pos, h.pos + n));
      h.pos += n;
      return n;
    },
    teaclave_write_file(fd, ptr, size) {
      const h = handles.get(fd);
      const buf = range(ptr, size);
      if (h?.kind !== "output" || !buf) return -1;
      // Throws past the output limit: the trap ends the function and the task fails.
      h.file.write(buf);
      return size;
    },
    teaclave_close_file(fd) {
      return handles.delete(fd) ? 0 : -1;
    },
  };
}
