// The built-in function catalogue. Adding a built-in is one module plus one line here.
import type { BuiltinFunction } from "./types.js";
import { teaclaveFunctions } from "./teaclave/index.js";
import { analyticsFunctions } from "./analytics/index.js";

const catalogue: BuiltinFunction[] = [
  // Teaclave's functions (spec/teaclave-compat.md §6)
  ...teaclaveFunctions,
  // MesaTEE's functions
  ...analyticsFunctions,
];

const byName = new Map<string, BuiltinFunction>();
for (const fn of catalogue) {
  for (const name of [fn.name, ...(fn.aliases ?? [])]) {
    if (byName.has(name)) throw new Error(`duplicate built-in function name ${name}`);
    byName.set(name, fn);
  }
}

export function findBuiltin(name: string): BuiltinFunction | undefined {
  return byName.get(name);
}

export function builtinNames(): string[] {
  return [...byName.keys()].sort();
}
