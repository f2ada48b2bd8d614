import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulationBackend } from "./simulation/backend.js";
import { deriveSealingKey } from "./sealing.js";
import { isBackendError } from "./errors.js";

const code = { service: "storage", codeDigest: "aa".repeat(32), configDigest: "bb".repeat(32) };

test("simulation sealing keys survive restarts of the same deployment and differ per label", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-seal-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = await deriveSealingKey(new SimulationBackend({ dir, ...code }), "storage");
  assert.equal(key.length, 32);
  assert.deepEqual(await deriveSealingKey(new SimulationBackend({ dir, ...code }), "storage"), key);
  assert.notDeepEqual(await deriveSealingKey(new SimulationBackend({ dir, ...code }), "audit"), key);
});

test("simulation sealing: mrsigner keys survive a code upgrade, mrenclave keys do not", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-seal-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const v1 = new SimulationBackend({ dir, ...code });
  const v2 = new SimulationBackend({ dir, ...code, codeDigest: "ac".repeat(32) });
  assert.deepEqual(await deriveSealingKey(v2, "storage"), await deriveSealingKey(v1, "storage"));
  assert.notDeepEqual(
    await deriveSealingKey(v2, "storage", { binding: "mrenclave" }),
    await deriveSealingKey(v1, "storage", { binding: "mrenclave" }),
  );
  assert.notDeepEqual(
    await deriveSealingKey(v1, "storage", { binding: "mrenclave" }),
    await deriveSealingKey(v1, "storage"),
  );
});

test("simulation sealing keys differ between deployments", async (t) => {
  const a = await mkdtemp(join(tmpdir(), "mesatee-seal-"));
  const b = await mkdtemp(join(tmpdir(), "mesatee-seal-"));
  t.after(() => Promise.all([rm(a, { recursive: true }), rm(b, { recursive: true })]).then(() => undefined));
  assert.notDeepEqual(
    await deriveSealingKey(new SimulationBackend({ dir: a, ...code }), "storage"),
    await deriveSealingKey(new SimulationBackend({ dir: b, ...code }), "storage"),
  );
});

test("sealing labels must be non-empty and bounded; bindings must be known", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "mesatee-seal-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const backend = new SimulationBackend({ dir, ...code });
  await assert.rejects(deriveSealingKey(backend, ""), (e) => isBackendError(e, "INVALID_ARGUMENT"));
  await assert.rejects(deriveSealingKey(backend, "x".repeat(129)), (e) =>
    isBackendError(e, "INVALID_ARGUMENT"),
  );
  await assert.rejects(deriveSealingKey(backend, "x", { binding: "mrtd" as never }), (e) =>
    isBackendError(e, "INVALID_ARGUMENT"),
  );
});
