// VerifyAuditLog: a PlatformAdmin asks the platform, which alone holds the chain's key, whether the audit
// log is intact; other roles are refused; an edited database is reported with the first bad record.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import Database from "better-sqlite3";
import { startTestPlatform, type TestPlatform } from "../../testing/harness.js";

let t: TestPlatform;
before(async () => {
  t = await startTestPlatform({ config: { inProcessWorker: false } });
});
after(() => t.dispose());

test("only a PlatformAdmin may verify the audit log", async () => {
  for (const [id, role, group] of [
    ["audit-fo", "FunctionOwner", ""],
    ["audit-dom", "DataOwnerManager", "g"],
    ["audit-do", "DataOwner", "g"],
  ] as const) {
    const c = await t.user(id, role, group);
    await assert.rejects(c.auditLog.verifyAuditLog({}), { code: "PERMISSION_DENIED" });
  }
  const { logs } = await t.admin.frontend.queryAuditLogs({
    query: "api:verify_audit_log result:false",
    limit: 10n,
  });
  assert.deepEqual(logs.map((l) => l.user).sort(), ["audit-do", "audit-dom", "audit-fo"]);
});

test("an intact log verifies; an edited record is reported by its seq", async () => {
  const intact = await t.admin.auditLog.verifyAuditLog({});
  assert.equal(intact.intact, true);
  assert.equal(intact.firstBadSeq, 0n);
  // Whoever controls the database file rewrites a refusal as allowed.
  const db = new Database(join(t.dataDir, "mesatee.db"));
  try {
    const refused = db.prepare("SELECT seq FROM audit_log WHERE allowed = 0 ORDER BY seq LIMIT 1").get() as {
      seq: number;
    };
    db.prepare("UPDATE audit_log SET allowed = 1 WHERE seq = ?").run(refused.seq);
    const answer = await t.admin.auditLog.verifyAuditLog({});
    assert.equal(answer.intact, false);
    assert.equal(answer.firstBadSeq, BigInt(refused.seq));
    db.prepare("UPDATE audit_log SET allowed = 0 WHERE seq = ?").run(refused.seq);
  } finally {
    db.close();
  }
  assert.equal((await t.admin.auditLog.verifyAuditLog({})).intact, true);
});
