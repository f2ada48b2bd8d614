// Files the attester side persists (simulation root, signer key, sealing keys): created once,
// atomically, with owner-only permissions, and refused if someone loosened those permissions.

import { randomBytes } from "node:crypto";
import { link, mkdir, open, readFile, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { BackendError, ioError } from "./errors.js";

/** Reads a private file, refusing it when group or others can read or write it. */
export async function readPrivateFile(path: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    throw ioError(`cannot read ${path}`, err);
  }
  if (!info.isFile()) throw new BackendError("KEY_FILE_INVALID", `${path} is not a regular file`);
  if ((info.mode & 0o077) !== 0) {
    throw new BackendError(
      "KEY_FILE_INVALID",
      `${path} is accessible to group or others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`,
    );
  }
  try {
    return await readFile(path);
  } catch (err) {
    throw ioError(`cannot read ${path}`, err);
  }
}

/**
 * Returns the file's contents, creating it with `create()` first if it does not exist. Creation is
 * atomic (write a temporary file, then hard-link it into place), so concurrent starters in one
 * deployment agree on a single value.
 */
export async function readOrCreate(
  path: string,
  create: () => Buffer,
  mode: 0o600 | 0o644 = 0o600,
): Promise<Buffer> {
  try {
    return mode === 0o600 ? await readPrivateFile(path) : await readFile(path);
  } catch (err) {
    const cause = (err as BackendError).cause ?? err;
    if ((cause as NodeJS.ErrnoException).code !== "ENOENT") throw ioError(`cannot read ${path}`, err);
  }
  const dir = dirname(path);
  const tmp = join(dir, `.${randomBytes(8).toString("hex")}.tmp`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const handle = await open(tmp, "wx", mode);
    try {
      await handle.writeFile(create());
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(tmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      // Another starter won the race: use its file.
    }
  } catch (err) {
    throw ioError(`cannot create ${path}`, err);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return mode === 0o600 ? readPrivateFile(path) : readFile(path);
}
