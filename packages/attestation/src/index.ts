// Verifier and policy (evidence parsing, verification, signed policy).
export * from "./errors.js";
export * from "./types.js";
export { verifyQuote } from "./verify/dcap.js";
