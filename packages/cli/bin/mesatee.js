#!/usr/bin/env node
// The `mesatee` command. The TypeScript sources are compiled by `npm ci` (prepare step).
import { main } from "../dist/main.js";

main(process.argv).catch((error) => {
  console.error(`mesatee: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
