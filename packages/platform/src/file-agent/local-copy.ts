// Local sources: opened once and measured through the open handle, so the size checked is the size of
// the file actually read.
import { createWriteStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { ByteCounter } from "./byte-counter.js";
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

/** Copies `source` into the new file `destination`; closes the source. Errors are left untranslated. */
export async function copyToNewFile(
  source: Source,
  destination: string,
  maxBytes: number,
  signal: AbortSignal,
): Promise<number> {
  const counter = new ByteCounter(
    maxBytes,
    (max) => new FileAgentError("TOO_LARGE", `more than ${max} bytes`),
  );
  try {
    await pipeline(
      source.handle.createReadStream(),
      counter,
      createWriteStream(destination, { flags: "wx" }),
      { signal },
    );
  } finally {
    await source.handle.close().catch(() => undefined);
  }
  return counter.bytes;
}
