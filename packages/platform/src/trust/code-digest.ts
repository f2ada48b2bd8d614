// What the simulation backend measures as "the code": a digest over the compiled packages, so a changed
// build gets a different measurement and a policy written for another build refuses it.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

function collect(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && name !== "testing" && name !== "testdata") collect(path, out);
    } else if (name.endsWith(".js") && !name.endsWith(".test.js")) out.push(path);
  }
}

/** SHA-256 over every compiled module of the MesaTEE packages (path and content), hex. */
export function codeDigest(): string {
  if (cached) return cached;
  const packages = fileURLToPath(new URL("../../../", import.meta.url));
  const files: string[] = [];
  for (const pkg of readdirSync(packages).sort()) {
    const dist = join(packages, pkg, "dist");
    try {
      if (statSync(dist).isDirectory()) collect(dist, files);
    } catch {
      // a package without a build
    }
  }
  const h = createHash("sha256");
  for (const file of files.sort()) {
    h.update(relative(packages, file))
      .update("\0")
      .update(createHash("sha256").update(readFileSync(file)).digest());
  }
  cached = h.digest("hex");
  return cached;
}
