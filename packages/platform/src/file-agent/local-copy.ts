// Local sources: opened once and measured through the open handle, so the size checked is the size of
// the file actually read.
import { open, type FileHandle } from "node:fs/promises";
import { Readable } from "node:stream";
import { FileAgentError } from "./errors.js";
import { fsError } from "./fs-errors.js";

export interface Source {
  readonly handle: FileHandle;
  readonly size: number;
}

/** Opens the regular file at `path`, refusing it when larger than `maxBytes`. */
export async function openSource(path: string, maxBytes: number): Promise<Source> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (e) {
    throw fsError(e, path);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new FileAgentError("NOT_ALLOWED", `${path} is not a regular file`);
    if (stat.size > maxBytes)
      throw new FileAgentError("TOO_LARGE", `${path} is larger than ${maxBytes} bytes`);
    return { handle, size: stat.size };
  } catch (e) {
    await handle.close();
    throw fsError(e, path);
  }
}

/** The whole of `source`, as a stream that closes the file when it ends or is destroyed. */
export function readSource(source: Source): Readable {
  if (source.size === 0) return Readable.from([]);
  return source.handle.createReadStream({ start: 0, end: source.size - 1 });
}
