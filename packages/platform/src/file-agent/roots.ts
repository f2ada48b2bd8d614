// Confinement of file: and fusion: paths to configured directories. Symlinks are resolved with realpath
// before the check, so a link inside a root cannot lead outside it.
import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { FileAgentError } from "./errors.js";
import { fsError } from "./fs-errors.js";

function inside(root: string, target: string): boolean {
  return target === root || target.startsWith(root.endsWith(sep) ? root : root + sep);
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((root) => realpath(root).catch(() => undefined)));
  return real.filter((r): r is string => r !== undefined);
}

function notAllowed(path: string): FileAgentError {
  return new FileAgentError("NOT_ALLOWED", `${path} is outside the directories the file agent may use`);
}

// Checked lexically first, so nothing (not even whether a file exists) is learnt about paths outside.
async function checkLexically(roots: readonly string[], path: string): Promise<string[]> {
  const real = await realRoots(roots);
  if (![...roots, ...real].some((root) => inside(root, path))) throw notAllowed(path);
  return real;
}

/** The real path of the existing regular file `path`, which must lie inside one of `roots`. */
export async function resolveExistingFile(roots: readonly string[], path: string): Promise<string> {
  const target = resolve(path);
  const real = await checkLexically(roots, target);
  let resolved: string;
  try {
    resolved = await realpath(target);
  } catch (e) {
    throw fsError(e, target);
  }
  if (!real.some((root) => inside(root, resolved))) throw notAllowed(target);
  const stat = await lstat(resolved).catch((e: unknown) => {
    throw fsError(e, target);
  });
  // Devices and FIFOs could block or never end.
  if (!stat.isFile()) throw new FileAgentError("NOT_ALLOWED", `${target} is not a regular file`);
  return resolved;
}

/** Where a new file `path` would be created (its directory's real path), which must lie inside `roots`. */
export async function resolveNewFile(roots: readonly string[], path: string): Promise<string> {
  const target = resolve(path);
  const real = await checkLexically(roots, target);
  let directory: string;
  try {
    directory = await realpath(dirname(target));
  } catch (e) {
    throw fsError(e, `directory of ${target}`);
  }
  const resolved = join(directory, basename(target));
  if (!real.some((root) => inside(root, directory) && resolved !== root)) throw notAllowed(target);
  return resolved;
}
