// The data directory: database, platform key, TLS identity, files for clients, and a lock so two
// platforms never share one directory.
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { PlatformError } from "./errors.js";

export interface DataDir {
  readonly root: string;
  readonly database: string;
  readonly tlsDir: string;
  readonly clientDir: string;
  /** 32-byte key sealing the store. */
  readonly platformKey: Buffer;
  /** Where fusion outputs are kept (ciphertext). */
  readonly fusionDir: string;
  /** Per-task working directories (ciphertext and staged files only). */
  readonly workDir: string;
  /** The token execution workers present to the scheduler. */
  readonly workerToken: string;
  readonly workerTokenPath: string;
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
  if (held.has(path)) throw new PlatformError("FAILED_PRECONDITION", "the data directory is in use by this process");
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
 * The platform key. Until the TEE derives it (attestation backends), it is a random key created on first
 * start and kept next to the database, readable by the owner only.
 */
function loadOrCreateKey(path: string): Buffer {
  if (existsSync(path)) {
    const key = readFileSync(path);
    if (key.length !== 32) throw new PlatformError("INTERNAL", `${path} is not a 32-byte key`);
    return key;
  }
  const key = randomBytes(32);
  const fd = openSync(path, "wx", 0o600);
  writeSync(fd, key);
  closeSync(fd);
  return key;
}

/** A random hex token in a text file (mode 0600), created on first use. */
export function loadOrCreateToken(path: string): string {
  if (!existsSync(path)) {
    const fd = openSync(path, "wx", 0o600);
    writeSync(fd, `${randomBytes(32).toString("hex")}\n`);
    closeSync(fd);
  }
  const token = readFileSync(path, "utf8").trim();
  if (!/^[0-9a-f]{64}$/.test(token)) throw new PlatformError("INTERNAL", `${path} does not hold a worker token`);
  return token;
}

export function openDataDir(dir: string): DataDir {
  const root = resolve(dir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const lock = join(root, "LOCK");
  acquireLock(lock);
  const clientDir = join(root, "client");
  mkdirSync(clientDir, { recursive: true });
  const fusionDir = join(root, "fusion");
  const workDir = join(root, "work");
  mkdirSync(fusionDir, { recursive: true, mode: 0o700 });
  const workerTokenPath = join(root, "worker.token");
  return {
    root,
    fusionDir,
    workDir,
    workerToken: loadOrCreateToken(workerTokenPath),
    workerTokenPath,
    database: join(root, "mesatee.db"),
    tlsDir: join(root, "tls"),
    clientDir,
    platformKey: loadOrCreateKey(join(root, "platform.key")),
    release: () => {
      held.delete(lock);
      try {
        if (Number(readFileSync(lock, "utf8")) === process.pid) unlinkSync(lock);
      } catch {
        // already gone
      }
    },
  };
}
