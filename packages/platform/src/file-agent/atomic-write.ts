// Downloads (and file:/fusion: uploads) are written to a temporary sibling and published only when
// complete, so a failed transfer never leaves a partial file under the destination's name.
import { randomBytes } from "node:crypto";
import { link, lstat, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { FileAgentError } from "./errors.js";
import { fsError } from "./fs-errors.js";

/** Throws EXISTS if anything (a dangling symlink included) is at `path`. */
export async function assertAbsent(path: string): Promise<void> {
  try {
    await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw fsError(e, path);
  }
  throw new FileAgentError("EXISTS", `${path} already exists`);
}

/**
 * Runs `write` on a fresh temporary path next to `destination` (which must not exist) and moves the result
 * to `destination` only if `write` succeeds; the temporary file is removed in every case.
 */
export async function writeAtomically<T>(
  destination: string,
  write: (temporary: string) => Promise<T>,
): Promise<T> {
  const directory = dirname(destination);
  const parent = await lstat(directory).catch((e: unknown) => {
    throw fsError(e, `directory of ${destination}`);
  });
  if (!parent.isDirectory())
    throw new FileAgentError("NOT_FOUND", `directory of ${destination}: not a directory`);
  await assertAbsent(destination);
  // A leading dot keeps the name out of fusion names and ordinary listings.
  const temporary = join(directory, `.${randomBytes(8).toString("hex")}.partial`);
  try {
    const result = await write(temporary);
    await publish(temporary, destination);
    return result;
  } finally {
    await rm(temporary, { force: true }).catch(() => undefined);
  }
}

// link() refuses to replace an existing file, unlike rename(); that keeps "must not exist" true even
// when something appears at the destination during the transfer.
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "EXDEV", "EMLINK", "ENOSYS"]);

async function publish(temporary: string, destination: string): Promise<void> {
  try {
    await link(temporary, destination);
    return;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (!NO_HARD_LINKS.has(code)) throw fsError(e, destination);
  }
  await assertAbsent(destination);
  await rename(temporary, destination).catch((e: unknown) => {
    throw fsError(e, destination);
  });
}
