// Embedded storage backend on SQLite (better-sqlite3). better-sqlite3 is synchronous and we keep a single
// connection, so transactions are serialized through a promise queue: a transaction's awaits never let
// another transaction's statements interleave with it.
import Database from "better-sqlite3";
import { PlatformError } from "../errors.js";
import { AUDIT_GENESIS, type AuditChain } from "./audit-hash.js";
import type {
  AuditFilter,
  AuditRecord,
  BackendTransaction,
  NewAuditRecord,
  QueueEntry,
  StorageBackend,
} from "./backend.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS documents (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS task_queue (
  task_id TEXT PRIMARY KEY,
  payload BLOB NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  enqueued_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_expires_at INTEGER
);
CREATE INDEX IF NOT EXISTS task_queue_order ON task_queue (enqueued_at);
CREATE TABLE IF NOT EXISTS audit_log (
  seq INTEGER PRIMARY KEY,
  time_us INTEGER NOT NULL,
  ip BLOB NOT NULL,
  user TEXT NOT NULL,
  role TEXT NOT NULL,
  api TEXT NOT NULL,
  object TEXT NOT NULL,
  allowed INTEGER NOT NULL,
  error TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_time ON audit_log (time_us);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

const SCHEMA_VERSION = "1";

interface QueueRow {
  task_id: string;
  payload: Buffer;
  attempts: number;
  enqueued_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
}

interface AuditRow {
  seq: number;
  time_us: number;
  ip: Buffer;
  user: string;
  role: string;
  api: string;
  object: string;
  allowed: number;
  error: string;
  hash: string;
}

const toEntry = (r: QueueRow): QueueEntry => ({
  taskId: r.task_id,
  payload: r.payload,
  attempts: r.attempts,
  enqueuedAt: r.enqueued_at,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
});

const toAudit = (r: AuditRow): AuditRecord => ({
  seq: r.seq,
  timeMicros: r.time_us,
  ip: r.ip,
  user: r.user,
  role: r.role,
  api: r.api,
  object: r.object,
  allowed: r.allowed === 1,
  error: r.error,
  hash: r.hash,
});

export function openSqliteBackend(path: string): StorageBackend {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  // FULL: a committed transaction survives a power loss, not only a process crash.
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // Services in other processes may share this database (one host): wait for their transactions.
  db.pragma("busy_timeout = 10000");
  db.exec(SCHEMA);
  const version = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
    { value: string } | undefined;
  if (!version) db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(SCHEMA_VERSION);
  else if (version.value !== SCHEMA_VERSION)
    throw new PlatformError("INTERNAL", `unsupported database schema version ${version.value}`);

  const q = {
    get: db.prepare("SELECT value FROM documents WHERE kind = ? AND id = ?"),
    insert: db.prepare("INSERT INTO documents (kind, id, value) VALUES (?, ?, ?)"),
    update: db.prepare("UPDATE documents SET value = ? WHERE kind = ? AND id = ?"),
    delete: db.prepare("DELETE FROM documents WHERE kind = ? AND id = ?"),
    list: db.prepare("SELECT id, value FROM documents WHERE kind = ? ORDER BY id"),
    count: db.prepare("SELECT COUNT(*) AS n FROM documents WHERE kind = ?"),
    enqueue: db.prepare("INSERT INTO task_queue (task_id, payload, enqueued_at) VALUES (?, ?, ?)"),
    dequeue: db.prepare("DELETE FROM task_queue WHERE task_id = ?"),
    entry: db.prepare("SELECT * FROM task_queue WHERE task_id = ?"),
    nextLeasable: db.prepare(
      "SELECT * FROM task_queue WHERE lease_owner IS NULL OR lease_expires_at < ? ORDER BY enqueued_at, task_id LIMIT 1",
    ),
    lease: db.prepare(
      "UPDATE task_queue SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1 WHERE task_id = ?",
    ),
    renew: db.prepare(
      "UPDATE task_queue SET lease_expires_at = ? WHERE task_id = ? AND lease_owner = ? AND lease_expires_at >= ?",
    ),
    expired: db.prepare(
      "SELECT * FROM task_queue WHERE lease_owner IS NOT NULL AND lease_expires_at < ? ORDER BY enqueued_at, task_id",
    ),
    release: db.prepare(
      "UPDATE task_queue SET lease_owner = NULL, lease_expires_at = NULL WHERE task_id = ?",
    ),
    queueLength: db.prepare("SELECT COUNT(*) AS n FROM task_queue"),
    lastAudit: db.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"),
    appendAudit: db.prepare(
      "INSERT INTO audit_log (seq, time_us, ip, user, role, api, object, allowed, error, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    auditChain: db.prepare("SELECT * FROM audit_log ORDER BY seq"),
  };

  const tx: BackendTransaction = {
    async get(kind, id) {
      const row = q.get.get(kind, id) as { value: Buffer } | undefined;
      return row?.value;
    },
    async insert(kind, id, value) {
      try {
        q.insert.run(kind, id, Buffer.from(value));
      } catch (error) {
        if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY")
          throw new PlatformError("ALREADY_EXISTS", `${kind} ${id} already exists`);
        throw error;
      }
    },
    async update(kind, id, value) {
      if (q.update.run(Buffer.from(value), kind, id).changes !== 1)
        throw new PlatformError("NOT_FOUND", `${kind} ${id} does not exist`);
    },
    async delete(kind, id) {
      return q.delete.run(kind, id).changes === 1;
    },
    async list(kind) {
      return (q.list.all(kind) as Array<{ id: string; value: Buffer }>).map((r) => ({
        id: r.id,
        value: r.value,
      }));
    },
    async count(kind) {
      return (q.count.get(kind) as { n: number }).n;
    },
    async enqueue(taskId, payload, now) {
      q.enqueue.run(taskId, Buffer.from(payload), now);
    },
    async dequeue(taskId) {
      return q.dequeue.run(taskId).changes === 1;
    },
    async queueEntry(taskId) {
      const row = q.entry.get(taskId) as QueueRow | undefined;
      return row && toEntry(row);
    },
    async lease(worker, now, leaseMs) {
      const row = q.nextLeasable.get(now) as QueueRow | undefined;
      if (!row) return undefined;
      q.lease.run(worker, now + leaseMs, row.task_id);
      return toEntry({
        ...row,
        lease_owner: worker,
        lease_expires_at: now + leaseMs,
        attempts: row.attempts + 1,
      });
    },
    async renewLease(taskId, worker, now, leaseMs) {
      return q.renew.run(now + leaseMs, taskId, worker, now).changes === 1;
    },
    async expiredLeases(now) {
      return (q.expired.all(now) as QueueRow[]).map(toEntry);
    },
    async releaseLease(taskId) {
      q.release.run(taskId);
    },
    async queueLength() {
      return (q.queueLength.get() as { n: number }).n;
    },
    async appendAudit(record: NewAuditRecord, chain: AuditChain) {
      const last = q.lastAudit.get() as { seq: number; hash: string } | undefined;
      const seq = (last?.seq ?? 0) + 1;
      const hash = chain(last?.hash ?? AUDIT_GENESIS, seq, record);
      q.appendAudit.run(
        seq,
        record.timeMicros,
        Buffer.from(record.ip),
        record.user,
        record.role,
        record.api,
        record.object,
        record.allowed ? 1 : 0,
        record.error,
        hash,
      );
      return { ...record, seq, hash };
    },
    async queryAudit(filter: AuditFilter, limit: number) {
      const where: string[] = [];
      const params: unknown[] = [];
      const condition = (clause: string, value: unknown) => {
        where.push(clause);
        params.push(value);
      };
      if (filter.user !== undefined) condition("user = ?", filter.user);
      if (filter.api !== undefined) condition("api = ?", filter.api);
      if (filter.object !== undefined) condition("object = ?", filter.object);
      if (filter.allowed !== undefined) condition("allowed = ?", filter.allowed ? 1 : 0);
      if (filter.sinceMicros !== undefined) condition("time_us >= ?", filter.sinceMicros);
      if (filter.untilMicros !== undefined) condition("time_us <= ?", filter.untilMicros);
      for (const word of filter.words ?? []) {
        where.push("instr(lower(api || ' ' || object || ' ' || user || ' ' || error), ?) > 0");
        params.push(word.toLowerCase());
      }
      const sql = `SELECT * FROM audit_log ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
      return (db.prepare(sql).all(...params, limit) as AuditRow[]).map(toAudit);
    },
    async auditChain() {
      return (q.auditChain.all() as AuditRow[]).map(toAudit);
    },
  };

  let tail: Promise<unknown> = Promise.resolve();
  let closed = false;

  return {
    transaction<T>(fn: (t: BackendTransaction) => Promise<T>): Promise<T> {
      const run = async (): Promise<T> => {
        if (closed) throw new PlatformError("INTERNAL", "the store is closed");
        db.exec("BEGIN IMMEDIATE");
        try {
          const result = await fn(tx);
          db.exec("COMMIT");
          return result;
        } catch (error) {
          db.exec("ROLLBACK");
          throw error;
        }
      };
      const result = tail.then(run, run);
      tail = result.catch(() => undefined);
      return result;
    },
    async close() {
      await tail;
      if (!closed) {
        closed = true;
        db.close();
      }
    },
  };
}
