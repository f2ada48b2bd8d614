// The built-in function catalogue and the context functions run against.
export * from "./types.js";
export { loadBuiltin, isBuiltin, builtinNames } from "./registry.js";
export { createMemoryContext, type MemoryContext, type MemoryContextOptions } from "./memory-context.js";
