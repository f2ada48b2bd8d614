// The SQLite backend's queue leases and audit chain.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { openSqliteBackend } from "./sqlite.js";
import { verifyAuditChain } from "./audit-hash.js";

const dir = () => mkdtempSync(join(tmpdir(), "mesatee-sqlite-"));

test("a lease is exclusive until it expires, then another worker takes the entry over", async () => {
  const d = dir();
  const b = openSqliteBackend(join(d, "db"));
  await b.transaction(async (tx) => {
    await tx.enqueue("task-1", Buffer.from("p1"), 10);
    await tx.enqueue("task-2", Buffer.from("p2"), 20);
  });
  const first = await b.transaction((tx) => tx.lease("w1", 100, 50));
  const second = await b.transaction((tx) => tx.lease("w2", 100, 50));
  const none = await b.transaction((tx) => tx.lease("w3", 100, 50));
  assert.deepEqual([first?.taskId, second?.taskId, none], ["task-1", "task-2", undefined]);
  assert.equal(
    await b.transaction((tx) => tx.renewLease("task-1", "w2", 120, 50)),
    false,
    "only the holder renews",
  );
  assert.equal(await b.transaction((tx) => tx.renewLease("task-1", "w1", 120, 50)), true);
  const expired = await b.transaction((tx) => tx.expiredLeases(160));
  assert.deepEqual(
    expired.map((e) => e.taskId),
    ["task-2"],
  );
  const taken = await b.transaction((tx) => tx.lease("w3", 160, 50));
  assert.deepEqual([taken?.taskId, taken?.attempts, taken?.leaseOwner], ["task-2", 2, "w3"]);
  assert.equal(
    await b.transaction((tx) => tx.renewLease("task-2", "w2", 161, 50)),
    false,
    "the old holder lost it",
  );
  await b.close();
  rmSync(d, { recursive: true });
});

test("a failed transaction leaves nothing behind", async () => {
  const d = dir();
  const b = openSqliteBackend(join(d, "db"));
  await assert.rejects(
    b.transaction(async (tx) => {
      await tx.insert("user", "u", Buffer.from("x"));
      throw new Error("boom");
    }),
  );
  assert.equal(await b.transaction((tx) => tx.get("user", "u")), undefined);
  await b.close();
  rmSync(d, { recursive: true });
});

test("editing or deleting an audit record breaks the chain", async () => {
  const d = dir();
  const path = join(d, "db");
  const b = openSqliteBackend(path);
  for (let i = 0; i < 5; i++)
    await b.transaction((tx) =>
      tx.appendAudit({
        timeMicros: i,
        ip: Buffer.alloc(16),
        user: "u",
        role: "r",
        api: "get_task",
        object: `task-${i}`,
        allowed: true,
        error: "",
      }),
    );
  assert.equal(verifyAuditChain(await b.transaction((tx) => tx.auditChain())), null);
  await b.close();
  const raw = new Database(path);
  raw.prepare("UPDATE audit_log SET allowed = 0 WHERE seq = 3").run();
  raw.close();
  const b2 = openSqliteBackend(path);
  assert.equal(verifyAuditChain(await b2.transaction((tx) => tx.auditChain())), 3);
  await b2.close();
  const raw2 = new Database(path);
  raw2.prepare("UPDATE audit_log SET allowed = 1 WHERE seq = 3").run();
  raw2.prepare("DELETE FROM audit_log WHERE seq = 2").run();
  raw2.close();
  const b3 = openSqliteBackend(path);
  assert.equal(verifyAuditChain(await b3.transaction((tx) => tx.auditChain())), 3);
  await b3.close();
  rmSync(d, { recursive: true });
});
