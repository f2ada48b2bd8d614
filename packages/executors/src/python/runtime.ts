// Pyodide interpreters, one per task. Loading Pyodide from scratch takes seconds; loading it from a
// memory snapshot of a freshly started interpreter takes a fraction of that, so the first load in a
// process makes a snapshot and later loads start from it. A snapshot is taken before any function
// code runs and the lockdown is applied after every load.
import type { PyodideAPI } from "pyodide";
import { LOCKDOWN } from "./prelude.js";

/** The part of Emscripten's FS the executor uses. */
export interface MemFs {
  mkdirTree(path: string): void;
  writeFile(path: string, data: string | Uint8Array): void;
  readFile(path: string): Uint8Array;
  stat(path: string): { size: number };
}

export interface Interpreter {
  readonly py: PyodideAPI;
  readonly fs: MemFs;
  /** Runs the task described in /teaclave; returns the outcome as JSON. */
  run(): string;
}

let snapshot: Uint8Array | undefined;
let next: Promise<Interpreter> | undefined;

async function load(options: {
  makeSnapshot: boolean;
}): Promise<{ interpreter: Interpreter; snapshot?: Uint8Array }> {
  const { loadPyodide } = await import("pyodide");
  const quiet = () => {};
  const base = {
    // `import js` would otherwise be Node's globalThis; the lockdown removes the module as well.
    jsglobals: Object.create(null) as object,
    env: { HOME: "/home/pyodide" },
    stdout: quiet,
    stderr: quiet,
  };
  let py: PyodideAPI;
  let made: Uint8Array | undefined;
  if (snapshot) py = await loadPyodide({ ...base, _loadSnapshot: snapshot });
  else if (options.makeSnapshot) {
    py = await loadPyodide({ ...base, _makeSnapshot: true });
    made = py.makeMemorySnapshot();
    snapshot = made;
  } else py = await loadPyodide(base);
  return { interpreter: lockDown(py), ...(made ? { snapshot: made } : {}) };
}

function lockDown(py: PyodideAPI): Interpreter {
  py.setStdin({ error: true });
  py.runPython(LOCKDOWN);
  const run = py.globals.get("__mesatee_run") as () => string;
  for (const name of ["js", "pyodide_js"]) {
    try {
      py.unregisterJsModule(name);
    } catch {
      // not registered in this build
    }
  }
  return { py, fs: py.FS as unknown as MemFs, run: () => run() };
}

/**
 * Loads the interpreter the next task in this process will use. `snapshot` (from another process)
 * speeds the load up; with `makeSnapshot` and none given, the load makes one and returns it.
 */
export async function preloadPython(
  options: { snapshot?: Uint8Array; makeSnapshot?: boolean } = {},
): Promise<{ snapshot?: Uint8Array }> {
  // Pyodide views the snapshot through 32-bit arrays; one received over IPC may sit at any offset.
  if (options.snapshot)
    snapshot ??= options.snapshot.byteOffset % 8 === 0 ? options.snapshot : options.snapshot.slice();
  const loading = load({ makeSnapshot: options.makeSnapshot ?? false });
  next = loading.then((l) => l.interpreter);
  const loaded = await loading;
  return loaded.snapshot ? { snapshot: loaded.snapshot } : {};
}

/** A fresh interpreter for one task: the preloaded one, or a new one. */
export async function takeInterpreter(): Promise<Interpreter> {
  const pending = next;
  next = undefined;
  if (pending) return pending;
  return (await load({ makeSnapshot: true })).interpreter;
}
