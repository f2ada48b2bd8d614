// Removes what a benchmark made (gigabyte-sized temporary files, child processes) however it ends: normal
// return, exception, Ctrl-C or SIGTERM.
import { rmSync } from "node:fs";

export class Cleanup {
  #paths = new Set();
  #kills = new Set();

  constructor() {
    const onSignal = (signal) => {
      this.now();
      process.exit(signal === "SIGINT" ? 130 : 143);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    process.once("exit", () => this.now());
  }

  /** Deletes `path` (recursively) at the end; returns it. */
  path(path) {
    this.#paths.add(path);
    return path;
  }

  /** Calls `kill` (synchronous) at the end unless `forget` was called. Returns `forget`. */
  onExit(kill) {
    this.#kills.add(kill);
    return () => this.#kills.delete(kill);
  }

  /** Runs every registered kill and deletes every registered path, synchronously; safe to call twice. */
  now() {
    for (const kill of this.#kills) {
      try {
        kill();
      } catch {
        // Already gone.
      }
    }
    this.#kills.clear();
    for (const path of this.#paths) rmSync(path, { recursive: true, force: true });
    this.#paths.clear();
  }
}
