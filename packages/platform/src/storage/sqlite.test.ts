// The storage conformance suite on the embedded SQLite backend.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { backendConformance } from "./backend-conformance.js";
import { openSqliteBackend } from "./sqlite.js";

backendConformance({
  name: "sqlite",
  async createDatabase() {
    const dir = mkdtempSync(join(tmpdir(), "mesatee-sqlite-"));
    const path = join(dir, "db");
    const raw = (sql: string) => {
      const db = new Database(path);
      try {
        db.prepare(sql).run();
      } finally {
        db.close();
      }
    };
    return {
      open: async () => openSqliteBackend(path),
      async setAuditAllowed(seq, allowed) {
        raw(`UPDATE audit_log SET allowed = ${allowed ? 1 : 0} WHERE seq = ${seq}`);
      },
      async deleteAudit(seq) {
        raw(`DELETE FROM audit_log WHERE seq = ${seq}`);
      },
      async rawBytes() {
        // Fold the write-ahead log into the database file first.
        raw("PRAGMA wal_checkpoint(TRUNCATE)");
        return readFileSync(path);
      },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
