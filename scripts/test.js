#!/usr/bin/env node
// Runs every compiled test file (packages/*/dist/**/*.test.js, examples/**/*.test.js) with node:test.
// Extra arguments are passed to `node --test` (e.g. --test-name-pattern).
import { readdirSync, statSync, existsSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

const root = new URL("..", import.meta.url).pathname;

function collect(dir, out) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    if (name === "node_modules") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

const files = [];
for (const pkg of readdirSync(join(root, "packages"))) collect(join(root, "packages", pkg, "dist"), files);
collect(join(root, "examples"), files);
const filter = process.env.MESATEE_TEST_FILTER;
const selected = filter ? files.filter((f) => f.includes(filter)) : files;
if (selected.length === 0) {
  console.error("no test files found; run `npm run build` first");
  process.exit(1);
}
// A test that hangs fails after its timeout, and a file that leaves handles open still exits.
const flags = ["--test", "--test-force-exit", "--test-timeout=300000", "--test-concurrency=2"];
const result = spawnSync(process.execPath, [...flags, ...process.argv.slice(2), ...selected.sort()], {
  stdio: "inherit",
  cwd: root,
});
process.exit(result.status ?? 1);
