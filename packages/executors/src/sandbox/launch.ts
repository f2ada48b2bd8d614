// Parent side of the sandbox: how an isolate process for user functions is started.
// - Node's permission model: the process may read only the installed code (never data, staging or
//   keys), write nothing, start no process or thread, load no addon.
// - A network namespace of its own (`unshare -n`: no interface but a down loopback) when the platform
//   may create one; as root, the process also runs as an unprivileged user (65534), so it can signal
//   no other process and read only world-readable files.
// - The caller adds the rest: no environment, a heap limit, a resident-memory watchdog, a wall-clock
//   limit and SIGKILL, and one task per process.
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, readdirSync, realpathSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";

export interface SandboxPlan {
  /** Program and arguments that precede Node's own (empty: run Node directly). */
  readonly wrapper: readonly string[];
  readonly networkNamespace: boolean;
  readonly unprivilegedUser: boolean;
  /** Directories and files the process may read. */
  readonly readPaths: readonly string[];
}

const NOBODY = "65534";

/** The installed code an isolate entry point needs: its node_modules and the linked workspace packages. */
export function codePaths(entry: string): string[] {
  const real = realpathSync(entry);
  const paths = new Set<string>();
  for (let dir = dirname(real); ; dir = dirname(dir)) {
    const modules = join(dir, "node_modules");
    if (existsSync(join(modules, "@mesatee"))) {
      paths.add(modules);
      // Workspace packages are symlinks; the permission model checks the real paths.
      for (const name of readdirSync(join(modules, "@mesatee")))
        paths.add(realpathSync(join(modules, "@mesatee", name)));
      break;
    }
    if (dirname(dir) === dir) throw new Error(`no node_modules with @mesatee packages above ${real}`);
  }
  return [...paths].sort();
}

export function permissionFlags(readPaths: readonly string[]): string[] {
  return [
    "--experimental-permission",
    ...readPaths.map((p) => `--allow-fs-read=${p}`),
    "--disable-warning=ExperimentalWarning",
  ];
}

/** The absolute path of a program (isolates get no PATH), from PATH and the usual directories. */
function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/bin", "/bin", "/usr/sbin", "/sbin"];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

function probe(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "ignore", env: {}, timeout: 10_000 });
    child.once("error", () => resolve(false));
    child.once("exit", (code) => resolve(code === 0));
  });
}

const plans = new Map<string, Promise<SandboxPlan>>();

export interface SandboxOptions {
  /** Try a network namespace (and, as root, an unprivileged user). Default true. */
  readonly namespaces?: boolean;
}

/**
 * Works out once per process which layers this machine allows, by starting Node under each candidate
 * wrapper and checking it can read the entry point.
 */
export function sandboxPlan(entry: string, options: SandboxOptions = {}): Promise<SandboxPlan> {
  const namespaces = options.namespaces ?? true;
  const key = `${namespaces}:${entry}`;
  let plan = plans.get(key);
  if (plan) return plan;
  plan = (async () => {
    const readPaths = codePaths(entry);
    const check = [
      ...permissionFlags(readPaths),
      "-e",
      "require('node:fs').accessSync(process.argv[1], 4)",
      realpathSync(entry),
    ];
    const root = process.getuid?.() === 0;
    const candidates: Array<Omit<SandboxPlan, "readPaths">> = [];
    const unshare = process.platform === "linux" && namespaces ? findProgram("unshare") : undefined;
    if (unshare) {
      if (root)
        candidates.push({
          wrapper: [unshare, "-n", "-S", NOBODY, "-G", NOBODY, "--"],
          networkNamespace: true,
          unprivilegedUser: true,
        });
      candidates.push({ wrapper: [unshare, "-n", "--"], networkNamespace: true, unprivilegedUser: false });
      // Unprivileged users may still create a network namespace inside a user namespace.
      if (!root)
        candidates.push({
          wrapper: [unshare, "-r", "-n", "--"],
          networkNamespace: true,
          unprivilegedUser: false,
        });
    }
    for (const c of candidates) {
      const [command, ...args] = [...c.wrapper, process.execPath, ...check];
      if (await probe(command!, args)) return { ...c, readPaths };
    }
    return { wrapper: [], networkNamespace: false, unprivilegedUser: false, readPaths };
  })();
  plans.set(key, plan);
  return plan;
}
