// `mesatee up --config FILE`: the all-in-one platform applies the file's limits, and refuses a bad file
// before it starts anything.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, test } from "node:test";
import { MesateeClient } from "@mesatee/sdk";

const BIN = fileURLToPath(new URL("../../bin/mesatee.js", import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "mesatee-up-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("mesatee up --config applies the file's limits", async () => {
  const files = join(dir, "files");
  mkdirSync(files);
  const config = join(dir, "mesatee.toml");
  writeFileSync(
    config,
    `data_dir = "${join(dir, "data")}"\n[limits]\nfile_url_roots = ["${files}"]\nmax_message_bytes = 65536\n`,
  );
  const child = spawn(
    process.execPath,
    [BIN, "up", "--config", config, "--auth-port", "0", "--frontend-port", "0", "--scheduler-port", "0"],
    {
      env: { ...process.env, MESATEE_ADMIN_PASSWORD: "up-admin-password" },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const exited = once(child, "exit");
  try {
    let out = "";
    while (!out.includes("Press Ctrl-C")) {
      const [chunk] = (await Promise.race([
        once(child.stdout!, "data"),
        exited.then(([code]) => assert.fail(`mesatee up exited with ${code}`)),
      ])) as [Buffer];
      out += chunk.toString();
    }
    const url = (name: string) => out.match(new RegExp(`${name} API\\s+(https://\\S+)`))![1]!;
    const client = MesateeClient.fromClientDir({
      authenticationUrl: url("authentication"),
      frontendUrl: url("frontend"),
      clientDir: join(dir, "data", "client"),
    });
    try {
      await client.login("admin", "up-admin-password");
      const cryptoInfo = { schema: "aes-gcm-128", key: new Uint8Array(16), iv: new Uint8Array(12) };
      const cmac = new Uint8Array(16);
      await client.frontend.registerInputFile({ url: `file://${join(files, "a.enc")}`, cryptoInfo, cmac });
      await assert.rejects(
        client.frontend.registerInputFile({ url: `file://${join(dir, "a.enc")}`, cryptoInfo, cmac }),
        { code: "PERMISSION_DENIED" },
      );
      // A request past the configured message size is refused.
      await assert.rejects(
        client.frontend.registerFunction({ name: "big", payload: new Uint8Array(100_000) }),
        { code: "RESOURCE_EXHAUSTED" },
      );
    } finally {
      client.close();
    }
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
});

test("mesatee up refuses a configuration with a bad limit before starting anything", async () => {
  const config = join(dir, "bad.toml");
  writeFileSync(config, `data_dir = "${join(dir, "bad-data")}"\n[limits]\ntask_memory_mb = 100000\n`);
  const failed = await run(process.execPath, [BIN, "up", "--config", config]).then(
    () => assert.fail("mesatee up started"),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(failed.code, 1);
  assert.match(
    failed.stderr,
    /limits\.task_memory_mb \(100000\) is above limits\.max_task_memory_mb \(8192\)/,
  );
});
