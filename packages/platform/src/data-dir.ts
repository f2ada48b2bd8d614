// The data directory: database, deployment keys, files for clients, fusion data, and a lock so two
// platforms never share one directory.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { PlatformError } from "./errors.js";

export interface DataDir {
  readonly root: string;
  readonly database: string;
  readonly clientDir: string;
  /** Keys of this deployment (simulation root, attestation-service role, auditors). */
  readonly attestationDir: string;
  /** Where fusion outputs are kept (ciphertext). */
  readonly fusionDir: string;
  /** Per-task working directories (ciphertext and staged files only). */
  readonly workDir: string;
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Locks held by this process (a second platform in the same process must be refused too). */
const held = new Set<string>();

function acquireLock(path: string): void {
  if (held.has(path))
    throw new PlatformError("FAILED_PRECONDITION", "the data directory is in use by this process");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      held.add(path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8"));
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid))
        throw new PlatformError("FAILED_PRECONDITION", `the data directory is in use by process ${pid}`);
      unlinkSync(path); // left behind by a process that died
    }
  }
  throw new PlatformError("FAILED_PRECONDITION", "could not lock the data directory");
}

/**
 * Opens a data directory. The all-in-one platform locks it; services of a distributed deployment share it
 * (`lock: false`), each opening only what it needs.
 */
export function openDataDir(dir: string, options: { lock?: boolean } = {}): DataDir {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const lock = join(root, "LOCK");
  const locked = options.lock ?? true;
  if (locked) acquireLock(lock);
  const clientDir = join(root, "client");
  mkdirSync(clientDir, { recursive: true });
  const fusionDir = join(root, "fusion");
  const workDir = join(root, "work");
  mkdirSync(fusionDir, { recursive: true, mode: 0o700 });
  return {
    root,
    fusionDir,
    workDir,
    attestationDir: join(root, "attestation"),
    database: join(root, "mesatee.db"),
    clientDir,
    release: () => {
      if (!locked) return;
      held.delete(lock);
      try {
        if (Number(readFileSync(lock, "utf8")) === process.pid) unlinkSync(lock);
      } catch {
        // already gone
      }
    },
  };
}
