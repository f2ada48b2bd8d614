import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GramineSgxBackend, Mutex } from "./gramine.js";
import { SimulationBackend } from "./simulation/backend.js";
import { openBackend } from "./select.js";
import { deriveSealingKey } from "./sealing.js";
import { isBackendError } from "./errors.js";

/** A fake /dev/attestation: attestation_type, a pre-seeded quote answering `reportData`, sealing keys. */
async function fakeGramine(
  t: { after: (fn: () => Promise<void>) => void },
  opts: { type?: string; quoteFor?: Buffer; keys?: boolean } = {},
): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "mesatee-gramine-"));
  t.after(() => rm(root, { recursive: true, force: true }));
  await writeFile(join(root, "attestation_type"), `${opts.type ?? "dcap"}\n`);
  await writeFile(join(root, "user_report_data"), Buffer.alloc(64));
  if (opts.quoteFor) {
    // The simulation backend writes real SGX quote v3 bytes: exactly what Gramine's quote file holds.
    const sim = new SimulationBackend({
      dir: join(root, "sim"),
      service: "execution",
      codeDigest: "33".repeat(32),
      configDigest: "44".repeat(32),
    });
    await writeFile(join(root, "quote"), (await sim.getEvidence(opts.quoteFor)).raw);
  }
  if (opts.keys !== false) {
    await mkdir(join(root, "keys"));
    await writeFile(join(root, "keys", "_sgx_mrenclave"), Buffer.alloc(16, 0xe1));
    await writeFile(join(root, "keys", "_sgx_mrsigner"), Buffer.alloc(16, 0x51));
  }
  return root;
}

test("Gramine: the report data is written to user_report_data and the quote returned as SGX evidence", async (t) => {
  const reportData = Buffer.alloc(64, 0x5a);
  const root = await fakeGramine(t, { quoteFor: reportData });
  const backend = new GramineSgxBackend({ root });
  assert.equal(await backend.detect(), true);
  const evidence = await backend.getEvidence(reportData);
  assert.equal(evidence.format, "sgx-dcap-quote");
  assert.deepEqual(Buffer.from(evidence.raw), await readFile(join(root, "quote")));
  assert.deepEqual(await readFile(join(root, "user_report_data")), reportData);
});

test("Gramine: a quote carrying other report data (an interleaved writer) is refused", async (t) => {
  const root = await fakeGramine(t, { quoteFor: Buffer.alloc(64, 1) });
  await assert.rejects(new GramineSgxBackend({ root }).getEvidence(Buffer.alloc(64, 2)), (e) =>
    isBackendError(e, "CONCURRENT_USE"),
  );
});

test("Gramine: without remote attestation (attestation_type none) or without /dev/attestation the backend is unavailable", async (t) => {
  const none = await fakeGramine(t, { type: "none" });
  assert.equal(await new GramineSgxBackend({ root: none }).detect(), false);
  await assert.rejects(new GramineSgxBackend({ root: none }).getEvidence(Buffer.alloc(64)), (e) =>
    isBackendError(e, "BACKEND_UNAVAILABLE"),
  );
  const absent = join(none, "does-not-exist");
  await assert.rejects(openBackend({ kind: "sgx-gramine", root: absent }), (e) =>
    isBackendError(e, "BACKEND_UNAVAILABLE"),
  );
  await assert.rejects(new GramineSgxBackend({ root: absent }).getEvidence(Buffer.alloc(64)), (e) =>
    isBackendError(e, "BACKEND_UNAVAILABLE"),
  );
});

test("Gramine: a file that is not an SGX quote is refused", async (t) => {
  const root = await fakeGramine(t);
  await writeFile(join(root, "quote"), Buffer.alloc(100));
  await assert.rejects(new GramineSgxBackend({ root }).getEvidence(Buffer.alloc(64)), (e) =>
    isBackendError(e, "BAD_EVIDENCE"),
  );
});

test("Gramine: the write+read pair is serialised within a process", async () => {
  const mutex = new Mutex();
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const first = mutex.run(async () => {
    order.push("first:start");
    await gate;
    order.push("first:end");
  });
  const second = mutex.run(async () => {
    order.push("second:start");
  });
  await Promise.resolve();
  assert.deepEqual(order, ["first:start"]);
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ["first:start", "first:end", "second:start"]);
  // A failed section does not block the next one.
  await assert.rejects(mutex.run(async () => Promise.reject(new Error("boom"))));
  assert.equal(await mutex.run(async () => 42), 42);
});

test("Gramine sealing keys: HKDF over the SGX sealing key, separated by label and binding", async (t) => {
  const root = await fakeGramine(t);
  const backend = new GramineSgxBackend({ root });
  const a = await deriveSealingKey(backend, "storage");
  assert.equal(a.length, 32);
  assert.deepEqual(await deriveSealingKey(backend, "storage"), a);
  assert.notDeepEqual(await deriveSealingKey(backend, "audit"), a);
  assert.notDeepEqual(await deriveSealingKey(backend, "storage", { binding: "mrenclave" }), a);
  // A different enclave (different sealing key file) derives a different key for the same label.
  await writeFile(join(root, "keys", "_sgx_mrsigner"), Buffer.alloc(16, 0x52));
  assert.notDeepEqual(await deriveSealingKey(backend, "storage"), a);
  await assert.rejects(deriveSealingKey(backend, ""), (e) => isBackendError(e, "INVALID_ARGUMENT"));
});

test("Gramine sealing: a missing sealing key is SEALING_UNSUPPORTED, a short one KEY_FILE_INVALID", async (t) => {
  const root = await fakeGramine(t, { keys: false });
  await assert.rejects(deriveSealingKey(new GramineSgxBackend({ root }), "x"), (e) =>
    isBackendError(e, "SEALING_UNSUPPORTED"),
  );
  await mkdir(join(root, "keys"));
  await writeFile(join(root, "keys", "_sgx_mrsigner"), Buffer.alloc(8));
  await assert.rejects(deriveSealingKey(new GramineSgxBackend({ root }), "x"), (e) =>
    isBackendError(e, "KEY_FILE_INVALID"),
  );
});
