import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { systemClock } from "../../clock.js";
import { AUDIT_GENESIS, keyedAuditChain } from "../../storage/audit-hash.js";
import { createSealer, createStore, openSqliteBackend } from "../../storage/index.js";
import { AuditLog, ipBytes, parseAuditQuery } from "./audit-log.js";

test("addresses become 16-byte IPv6, IPv4 mapped", () => {
  assert.equal(ipBytes("127.0.0.1").toString("hex"), "00000000000000000000ffff7f000001");
  assert.equal(ipBytes("::1").toString("hex"), "00000000000000000000000000000001");
  assert.equal(ipBytes("::ffff:10.0.0.2").toString("hex"), "00000000000000000000ffff0a000002");
  assert.equal(ipBytes("2001:db8::1").toString("hex"), "20010db8000000000000000000000001");
  assert.equal(ipBytes(undefined).toString("hex"), "0".repeat(32));
  assert.equal(ipBytes("garbage").toString("hex"), "0".repeat(32));
});

test("audit queries: fields, words and the match-all star", () => {
  assert.deepEqual(parseAuditQuery("*"), {});
  assert.deepEqual(parseAuditQuery("user:alice api:get_task result:false task"), {
    user: "alice",
    api: "get_task",
    allowed: false,
    words: ["task"],
  });
  assert.throws(() => parseAuditQuery("result:perhaps"), { code: "INVALID_ARGUMENT" });
  assert.throws(() => parseAuditQuery("x".repeat(2000)), { code: "INVALID_ARGUMENT" });
});

// Whoever controls the database file (the operator, say) tries to rewrite history.
test("an audit log rewritten with a recomputed chain, or cut short, is caught", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "mesatee-audit-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, "store.db");
  const store = createStore(openSqliteBackend(path), createSealer(randomBytes(32)));
  t.after(() => store.close());
  const log = new AuditLog(store, systemClock);
  const event = (n: number) => ({
    ip: "10.0.0.1",
    user: `user-${n}`,
    role: "DataOwner",
    api: "get_task",
    object: `task-${n}`,
    allowed: true,
    error: "",
  });
  for (let n = 1; n <= 5; n++) await log.record(event(n));
  assert.equal(await log.verify(), null);

  const db = new Database(path);
  t.after(() => db.close());
  const rows = () =>
    db.prepare("SELECT * FROM audit_log ORDER BY seq").all() as Array<Record<string, unknown>>;
  const original = rows();
  // Record 3 now says the call was refused, and the whole chain is recomputed the way an unkeyed chain
  // would be: without the platform key the MACs cannot match.
  db.prepare("UPDATE audit_log SET allowed = 0 WHERE seq = 3").run();
  let previous = AUDIT_GENESIS;
  for (const r of rows()) {
    const record = {
      timeMicros: Number(r.time_us),
      ip: r.ip as Buffer,
      user: String(r.user),
      role: String(r.role),
      api: String(r.api),
      object: String(r.object),
      allowed: r.allowed === 1,
      error: String(r.error),
    };
    const forged = keyedAuditChain(Buffer.alloc(32))(previous, Number(r.seq), record);
    db.prepare("UPDATE audit_log SET hash = ? WHERE seq = ?").run(forged, r.seq);
    previous = forged;
  }
  assert.equal(await log.verify(), 1);

  // Restored, then the last two records cut off: the chain itself still verifies, the sealed head does not.
  for (const r of original)
    db.prepare("UPDATE audit_log SET allowed = ?, hash = ? WHERE seq = ?").run(r.allowed, r.hash, r.seq);
  assert.equal(await log.verify(), null);
  db.prepare("DELETE FROM audit_log WHERE seq > 3").run();
  assert.equal(await log.verify(), 4);
  // Deleting the sealed head as well does not help: records without a head are not trusted.
  db.prepare("DELETE FROM documents WHERE kind = 'audit_head'").run();
  assert.equal(await log.verify(), 1);
});
