// A private PostgreSQL cluster per test file: a fresh directory, reachable only through a Unix socket in
// that directory (no TCP port, so concurrent test files never race for one), removed on stop.
import { execFile, execFileSync } from "node:child_process";
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { PoolConfig } from "pg";
import pg from "pg";

const run = promisify(execFile);
const SUPERUSER = "mesatee";

export interface PostgresCluster {
  /** Directory holding the cluster's data and its socket. */
  readonly dir: string;
  /** Connection to the cluster's default database. */
  readonly connection: PoolConfig;
  /** The same, as a URL (postgresql:///db?host=/socket/dir&user=NAME). */
  readonly url: string;
  /** Creates an empty database and returns its connection and URL. */
  createDatabase(name?: string): Promise<{ connection: PoolConfig; url: string; name: string }>;
  /** Stops and starts the server (fast shutdown): only what was committed survives. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const override = process.env.MESATEE_POSTGRES_BIN;
  if (override) return override;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0])
    throw new Error(
      "PostgreSQL server binaries (initdb, postgres, pg_ctl) were not found under /usr/lib/postgresql: " +
        "install them with scripts/install-system-deps.sh (Debian package postgresql)",
    );
  return join(root, versions[0], "bin");
}

const isRoot = () => process.getuid?.() === 0;

/** PostgreSQL refuses to run as root: run its tools as the `postgres` user then. */
function command(bin: string, tool: string, args: string[]): [string, string[]] {
  return isRoot() ? ["runuser", ["-u", "postgres", "--", join(bin, tool), ...args]] : [join(bin, tool), args];
}

let counter = 0;
const running = new Set<string>();
process.once("exit", () => {
  // A test that crashed before stopping its cluster: shut the server down (immediate mode), best effort.
  for (const dir of running) {
    try {
      const pid = Number(readFileSync(join(dir, "data", "postmaster.pid"), "utf8").split("\n")[0]);
      if (pid > 0) process.kill(pid, "SIGQUIT");
    } catch {
      // already gone
    }
  }
});

export async function startPostgres(): Promise<PostgresCluster> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "mesatee-pg-"));
  const data = join(dir, "data");
  if (isRoot()) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
  }
  const tool = async (name: string, args: string[]) => {
    const [file, argv] = command(bin, name, args);
    try {
      return await run(file, argv, { encoding: "utf8" });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${name} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  await tool("initdb", [
    "-D",
    data,
    "-U",
    SUPERUSER,
    "-A",
    "trust",
    "-E",
    "UTF8",
    "--locale=C.UTF-8",
    "--no-sync",
    "--no-instructions",
  ]);
  // Settings for a throwaway cluster: socket only, and no fsync (a test never outlives a power loss).
  appendFileSync(
    join(data, "postgresql.conf"),
    [
      "listen_addresses = ''",
      `unix_socket_directories = '${dir}'`,
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "max_connections = 200",
      "shared_buffers = 32MB",
      "",
    ].join("\n"),
  );
  // pg_ctl -w returns once the server reports it accepts connections (it polls postmaster.pid's status).
  const start = () => tool("pg_ctl", ["start", "-D", data, "-w", "-t", "120", "-l", join(dir, "server.log")]);
  running.add(dir);
  try {
    await start();
  } catch (error) {
    running.delete(dir);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const connectionTo = (database: string): PoolConfig => ({ host: dir, user: SUPERUSER, database });
  const urlOf = (database: string) =>
    `postgresql:///${database}?host=${encodeURIComponent(dir)}&user=${SUPERUSER}`;
  let stopped = false;
  return {
    dir,
    connection: connectionTo("postgres"),
    url: urlOf("postgres"),
    async createDatabase(name = `db${++counter}`) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const client = new pg.Client(connectionTo("postgres"));
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return { connection: connectionTo(name), url: urlOf(name), name };
    },
    async restart() {
      await tool("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w"]);
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await tool("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w"]);
      } finally {
        running.delete(dir);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
