// `mesatee attest HOST:PORT` against a running platform.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { startTestPlatform, type TestPlatform } from "@mesatee/platform/testing";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../../bin/mesatee.js", import.meta.url));

let t: TestPlatform;
before(async () => {
  t = await startTestPlatform({ config: { inProcessWorker: false } });
});
after(() => t.dispose());

const target = (url: string) => new URL(url).host;

test("attest verifies the frontend and prints what it verified", async () => {
  const { stdout } = await run(process.execPath, [
    BIN,
    "attest",
    target(t.platform.frontendUrl),
    "--client-dir",
    t.platform.clientDir,
    "--service",
    "frontend",
    "--json",
  ]);
  const out = JSON.parse(stdout);
  assert.deepEqual([out.ok, out.service, out.tee, out.debug], [true, "frontend", "simulation", true]);
  assert.match(out.measurement, /^[0-9a-f]{64}$/);
  const human = await run(process.execPath, [
    BIN,
    "attest",
    target(t.platform.schedulerUrl),
    "--client-dir",
    t.platform.clientDir,
  ]);
  assert.match(human.stdout, /verified scheduler \(simulation\)\n\s+measurement\s+[0-9a-f]{64}/);
});

test("attest refuses an endpoint that is not the expected service", async () => {
  await assert.rejects(
    run(process.execPath, [
      BIN,
      "attest",
      target(t.platform.frontendUrl),
      "--client-dir",
      t.platform.clientDir,
      "--service",
      "authentication",
      "--json",
    ]),
    (e: { code: number; stdout: string }) => {
      assert.equal(e.code, 1);
      assert.equal(JSON.parse(e.stdout).ok, false);
      return true;
    },
  );
});
