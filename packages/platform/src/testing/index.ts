// Test support, exported as `@mesatee/platform/testing` for other packages' tests (never used in production).
export * from "./harness.js";
export * from "./file-server.js";
export * from "./journey.js";
export * from "./postgres.js";
