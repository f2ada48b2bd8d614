// `mesatee up --config FILE`: the all-in-one platform applies the file's limits and database, and refuses
// a bad file before it starts anything.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, test } from "node:test";
import { runEcho, startPostgres } from "@mesatee/platform/testing";
import { common, MesateeClient } from "@mesatee/sdk";

const BIN = fileURLToPath(new URL("../../bin/mesatee.js", import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "mesatee-up-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts a `mesatee` command and waits until its stdout has printed `ready`; returns what it printed. */
async function started(args: string[], ready: string): Promise<{ out: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, MESATEE_ADMIN_PASSWORD: "up-admin-password" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
  };
  let out = "";
  try {
    while (!out.includes(ready)) {
      const [chunk] = (await Promise.race([
        once(child.stdout!, "data"),
        exited.then(([code]) => assert.fail(`mesatee ${args[0]} exited with ${code}`)),
      ])) as [Buffer];
      out += chunk.toString();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { out, stop };
}

/** `mesatee up` on ports the system chooses, with no worker of its own. */
const upArgs = (config: string) => [
  "up",
  "--config",
  config,
  "--auth-port",
  "0",
  "--frontend-port",
  "0",
  "--scheduler-port",
  "0",
  "--no-worker",
];

/** A client of the platform whose start-up message is `out`. */
function clientOf(out: string, clientDir: string): MesateeClient {
  const api = (name: string) => out.match(new RegExp(`${name} API\\s+(https://\\S+)`))![1]!;
  return MesateeClient.fromClientDir({
    authenticationUrl: api("authentication"),
    frontendUrl: api("frontend"),
    clientDir,
  });
}

test("mesatee up --config applies the file's limits, and its workers run them too", async () => {
  const files = join(dir, "files");
  mkdirSync(files);
  const config = join(dir, "mesatee.toml");
  writeFileSync(
    config,
    `data_dir = "${join(dir, "data")}"\n[limits]\nfile_url_roots = ["${files}"]\nmax_message_bytes = 65536\n`,
  );
  const up = await started(upArgs(config), "Press Ctrl-C");
  let worker: { stop: () => Promise<void> } | undefined;
  try {
    const out = up.out;
    const client = clientOf(out, join(dir, "data", "client"));
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
      // A worker started from the same file runs the same measured settings: the scheduler admits it.
      const scheduler = out.match(/scheduler \(workers\)\s+(https:\/\/\S+)/)![1]!;
      writeFileSync(
        config,
        `${readFileSync(config, "utf8")}[execution]\nscheduler_url = "${scheduler}"\nslots = 1\n`,
      );
      worker = await started(["serve", "execution", "--config", config], "execution serving");
      assert.equal(common.TaskStatus[(await runEcho(client, "hi")).status], "Finished");
    } finally {
      client.close();
    }
  } finally {
    await worker?.stop();
    await up.stop();
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

test("mesatee up --config with database_url keeps its state in PostgreSQL, and never prints the password", async () => {
  const cluster = await startPostgres();
  try {
    const { url } = await cluster.createDatabase();
    const withPassword = `${url}&password=never-printed-pw`;
    const data = join(dir, "pg-data");
    const config = join(dir, "pg.toml");
    writeFileSync(config, `data_dir = "${data}"\ndatabase_url = "${withPassword}"\n`);
    const args = upArgs(config);
    const connect = (out: string) => clientOf(out, join(data, "client"));
    const first = await started(args, "Press Ctrl-C");
    try {
      assert.match(first.out, /store\s+postgresql:/);
      assert.doesNotMatch(first.out, /never-printed-pw/);
      const client = connect(first.out);
      try {
        await client.login("admin", "up-admin-password");
        await client.authentication.userRegister({
          id: "kept",
          password: "kept-password",
          role: "DataOwner",
          attribute: "g",
        });
      } finally {
        client.close();
      }
    } finally {
      await first.stop();
    }
    assert.equal(existsSync(join(data, "mesatee.db")), false, "no SQLite store");
    const second = await started(args, "Press Ctrl-C");
    try {
      const client = connect(second.out);
      try {
        await client.login("kept", "kept-password");
      } finally {
        client.close();
      }
    } finally {
      await second.stop();
    }
  } finally {
    await cluster.stop();
  }
});
